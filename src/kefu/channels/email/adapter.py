"""The e-mail channel adapter: a raw message in, the intake's ``InboundItem`` out, loops and failures kept.

``take`` is what the SMTP receiver and the IMAP poller call for each message, inside the caller's
transaction: an auto-reply or a bounce is recorded with ``intake.ignore`` and never answered; anything
else goes through ``intake.receive`` in a SAVEPOINT, and a message that fails there is kept raw with
``intake.dead_letter`` — except when the database itself is in trouble, which the caller must see (the
SMTP receiver answers 451 so the sender retries; the poller stops and tries again next round).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from kefu.channels import intake
from kefu.channels.base import InboundAttachment, InboundItem, register
from kefu.channels.email.parse import ParsedMail, message_id_of, parse, stable_id
from kefu.core.pii import scrub_text
from kefu.core.settings import get_settings

log = logging.getLogger("kefu.mail")
CHANNEL = "email"
TRANSIENT = (OperationalError, InterfaceError)  # the database is down or busy: retry, do not dead-letter


@dataclass
class Taken:
    status: str  # created | joined | duplicate | ignored | dead
    message_id: str
    ticket_id: int | None = None
    reason: str | None = None


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 1048576 else f"{-(-size // 1024)} KB"


def to_item(mail: ParsedMail, *, received_at: datetime | None = None) -> InboundItem:
    """The intake item for a parsed message. Attachments the ticket cannot take (too big, a type not
    accepted, empty) are left out and named at the end of the message, so an agent knows to ask."""
    settings = get_settings()
    kept, notes = [], []
    for att in mail.attachments:
        ctype = att.content_type.lower()
        if len(att.data) > settings.max_attachment_bytes:
            notes.append(f"附件「{att.filename}」({_mb(len(att.data))})超过 {_mb(settings.max_attachment_bytes)} "
                         f"上限,未保存")
        elif ctype not in settings.allowed_attachment_types:
            notes.append(f"附件「{att.filename}」类型 {ctype} 不在允许范围内,未保存")
        elif att.data:
            kept.append(InboundAttachment(filename=att.filename, content_type=ctype, data=att.data))
    body = mail.body or ("(无正文,见附件)" if kept else "(无正文)")
    if notes:
        body += "\n\n" + "\n".join(f"〔系统〕{n}" for n in notes)
    return InboundItem(channel=CHANNEL, external_id=mail.message_id,
                       received_at=received_at or mail.date or datetime.now(UTC), body=body,
                       subject=mail.subject, sender_name=mail.sender_name, email=mail.sender,
                       thread_ids=mail.thread_ids, ticket_hint=mail.ticket_hint, attachments=kept)


class EmailAdapter:
    channel = CHANNEL

    def parse_raw(self, raw: bytes) -> list[InboundItem]:
        """Re-processing a dead letter: the message again, as the receiver would have taken it (an
        auto-reply gives nothing)."""
        mail = parse(raw)
        return [] if mail.loop_reason else [to_item(mail)]


ADAPTER = register(EmailAdapter())


def _external_id(raw: bytes) -> str:
    try:
        from email import policy
        from email.parser import BytesHeaderParser

        return message_id_of(BytesHeaderParser(policy=policy.default).parsebytes(raw), raw)
    except Exception:
        return stable_id(raw)


def take(session: Session, raw: bytes, *, now: datetime, bounce: bool = False) -> Taken:
    """Take one raw message (see the module docstring). ``bounce``: the SMTP envelope sender was empty
    (``MAIL FROM:<>``), which only delivery reports use."""
    try:
        mail = parse(raw)
    except Exception as exc:
        return _dead(session, raw, _external_id(raw), exc, now)
    reason = mail.loop_reason or ("empty envelope sender (a bounce)" if bounce else None)
    if reason:
        intake.ignore(session, channel=CHANNEL, external_id=mail.message_id, reason=reason, now=now)
        log.info("ignored %s: %s", mail.message_id, reason)
        return Taken(status="ignored", message_id=mail.message_id, reason=reason)
    try:
        with session.begin_nested():
            got = intake.receive(session, to_item(mail, received_at=now), now=now)
    except TRANSIENT:
        raise
    except Exception as exc:
        return _dead(session, raw, mail.message_id, exc, now)
    return Taken(status=got.status, message_id=mail.message_id, ticket_id=got.ticket_id)


def _dead(session: Session, raw: bytes, external_id: str, exc: Exception, now: datetime) -> Taken:
    error = f"{type(exc).__name__}: {exc}"
    intake.dead_letter(session, channel=CHANNEL, external_id=external_id, raw=raw, error=error, now=now)
    return Taken(status="dead", message_id=external_id, reason=scrub_text(error)[:200])
