"""Replies mailed to the customer: an agent's customer-visible reply on an e-mail ticket goes out by SMTP.

Durable: saving the reply schedules an ``email_reply`` timer in the same transaction (so a reply that is
saved is sent even if the process dies a moment later), and the timer worker sends it, retrying with
backoff when the SMTP server is away. The Message-ID is derived from the reply (and signed with the
secret key, so nobody can guess one to join a stranger's ticket): a retry after a crash between sending
and committing sends the same Message-ID, which the customer's client shows once. The subject carries
the ticket number (``[工单#123]``) and In-Reply-To / References point at the customer's last message, so
their answer joins the ticket however their client threads.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels import intake
from kefu.channels.email.parse import TICKET_IN_SUBJECT, one_line
from kefu.channels.models import MailThread
from kefu.core.errors import Invalid
from kefu.core.settings import Settings, get_settings
from kefu.customers.models import Customer
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage
from kefu.timers import service as timers
from kefu.timers.models import Timer

log = logging.getLogger("kefu.mail")
KIND = "email_reply"
REFERENCES = 10  # Message-IDs kept in References


def queue_reply(session: Session, ticket: Ticket, message: TicketMessage) -> None:
    """The reply hook: an e-mail ticket's customer-visible reply is sent by the timer worker."""
    if ticket.channel != "email" or message.internal or not get_settings().smtp_host:
        return
    timers.schedule(session, kind=KIND, ref_id=message.id, due_at=message.created_at)


tickets.REPLY_HOOKS.append(queue_reply)


def message_id_for(message: TicketMessage, settings: Settings) -> str:
    sign = hmac.new(settings.secret_key.encode(), f"reply:{message.id}".encode(), hashlib.sha256).hexdigest()[:16]
    return f"<kefu.{message.ticket_id}.{message.id}.{sign}@{_domain(settings)}>"


def _domain(settings: Settings) -> str:
    address = parseaddr(settings.mail_from)[1]
    return address.rpartition("@")[2] or "localhost"


def reply_subject(ticket: Ticket) -> str:
    subject = one_line(ticket.subject)
    if TICKET_IN_SUBJECT.search(subject) is None:
        subject = f"[工单#{ticket.id}] {subject}"
    return subject if subject.lower().startswith(("re:", "回复:", "回复：")) else f"Re: {subject}"


def compose(*, subject: str, body: str, to: str, to_name: str | None, message_id: str, in_reply_to: str | None,
            references: list[str], settings: Settings, date: datetime) -> EmailMessage:
    """The reply as it goes on the wire. A header value with CR or LF is refused (header injection)."""
    for field, value in (("subject", subject), ("to", to), ("to_name", to_name or "")):
        if "\r" in value or "\n" in value:
            raise Invalid(f"a line break is not allowed in the {field} of a mail", field=field)
    msg = EmailMessage(policy=SMTP)
    from_name, from_address = parseaddr(settings.mail_from)
    msg["From"] = Address(display_name=from_name, addr_spec=from_address)
    msg["To"] = Address(display_name=to_name or "", addr_spec=to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["Auto-Submitted"] = "no"
    msg.set_content(body, charset="utf-8", cte="base64")
    return msg


def _thread(session: Session, ticket_id: int) -> tuple[str | None, list[str]]:
    """The customer's last Message-ID on the ticket and the ticket's recent Message-IDs, oldest first."""
    rows = session.execute(select(MailThread.message_id, MailThread.direction)
                           .where(MailThread.ticket_id == ticket_id).order_by(MailThread.id.desc())
                           .limit(REFERENCES)).all()
    last_inbound = next((mid for mid, direction in rows if direction == "inbound"), None)
    return last_inbound, [mid for mid, _ in reversed(rows)]


def send(msg: EmailMessage, settings: Settings) -> None:
    if not settings.smtp_host:
        raise RuntimeError("KEFU_SMTP_HOST is not set: the reply waits until it is")
    context = ssl.create_default_context()
    if settings.smtp_ssl:
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=60, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=60)
    with smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)


@timers.handler(KIND)
def send_reply(session: Session, timer: Timer, now: datetime) -> None:
    """Mail one saved reply to the ticket's customer (a failure raises: the worker retries with backoff)."""
    message = session.get(TicketMessage, timer.ref_id)
    if message is None or message.internal:
        return
    ticket = session.get(Ticket, message.ticket_id)
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer is None or not customer.email:
        log.warning("reply %s on ticket %s not mailed: the customer has no e-mail address", message.id, ticket.id)
        return
    settings = get_settings()
    in_reply_to, references = _thread(session, ticket.id)
    message_id = message_id_for(message, settings)
    msg = compose(subject=reply_subject(ticket), body=message.body, to=customer.email, to_name=customer.name,
                  message_id=message_id, in_reply_to=in_reply_to, references=references, settings=settings,
                  date=message.created_at)
    send(msg, settings)
    intake.remember_outbound(session, message_id=message_id, ticket_id=ticket.id, now=now)
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=None, actor_name="系统", kind="email_sent",
                            data={"message_id": message.id}))
    log.info("reply %s on ticket %s mailed", message.id, ticket.id)
