"""Writing back to a WeChat customer: the Official Account's customer-service message API (客服消息).

    GET  {base}/cgi-bin/token?grant_type=client_credential&appid=APPID&secret=SECRET
         → {"access_token": "…", "expires_in": 7200}
    POST {base}/cgi-bin/message/custom/send?access_token=TOKEN
         {"touser": "OPENID", "msgtype": "text", "text": {"content": "…"}}  → {"errcode": 0, "errmsg": "ok"}

The access token is kept in ``channel_tokens`` until five minutes before it expires (every worker shares it:
the platform limits fetches to 2,000 a day, and a fetch voids the previous token), and fetched again when
the platform says it is invalid or expired (errcode 40001, 40014, 42001), then the message is tried once more.
A customer can be written to for 48 hours after their last message: a closed window (45015), an unfollowed
account (43004), an unknown openid (40003) or a refused text (45002 too long, 45047 too many replies) is
permanent; everything else (-1 busy, the account's credentials or IP allowlist) is retried.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.channels.base import SendError, register_sender
from kefu.channels.http import call_json
from kefu.channels.models import ChannelToken
from kefu.core.settings import get_settings

LABEL = "the WeChat API"
TOKEN_INVALID = {40001, 40014, 42001}
PERMANENT = {40003, 43004, 43019, 45002, 45015, 45047}
EARLY = timedelta(minutes=5)  # a token is fetched again this long before it expires
TEXT_LIMIT = 680  # a text message stays under 2,048 bytes of UTF-8 (3 bytes a Chinese character)


def _base() -> str:
    return get_settings().wechat_api_base.rstrip("/")


def _key() -> str:
    return f"wechat:{get_settings().wechat_app_id}"


def _errcode(answer: dict) -> int:
    try:
        return int(answer.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def _fetch_token(session: Session, now: datetime) -> str:
    settings = get_settings()
    query = urlencode({"grant_type": "client_credential", "appid": settings.wechat_app_id,
                       "secret": settings.wechat_secret})
    answer = call_json(f"{_base()}/cgi-bin/token?{query}", label=LABEL)
    token, expires_in = answer.get("access_token"), answer.get("expires_in")
    if not token or _errcode(answer):
        raise SendError(f"WeChat refused the access token: errcode {_errcode(answer)} "
                        f"{str(answer.get('errmsg', ''))[:100]}")
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        seconds = 7200
    expires_at = now + timedelta(seconds=seconds) - EARLY
    dialect = session.get_bind().dialect.name
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(ChannelToken)
    session.execute(insert.on_conflict_do_update(
        index_elements=[ChannelToken.key],
        set_={"token": insert.excluded.token, "expires_at": insert.excluded.expires_at,
              "updated_at": insert.excluded.updated_at}),
        {"key": _key(), "token": token, "expires_at": expires_at, "updated_at": now})
    return token


def access_token(session: Session, now: datetime, *, fresh: bool = False) -> str:
    """The account's access token: the stored one while it is valid, else (or with ``fresh``) a new one."""
    if not fresh:
        row = session.execute(select(ChannelToken.token, ChannelToken.expires_at)
                              .where(ChannelToken.key == _key())).first()
        if row is not None and row.expires_at > now:
            return row.token
    return _fetch_token(session, now)


class WeChatSender:
    channel = "wechat"
    text_limit = TEXT_LIMIT

    def configured(self) -> bool:
        settings = get_settings()
        return bool(settings.wechat_app_id and settings.wechat_secret)

    def send_text(self, session: Session, *, recipient: str, text: str, now: datetime) -> None:
        body = json.dumps({"touser": recipient, "msgtype": "text", "text": {"content": text}},
                          ensure_ascii=False).encode("utf-8")
        token = access_token(session, now)
        for fresh in (False, True):
            answer = call_json(f"{_base()}/cgi-bin/message/custom/send?access_token={quote(token, safe='')}",
                               label=LABEL, data=body, content_type="application/json; charset=utf-8")
            code = _errcode(answer)
            if code == 0:
                return
            if code in TOKEN_INVALID and not fresh:
                token = access_token(session, now, fresh=True)
                continue
            reason = f"WeChat errcode {code}: {str(answer.get('errmsg', ''))[:100]}"
            raise SendError(reason, permanent=code in PERMANENT)


sender = register_sender(WeChatSender())
