"""Replies mailed to the customer: an agent's customer-visible reply on an e-mail ticket goes out by SMTP.

Durable: saving the reply schedules an ``email_reply`` timer in the same transaction (so a reply that is
saved is sent even if the process dies a moment later), and the timer worker sends it, retrying with
backoff when the SMTP server is away or answers 4xx. A permanent refusal (5xx, or the recipient refused
with 5xx) is not retried; it, or the last attempt failing, puts 邮件发送失败 in the ticket's history and
notifies the agent who wrote the reply. The Message-ID is derived from the reply (and signed with the
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
from kefu.core.context import Actor
from kefu.core.errors import Invalid
from kefu.core.pii import mask_email, scrub_text
from kefu.core.settings import Settings, get_settings
from kefu.customers.models import Customer
from kefu.notifications.service import notify
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
    return signed_message_id(f"{message.ticket_id}.{message.id}", f"reply:{message.id}", settings)


def signed_message_id(local: str, purpose: str, settings: Settings) -> str:
    """``<kefu.{local}.{signature}@domain>``: the same every time for one mail (a retry after a crash sends
    the same id), and not guessable (it joins a ticket when the customer answers it)."""
    sign = hmac.new(settings.secret_key.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:16]
    return f"<kefu.{local}.{sign}@{_domain(settings)}>"


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


def mail_customer(session: Session, *, ticket: Ticket, customer: Customer, body: str, message_id: str,
                  date: datetime, now: datetime) -> None:
    """Mail ``body`` to the ticket's customer as the next message of the ticket's thread (subject with the ticket
    number, In-Reply-To their last mail), and remember its Message-ID so that their answer joins the ticket.
    SMTP errors are raised to the caller."""
    settings = get_settings()
    in_reply_to, references = _thread(session, ticket.id)
    msg = compose(subject=reply_subject(ticket), body=body, to=customer.email, to_name=customer.name,
                  message_id=message_id, in_reply_to=in_reply_to, references=references, settings=settings,
                  date=date)
    send(msg, settings)
    intake.remember_outbound(session, message_id=message_id, ticket_id=ticket.id, now=now)


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
    message_id = message_id_for(message, settings)
    try:
        mail_customer(session, ticket=ticket, customer=customer, body=message.body, message_id=message_id,
                      date=message.created_at, now=now)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        if not permanent(exc):
            raise  # 4xx: the worker retries with backoff
        timer.status, timer.last_error = "failed", scrub_text(f"{type(exc).__name__}: {exc}")[:2000]
        log.warning("reply %s on ticket %s refused for good: %s", message.id, ticket.id, timer.last_error)
        reply_failed(session, message=message, ticket=ticket, error=smtp_reason(exc, customer.email), now=now)
        return
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=None, actor_name="系统", kind="email_sent",
                            data={"message_id": message.id}))
    log.info("reply %s on ticket %s mailed", message.id, ticket.id)


def permanent(exc: Exception) -> bool:
    """A refusal that a retry cannot change: a 5xx answer, or the recipient refused with 5xx. A failed login
    (535) is kefu's configuration, fixed by an admin: retried like a temporary error."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(500 <= code < 600 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def smtp_reason(exc: Exception, address: str) -> str:
    """The server's answer, short and without the customer's address in full."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, text = exc.smtp_code, exc.smtp_error
    else:
        code, text = None, str(exc).encode()
    reason = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else str(text)
    reason = scrub_text(reason.replace(address, mask_email(address)))
    return (f"{code} {reason}" if code else reason)[:300]


def reply_failed(session: Session, *, message: TicketMessage, ticket: Ticket, error: str, now: datetime,
                 attempts: int | None = None) -> None:
    """The reply will not reach the customer: a line in the ticket's history (``attempts`` when it was
    given up after retrying) and a notice to its author."""
    data = {"message_id": message.id, "error": error} | ({"attempts": attempts} if attempts else {})
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=None, actor_name="系统", kind="email_failed",
                            data=data))
    tried = f"(已尝试 {attempts} 次)" if attempts else ""
    notify(session, actor=Actor.system(now), user_ids=[message.author_id], kind="email.failed",
           title=f"工单 #{ticket.id} 的回复邮件未能发给客户{tried}", body=error, ticket_id=ticket.id,
           dedupe=f"email_failed:{message.id}")


@timers.on_give_up(KIND)
def reply_given_up(session: Session, timer: Timer, now: datetime) -> None:
    """The last attempt failed (the SMTP server away for the whole backoff, or 4xx every time)."""
    message = session.get(TicketMessage, timer.ref_id)
    if message is None:
        return
    ticket = session.get(Ticket, message.ticket_id)
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    error = timer.last_error or ""
    if customer is not None and customer.email:
        error = error.replace(customer.email, mask_email(customer.email))
    reply_failed(session, message=message, ticket=ticket, error=error[:300], now=now, attempts=timer.attempts)
