"""One intake for every channel: stored once, customer matched, ticket joined or opened, contact recorded.

``receive`` runs inside the caller's transaction. The ``inbound_messages`` row (unique by channel and the
platform's message id) is written first in a SAVEPOINT, so a replay, a re-delivery after a crash or a
second worker seeing the same message stops there: every message takes effect exactly once. A message
that fails is kept raw as a dead letter (``dead_letter``), visible to admins and re-processed with
``reprocess`` once the cause is fixed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.catalog.models import Category
from kefu.channels.base import ADAPTERS, InboundItem
from kefu.channels.models import InboundMessage, MailThread
from kefu.contacts import events as contact_events
from kefu.contacts.models import Contact
from kefu.core.context import Actor
from kefu.core.errors import NotFound
from kefu.core.pii import scrub_text
from kefu.customers.service import match_or_create
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket

log = logging.getLogger("kefu.channels")
SUBJECT_CHARS = 60


@dataclass
class Received:
    status: str  # created (a new ticket) | joined (an existing ticket) | duplicate
    inbound_id: int | None
    ticket_id: int | None = None
    contact_id: int | None = None


def _claim(session: Session, item: InboundItem, now: datetime) -> InboundMessage | None:
    """The message's row, or None if this channel already took a message with this id."""
    existing = session.scalar(select(InboundMessage).where(InboundMessage.channel == item.channel,
                                                           InboundMessage.external_id == item.external_id))
    if existing is not None and existing.status != "dead":
        return None
    if existing is not None:  # a dead letter being re-processed
        existing.attempts += 1
        return existing
    row = InboundMessage(channel=item.channel, external_id=item.external_id, status="processed", raw=None,
                         received_at=now, attempts=1)
    return row if _add_once(session, row) else None  # not added: another worker stored it a moment ago


def _add_once(session: Session, row: InboundMessage) -> bool:
    """Insert ``row`` in a SAVEPOINT; False if its (channel, external_id) is already stored."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _find_ticket(session: Session, item: InboundItem, customer_id: int) -> Ticket | None:
    if item.ticket_hint is not None:
        ticket = session.get(Ticket, item.ticket_hint)
        if ticket is not None and ticket.customer_id == customer_id:  # a quoted number of someone else's: new
            return ticket
    if item.thread_ids:
        # only the ticket's own customer joins it: a Message-ID is not a secret (it travels in every copy
        # and quote of a mail), so a stranger quoting it gets a ticket of their own
        ticket = session.scalar(select(Ticket).join(MailThread, MailThread.ticket_id == Ticket.id)
                                .where(MailThread.message_id.in_(item.thread_ids), Ticket.customer_id == customer_id)
                                .order_by(MailThread.id.desc()).limit(1))
        if ticket is not None:
            return ticket
    if item.join_open_ticket:
        return session.scalar(select(Ticket).where(Ticket.customer_id == customer_id,
                                                   Ticket.channel == item.channel, Ticket.is_active.is_(True))
                              .order_by(Ticket.id.desc()).limit(1))
    return None


def _subject(item: InboundItem) -> str:
    text = (item.subject or "").strip() or " ".join(item.body.split())[:SUBJECT_CHARS] or "(无内容)"
    return text[:200]


def receive(session: Session, item: InboundItem, *, now: datetime) -> Received:
    """Take one inbound message (see the module's docstring). Raises on failure; the caller decides
    between retrying and ``dead_letter``."""
    claimed = _claim(session, item, now)
    if claimed is None:
        return Received(status="duplicate", inbound_id=None)
    customer = match_or_create(session, now=now, phone=item.phone, email=item.email, openid=item.openid,
                               name=item.sender_name, role=item.customer_role)
    ticket = _find_ticket(session, item, customer.id)
    author = item.sender_name or customer.name
    if ticket is not None and ticket.status != "closed":
        tickets.add_customer_message(session, ticket=ticket, body=item.body, author_name=author, now=now,
                                     via=item.channel)
        status = "joined"
    else:
        category_id = None
        if item.category_code:
            category_id = session.scalar(select(Category.id).where(Category.code == item.category_code))
        data = {"subject": _subject(item), "description": item.body, "customer_id": customer.id,
                "channel": item.channel, "priority": item.priority, "complaint_type": item.complaint_type,
                "category_id": category_id}
        ticket = tickets.create_ticket(session, actor=Actor.system(now), data=data)
        session.flush()
        status = "created"
    actor = Actor.system(now)
    for att in item.attachments:
        tickets.add_attachment(session, actor=actor, ticket=ticket, filename=att.filename,
                               content_type=att.content_type, data=att.data)
    if item.channel == "email":
        _remember_thread(session, item.external_id, ticket.id, "inbound", now)
    contact = Contact(channel=item.channel, external_id=item.external_id, direction="inbound",
                      customer_id=customer.id, customer_role=customer.role, category_id=ticket.category_id,
                      business_line_id=ticket.business_line_id, offered_at=item.received_at, outcome="answered",
                      ticket_id=ticket.id, created_at=now)
    contact_events.text_for(contact, " ".join(t for t in (item.subject, item.body) if t)[:2000])
    session.add(contact)
    session.flush()
    claimed.status, claimed.error, claimed.raw = "processed", None, None
    claimed.ticket_id, claimed.contact_id, claimed.processed_at = ticket.id, contact.id, now
    return Received(status=status, inbound_id=claimed.id, ticket_id=ticket.id, contact_id=contact.id)


def _remember_thread(session: Session, message_id: str, ticket_id: int, direction: str, now: datetime) -> None:
    if not session.scalar(select(MailThread.id).where(MailThread.message_id == message_id)):
        session.add(MailThread(message_id=message_id, ticket_id=ticket_id, direction=direction, created_at=now))


def remember_outbound(session: Session, *, message_id: str, ticket_id: int, now: datetime) -> None:
    """A Message-ID kefu sent for ``ticket_id``: the customer's reply to it joins that ticket."""
    _remember_thread(session, message_id, ticket_id, "outbound", now)


def ignore(session: Session, *, channel: str, external_id: str, reason: str, now: datetime) -> bool:
    """Record a message deliberately not taken (an auto-reply, a bounce) so it is not looked at again.
    False if it was already recorded."""
    return _add_once(session, InboundMessage(channel=channel, external_id=external_id, status="ignored",
                                             error=reason, received_at=now, processed_at=now, attempts=1))


def dead_letter(session: Session, *, channel: str, external_id: str, raw: bytes | None, error: str,
                now: datetime) -> InboundMessage:
    """Keep a message that could not be taken, raw, to look at and re-process (the error text is scrubbed
    of phone and ID numbers: it is shown to admins and may be logged)."""
    row = session.scalar(select(InboundMessage).where(InboundMessage.channel == channel,
                                                      InboundMessage.external_id == external_id))
    if row is None:
        row = InboundMessage(channel=channel, external_id=external_id, received_at=now, attempts=1)
        session.add(row)
    elif row.status != "dead":
        return row  # it was taken after all
    row.status, row.raw, row.error = "dead", raw if raw is not None else row.raw, scrub_text(error)[:2000]
    session.flush()
    log.warning("dead letter on %s: %s", channel, scrub_text(error)[:200])
    return row


def reprocess(session: Session, *, inbound_id: int, now: datetime) -> list[Received]:
    """Parse a dead letter's raw message again with its channel's adapter and take it."""
    row = session.get(InboundMessage, inbound_id)
    if row is None or row.status != "dead":
        raise NotFound(f"no dead letter {inbound_id}")
    adapter = ADAPTERS.get(row.channel)
    if adapter is None or row.raw is None:
        raise NotFound(f"dead letter {inbound_id} cannot be re-processed (no adapter or no raw message)")
    results = []
    for item in adapter.parse_raw(row.raw):
        item.external_id = item.external_id or row.external_id
        results.append(receive(session, item, now=now))
    return results
