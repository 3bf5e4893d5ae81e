"""What the channel adapters keep: every inbound message once (dedupe, dead letters), e-mail threading,
IMAP progress, and regulator cases with their replies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.contacts.models import ContactId
from kefu.core.db import Base, UTCDateTime

INBOUND_STATUSES = ("processed", "ignored", "dead")  # ignored: auto-replies, bounces, duplicates by content


class InboundMessage(Base):
    """One message a channel received, keyed by the platform's id: a replay or a re-delivery is stored once;
    one that could not be parsed or applied is kept raw as a dead letter (``status='dead'``) to re-process."""

    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | wechat | weibo | …
    external_id: Mapped[str] = mapped_column(String(255))  # Message-ID, MsgId, the Weibo message id
    status: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept for dead letters (re-processing)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ContactId, ForeignKey("contacts.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbound_channel_external"),
        Index("ix_inbound_status_received", "status", "received_at"),
    )


class MailThread(Base):
    """Every Message-ID kefu has seen or sent for a ticket: a reply's In-Reply-To / References find it."""

    __tablename__ = "mail_threads"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MailboxState(Base):
    """How far the IMAP poller got in one mailbox (UIDs are only meaningful under one UIDVALIDITY)."""

    __tablename__ = "mailbox_states"
    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(255))  # user@host
    mailbox: Mapped[str] = mapped_column(String(255))
    # IMAP UIDs and UIDVALIDITY are unsigned 32-bit numbers: past PostgreSQL's INTEGER
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("account", "mailbox", name="uq_mailbox_states_account_mailbox"),)


class RegulatorCase(Base):
    """A complaint passed on by a regulator (12315, 工商局/市场监管局) or raised internally, and the reply sent
    back to the regulator."""

    __tablename__ = "regulator_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(String(20))  # 12315 | amr (工商/市场监管) | internal | other
    case_number: Mapped[str | None] = mapped_column(String(64))  # the regulator's own number
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_body: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # internal feedback: the front-line ticket it could not solve, and who raised it
    original_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("source", "case_number", name="uq_regulator_cases_source_number"),
        Index("ix_regulator_cases_received", "received_at"),
        Index("ix_regulator_cases_open_due", "replied_at", "reply_due_at"),
    )


OUTBOUND_STATES = ("pending", "sent", "failed")  # failed: given up (refused for good, or out of tries)


class OutboundMessage(Base):
    """A text kefu sends a customer on a messaging channel (WeChat, Weibo): an agent's reply or a survey
    invitation. Written with the reply, in its transaction; sent by the timer worker (``channel_send``
    timer), retried with backoff, given up as ``failed`` after ``KEFU_CHANNEL_SEND_ATTEMPTS`` tries."""

    __tablename__ = "outbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # wechat | weibo
    purpose: Mapped[str] = mapped_column(String(10))  # reply | survey
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    ticket_message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id", ondelete="SET NULL"),
                                                          unique=True)
    recipient: Mapped[str] = mapped_column(String(64))  # the openid / Weibo uid (never logged)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # a text longer than the platform takes goes in pieces: how many are out (a retry sends the rest)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbound_messages_ticket", "ticket_id", "id"),
                      Index("ix_outbound_messages_state_created", "state", "created_at"))


class ChannelToken(Base):
    """A platform's access token, kept until it expires (WeChat allows 2,000 fetches a day and a new fetch
    voids the old token after five minutes: every worker shares this one)."""

    __tablename__ = "channel_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)  # wechat:<appid>
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
