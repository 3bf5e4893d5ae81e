"""Survey invitations (满意度调查邀请): when an e-mail, WeChat or Weibo conversation ends, its customer gets one
signed survey link by the same channel.

A ticket on those channels becoming resolved or closed schedules a ``survey_invite`` timer
``KEFU_SURVEY_INVITE_DELAY_MINUTES`` later (in the status change's transaction); reopening it before then
cancels the timer, resolving it again schedules it anew. When the timer fires, the invitation names the
conversation's last contact from the customer (what the survey rates) and goes out in Chinese, or in English
when everything the customer wrote is in a Latin script: by e-mail as the next mail of the ticket's thread
(the SMTP outbound of replies), on WeChat / Weibo through the outbox. The ``survey_invitations`` row, unique
per ticket and written with the sending, makes it one invitation per conversation: a resolve → reopen →
resolve sends no second one, and a conversation already rated sends none.

The link is ``KEFU_PUBLIC_URL/survey/<token>`` (``kefu.satisfaction.links``): opening it shows the question,
only the customer's POST votes, so a mail scanner that follows links cannot.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels import outbox
from kefu.channels.base import SENDERS
from kefu.channels.email import outbound as email_out
from kefu.contacts.models import Contact
from kefu.core.pii import mask_email, scrub_text
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.satisfaction import links
from kefu.satisfaction.models import SatisfactionRating, SurveyInvitation
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage
from kefu.tickets.search import _CJK as CJK_RANGES
from kefu.timers import service as timers
from kefu.timers.models import Timer
from kefu.web.i18n import translate

log = logging.getLogger("kefu.satisfaction")
KIND = "survey_invite"
CHANNELS = ("email", "wechat", "weibo")
ENDED = ("resolved", "closed")
_HAN = re.compile(f"[{CJK_RANGES}]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(texts: Iterable[str]) -> str:
    """``en`` when the customer wrote Latin letters and not one Chinese character, else ``zh-CN``."""
    latin = False
    for text in texts:
        if _HAN.search(text or ""):
            return "zh-CN"
        latin = latin or bool(_LATIN.search(text or ""))
    return "en" if latin else "zh-CN"


def invitation_text(*, lang: str, ticket_id: int, url: str, days: int) -> str:
    return translate("survey.invitation", lang).format(id=ticket_id, url=url, days=days)


def _sendable(ticket: Ticket) -> bool:
    settings = get_settings()
    if not settings.survey_invite or ticket.channel not in CHANNELS or ticket.merged_into_id:
        return False
    if ticket.channel == "email":
        return bool(settings.smtp_host)
    sender = SENDERS.get(ticket.channel)
    return sender is not None and sender.configured()  # no WeChat / Weibo credentials: no invitation


def on_status(session: Session, ticket: Ticket, old: str, new: str, now: datetime) -> None:
    """The status hook: schedule the invitation when the conversation ends, cancel it when it is reopened."""
    if ticket.channel not in CHANNELS:
        return
    if new not in ENDED:
        if old in ENDED:
            timers.cancel(session, kind=KIND, ref_id=ticket.id)
        return
    if old in ENDED or not _sendable(ticket):
        return
    if session.scalar(select(SurveyInvitation.id).where(SurveyInvitation.ticket_id == ticket.id)) is not None:
        return
    due = now + timedelta(minutes=get_settings().survey_invite_delay_minutes)
    timers.schedule(session, kind=KIND, ref_id=ticket.id, due_at=due)


tickets.STATUS_HOOKS.append(on_status)


def _last_contact(session: Session, ticket: Ticket) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.ticket_id == ticket.id, Contact.channel == ticket.channel,
                                                Contact.direction == "inbound")
                          .order_by(Contact.offered_at.desc(), Contact.id.desc()).limit(1))


def _rated(session: Session, ticket: Ticket) -> bool:
    rated = select(Contact.id).where(Contact.ticket_id == ticket.id, Contact.satisfaction.is_not(None))
    rows = select(SatisfactionRating.id).join(Contact, Contact.id == SatisfactionRating.contact_id).where(
        Contact.ticket_id == ticket.id)
    return session.scalar(rated.limit(1)) is not None or session.scalar(rows.limit(1)) is not None


def _customer_texts(session: Session, ticket: Ticket) -> list[str]:
    said = session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id,
                                                            TicketMessage.author_kind == "customer")).all()
    return [ticket.subject, ticket.description or "", *said]


def _record(session: Session, ticket: Ticket, now: datetime, *, state: str, contact: Contact | None = None,
            lang: str = "zh-CN", note: str | None = None, outbound_id: int | None = None) -> None:
    session.add(SurveyInvitation(ticket_id=ticket.id, contact_id=contact.id if contact else None,
                                 channel=ticket.channel, language=lang, state=state, note=note,
                                 outbound_id=outbound_id, created_at=now))


def _event(session: Session, ticket: Ticket, now: datetime, kind: str, **data) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=None, actor_name="系统", kind=kind, data=data))


@timers.handler(KIND)
def invite(session: Session, timer: Timer, now: datetime) -> None:
    """Send the ticket's one invitation. A temporary SMTP failure raises (the worker retries with backoff)."""
    ticket = session.get(Ticket, timer.ref_id)
    if ticket is None or ticket.status not in ENDED or not _sendable(ticket):
        return
    if session.scalar(select(SurveyInvitation.id).where(SurveyInvitation.ticket_id == ticket.id)) is not None:
        return
    contact = _last_contact(session, ticket)
    if contact is None:
        return _record(session, ticket, now, state="skipped", note="no contact from the customer to rate")
    if _rated(session, ticket):
        return _record(session, ticket, now, state="skipped", contact=contact, note="already rated")
    settings = get_settings()
    lang = language_of(_customer_texts(session, ticket))
    url = f"{settings.public_url.rstrip('/')}/survey/{links.make_token(contact.id, now=now)}"
    if lang == "en":
        url += "?lang=en"  # the page in English too
    text = invitation_text(lang=lang, ticket_id=ticket.id, url=url, days=settings.survey_link_days)
    if ticket.channel == "email":
        return _mail(session, ticket, contact, text, lang, now)
    row = outbox.enqueue(session, ticket=ticket, body=text, purpose="survey", now=now)
    if row is None:
        return _record(session, ticket, now, state="failed", contact=contact, lang=lang,
                       note=f"the customer has no {ticket.channel} id")
    _record(session, ticket, now, state="queued", contact=contact, lang=lang, outbound_id=row.id)
    _event(session, ticket, now, "survey_invited", channel=ticket.channel, contact_id=contact.id)


def _mail(session: Session, ticket: Ticket, contact: Contact, text: str, lang: str, now: datetime) -> None:
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer is None or not customer.email:
        return _record(session, ticket, now, state="failed", contact=contact, lang=lang,
                       note="the customer has no e-mail address")
    settings = get_settings()
    message_id = email_out.signed_message_id(f"{ticket.id}.survey", f"survey:{ticket.id}", settings)
    try:
        email_out.mail_customer(session, ticket=ticket, customer=customer, body=text, message_id=message_id,
                                date=now, now=now)
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        if not email_out.permanent(exc):
            raise
        reason = email_out.smtp_reason(exc, customer.email)
        log.warning("survey invitation for ticket %s refused for good: %s", ticket.id, reason)
        _record(session, ticket, now, state="failed", contact=contact, lang=lang, note=reason)
        return _event(session, ticket, now, "survey_failed", channel="email", error=reason)
    _record(session, ticket, now, state="sent", contact=contact, lang=lang)
    _event(session, ticket, now, "survey_invited", channel="email", contact_id=contact.id)
    log.info("survey invitation for ticket %s mailed", ticket.id)


@timers.on_give_up(KIND)
def given_up(session: Session, timer: Timer, now: datetime) -> None:
    """The SMTP server was away for the whole backoff: recorded, so that the history says so."""
    ticket = session.get(Ticket, timer.ref_id)
    if ticket is None or session.scalar(select(SurveyInvitation.id)
                                        .where(SurveyInvitation.ticket_id == ticket.id)) is not None:
        return
    error = scrub_text(timer.last_error or "")[:300]
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer is not None and customer.email:
        error = error.replace(customer.email, mask_email(customer.email))
    _record(session, ticket, now, state="failed", note=error)
    _event(session, ticket, now, "survey_failed", channel=ticket.channel, error=error)
