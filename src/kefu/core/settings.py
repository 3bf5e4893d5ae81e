"""Every setting of kefu, read from environment variables ``KEFU_*``.

This is the one place settings live. ``docs/settings.md`` and the README's
table are checked against this class by a test, so a new field needs a
description.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", extra="ignore")

    env: str = Field(
        "development",
        description="`development` or `production`; production refuses the placeholder secret key.",
    )
    database_url: str = Field(
        "sqlite:///kefu.db",
        description="SQLAlchemy URL of the store. SQLite file in the working directory by default; "
        "`postgresql+psycopg://user@host/db` in production.",
    )
    secret_key: str = Field(
        DEV_SECRET, description="Secret for signed links (survey and download links); must be set in production."
    )
    timezone: str = Field(
        "Asia/Shanghai", description="The center's time zone, used for display, calendars and 'today'."
    )
    redis_url: str | None = Field(None, description="Redis URL, only where several workers share realtime events.")
    redis_prefix: str = Field(
        "kefu", min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$",
        description="Prefix of kefu's Redis channels (chat wake-ups), for several centers on one Redis.",
    )
    center_name: str = Field(
        "客服中心", min_length=1, max_length=60,
        description="The center's name as customers hear it; scripts (话术) fill `{中心}` with it.",
    )
    default_language: str = Field("zh-CN", description="UI language when the user has not chosen one: `zh-CN` or `en`.")
    session_hours: int = Field(12, ge=1, description="How long a UI login or API token stays valid, in hours.")
    cookie_secure: bool = Field(False, description="Mark the session cookie Secure (set behind HTTPS).")
    max_attachment_bytes: int = Field(10 * 1024 * 1024, ge=1, description="Largest attachment accepted, in bytes.")
    attachment_types: str = Field(
        "image/png,image/jpeg,image/gif,application/pdf,text/plain,text/csv,"
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document,audio/mpeg,audio/wav",
        description="Comma-separated content types an attachment may have.",
    )
    default_resolution_hours: float = Field(
        72, gt=0, description="Resolution target when no SLA policy matches (72 h)."
    )
    default_first_response_hours: float = Field(
        4, gt=0, description="First-response target when no SLA policy matches."
    )
    external_complaint_resolution_hours: float = Field(
        24, gt=0, description="Resolution target of external (regulator: 12315, 市场监管) complaints when no "
        "SLA policy for complaints matches; a stricter matching policy still wins.",
    )
    internal_complaint_resolution_hours: float = Field(
        48, gt=0, description="Resolution target of internal complaints (what front-line service could not solve) "
        "when no SLA policy for complaints matches.",
    )
    regulator_reply_warning_hours: float = Field(
        24, gt=0, description="How long before a regulator's reply due time the complaints team is warned.",
    )
    worker_interval_seconds: float = Field(5, gt=0, description="How often the timer worker looks for due timers.")
    worker_in_serve: bool = Field(True, description="Run the timer worker inside `kefu serve` as well.")
    worker_batch: int = Field(200, ge=1, description="Timers a worker takes per round.")
    compensation_limits: str = Field(
        "trainee=0,agent=20,team_lead=100,complaint_specialist=500,supervisor=2000,admin=2000",
        description="Largest single compensation (yuan) each role may grant; a role not named may grant none.",
    )
    mail_from: str = Field(
        "客服中心 <kefu@localhost>",
        description="Sender of the e-mail replies (`名称 <address>`); its domain also names the Message-IDs.",
    )
    mail_domains: str | None = Field(
        None, description="Comma-separated domains or addresses `kefu mail serve` accepts mail for; "
        "unset: the domain of `KEFU_MAIL_FROM`.",
    )
    mail_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1024, description="Largest e-mail the SMTP receiver takes (bigger: refused with 552)."
    )
    smtp_host: str | None = Field(None, description="SMTP server for e-mail replies; unset: replies are not mailed.")
    smtp_port: int = Field(25, ge=1, le=65535, description="Port of the SMTP server (587 with STARTTLS, 465 SSL).")
    smtp_user: str | None = Field(None, description="SMTP login, if the server wants one.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_ssl: bool = Field(False, description="Connect to the SMTP server over TLS from the start (port 465).")
    imap_host: str | None = Field(None, description="IMAP server `kefu mail poll` reads; unset: no polling.")
    imap_port: int = Field(993, ge=1, le=65535, description="Port of the IMAP server (993 with SSL, 143 without).")
    imap_user: str | None = Field(None, description="IMAP login.")
    imap_password: str | None = Field(None, description="IMAP password.")
    imap_mailbox: str = Field("INBOX", description="Mailbox (folder) the poller reads.")
    imap_ssl: bool = Field(True, description="Connect to the IMAP server over TLS.")
    imap_interval_seconds: float = Field(60, gt=0, description="Pause between two polls of `kefu mail poll --loop`.")
    wechat_token: str | None = Field(
        None, description="Token of the WeChat Official Account's message push (服务器配置); unset, "
        "`/api/v1/channels/wechat` refuses every request.",
    )
    wechat_encoding_aes_key: str | None = Field(
        None, pattern=r"^[A-Za-z0-9]{43}$", description="EncodingAESKey (消息加解密密钥, 43 characters) of an "
        "account in 安全模式 or 兼容模式; unset, encrypted pushes (`encrypt_type=aes`) are refused.",
    )
    wechat_app_id: str | None = Field(
        None, description="AppID of the Official Account: an encrypted push must name it (with "
        "`KEFU_WECHAT_ENCODING_AES_KEY`); with `KEFU_WECHAT_SECRET` it fetches the access token for replies.",
    )
    weibo_app_secret: str | None = Field(
        None, description="App secret of the Weibo 粉丝服务平台 app that signs message pushes; unset, "
        "`/api/v1/channels/weibo` refuses every request.",
    )
    wechat_secret: str | None = Field(
        None, description="AppSecret of the Official Account (with `KEFU_WECHAT_APP_ID`): agents' replies and "
        "survey invitations go to WeChat customers through the customer-service message API; unset, they are "
        "not sent (and show as failed).",
    )
    wechat_api_base: str = Field(
        "https://api.weixin.qq.com", description="Base URL of the WeChat Official Account API (access token and "
        "customer-service messages).",
    )
    weibo_access_token: str | None = Field(
        None, description="Access token of the Weibo 粉丝服务平台 (高级功能 → 开发模式) for private-message "
        "replies to fans; unset, agents' replies to Weibo customers are not sent (and show as failed).",
    )
    weibo_api_base: str = Field(
        "https://m.api.weibo.com", description="Base URL of the Weibo 粉丝服务 API (`/2/messages/reply.json`).",
    )
    channel_send_attempts: int = Field(
        6, ge=1, description="Tries of one WeChat / Weibo message before it is given up as failed (backoff "
        "doubling from 30 s, at most an hour apart).",
    )
    webhook_max_bytes: int = Field(
        65536, ge=1024, description="Largest WeChat / Weibo push accepted, in bytes (413 above).",
    )
    webhook_max_skew_seconds: int = Field(
        300, ge=1, description="A signed push whose timestamp is further than this from the clock is refused "
        "as a replay.",
    )
    chat_idle_prompt_seconds: int = Field(
        180, ge=1, description="Chat idle flow: customer silence after the agent's answer before the system asks "
        "whether they have other questions or are still there (a queue may set its own).",
    )
    chat_idle_close_seconds: int = Field(
        120, ge=1, description="Further silence after the idle prompt before the standard closing is sent and the "
        "chat closes (a queue may set its own).",
    )
    chat_first_reply_seconds: int = Field(
        60, ge=1, description="An assigned chat without an agent reply this long alerts the agent's team leader "
        "(a queue may set its own).",
    )
    chat_disconnect_grace_seconds: int = Field(
        60, ge=1, description="How long a disconnected agent keeps their chats before they go back to the front "
        "of the queue.",
    )
    chat_queue_timeout_seconds: int = Field(
        300, ge=1, description="A customer waiting this long is offered a callback or to leave a message (留言) "
        "(a queue may set its own).",
    )
    chat_returning_hold_seconds: int = Field(
        30, ge=0, description="熟客优先: how long a returning customer is held for the busy agent who served them "
        "last before any other eligible agent takes them.",
    )
    chat_trainees_pick: bool = Field(
        False, description="Let trainees (新入职) pick customers out of the chat queue themselves instead of being "
        "assigned; everyone else is always assigned automatically.",
    )
    bot_rate_window_seconds: int = Field(
        60, ge=1, description="Self-service bot rate limit: the window (seconds) the two limits below count in.",
    )
    bot_rate_per_visitor: int = Field(
        30, ge=1, description="Self-service bot rate limit: calls one bot conversation (one visitor) may make per "
        "window; past it, HTTP 429 in the widget's language. Shared by all processes when `KEFU_REDIS_URL` is set.",
    )
    bot_rate_per_ip: int = Field(
        120, ge=1, description="Self-service bot rate limit: calls from one client IP address per window, new "
        "conversations included (HTTP 429 past it).",
    )
    log_level: str = Field("INFO", description="Log level of the server and worker.")
    alert_rules_file: str | None = Field(
        None, description="Complaint-spike alert rules (YAML) used until rules are saved through the API; unset: "
        "the packaged default rules (SPEC M6).",
    )
    alert_ack_minutes: float = Field(
        15, gt=0, description="An alert not acknowledged within this many minutes goes to the next role.",
    )
    alert_escalation_roles: str = Field(
        "admin", description="Comma-separated roles an unacknowledged alert goes to, one more each "
        "`KEFU_ALERT_ACK_MINUTES` (team leaders and supervisors hear of it at once).",
    )
    alert_webhook_url: str | None = Field(
        None, description="Receiver of alert webhooks (POST, JSON, HMAC-SHA256 signed); unset: none sent.",
    )
    alert_webhook_secret: str | None = Field(
        None, description="Secret for the `X-Kefu-Signature` HMAC of alert webhooks.",
    )
    # KPIs and satisfaction (kefu.reports, kefu.satisfaction): changing a threshold needs `kefu report rebuild`
    service_level_seconds: int = Field(
        20, ge=0, description="Service level's T: a contact answered within this many seconds counts as in "
        "service level (80/20 means 80% within 20 s).",
    )
    short_abandon_seconds: int = Field(
        0, ge=0, description="Abandons shorter than this are left out of offered and abandoned (0: all count).",
    )
    kpi_targets: str = Field(
        "answer_rate=0.95±0.03,abandonment_rate=0.05±0.02,service_level=0.80±0.05,asa_seconds=20±10,"
        "aht_seconds=300±60,satisfaction_rate=0.95±0.02,fcr=0.80±0.05,resolution_72h_rate=0.90±0.05",
        description="Each KPI's target and tolerance, `kpi=value±tolerance` comma-separated; a deviation "
        "(偏离程度) outside the tolerance is flagged.",
    )
    survey_link_days: int = Field(
        14, ge=1, description="How long a signed satisfaction-survey link (e-mail, WeChat) may be used, in days.",
    )
    survey_invite: bool = Field(
        True, description="Send the customer one satisfaction-survey invitation (a signed link) when an e-mail, "
        "WeChat or Weibo ticket is resolved or closed, by the same channel.",
    )
    survey_invite_delay_minutes: float = Field(
        30, ge=0, description="How long after the ticket is resolved the survey invitation goes out (a ticket "
        "reopened meanwhile gets it when resolved again).",
    )
    public_url: str = Field(
        "http://localhost:8000", description="Address at which customers reach kefu: the start of the survey "
        "links sent in e-mail, WeChat and Weibo.",
    )
    gc_threshold: str = Field(
        "10000,20,10", description="The server process's garbage-collector thresholds (gen0,gen1,gen2; empty: "
        "Python's 700,10,10). With thousands of chat sockets open, Python's default collects the youngest objects "
        "so often that short-lived ones are promoted and a full collection of every socket's objects (hundreds of "
        "milliseconds) follows every few seconds; a larger first threshold lets them die young. The objects made "
        "at start-up are frozen out of collection either way (kefu.core.gc).",
    )

    @field_validator("gc_threshold")
    @classmethod
    def _gc_threshold_parse(cls, value: str) -> str:
        from kefu.core.gc import parse_threshold

        parse_threshold(value)  # a ValueError names the bad part
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh-CN", "en"):
            raise ValueError("KEFU_DEFAULT_LANGUAGE must be zh-CN or en")
        return value

    @field_validator("kpi_targets")
    @classmethod
    def _targets_parse(cls, value: str) -> str:
        from kefu.reports.targets import parse_targets

        parse_targets(value)  # a ValueError names the bad part
        return value

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.env != "development" and self.secret_key == DEV_SECRET:
            raise ValueError("KEFU_SECRET_KEY must be set to a real secret outside development")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def allowed_attachment_types(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.attachment_types.split(",") if t.strip())

    def compensation_limit_for(self, role: str) -> int:
        """Largest grant in fen (分) for ``role``."""
        for part in self.compensation_limits.split(","):
            name, _, amount = part.partition("=")
            if name.strip() == role:
                return round(float(amount) * 100)
        return 0


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The configuration table of the README and docs/settings.md, made from this class."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        default = info.default
        shown = "—" if default is None else f"`{default}`"
        if name == "attachment_types":
            shown = "images, PDF, text, CSV, Office, audio"
        rows.append(f"| `KEFU_{name.upper()}` | {shown} | {info.description} |")
    return "\n".join(rows)
