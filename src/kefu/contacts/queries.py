"""Reading contacts: the filtered list (newest offered first, by the ``offered_at`` indexes, a capped count)
and a contact as the API shows it (the customer's phone masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.catalog.models import BusinessLine, Category
from kefu.contacts.models import Contact
from kefu.contacts.schemas import ContactPublic
from kefu.core import pii
from kefu.core.errors import NotFound
from kefu.core.paging import page_count
from kefu.customers.models import Customer
from kefu.tickets.schemas import CategoryRef, CustomerRef, Ref

COUNT_CAP = 1_000  # as the ticket list: counting stops here ("1000+")


@dataclass
class ContactFilter:
    channel: str | None = None
    outcome: str | None = None
    queue: str | None = None
    category_id: int | None = None
    business_line_id: int | None = None
    customer_id: int | None = None
    agent_id: int | None = None
    ticket_id: int | None = None
    offered_from: datetime | None = None  # inclusive
    offered_to: datetime | None = None  # exclusive


def build_query(f: ContactFilter) -> Select:
    stmt = select(Contact.id)
    for column, value in ((Contact.channel, f.channel), (Contact.outcome, f.outcome), (Contact.queue, f.queue),
                          (Contact.category_id, f.category_id), (Contact.business_line_id, f.business_line_id),
                          (Contact.customer_id, f.customer_id), (Contact.agent_id, f.agent_id),
                          (Contact.ticket_id, f.ticket_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.offered_from is not None:
        stmt = stmt.where(Contact.offered_at >= f.offered_from)
    if f.offered_to is not None:
        stmt = stmt.where(Contact.offered_at < f.offered_to)
    return stmt


NEWEST = (Contact.offered_at.desc(), Contact.id.desc())


@dataclass
class ContactPage:
    rows: list[ContactPublic]
    count: int
    capped: bool


def page_contacts(session: Session, f: ContactFilter, *, limit: int, offset: int) -> ContactPage:
    """One page, newest offered first: ids in index order, then the rows and what they name, in a fixed
    number of queries whatever the page size."""
    stmt = build_query(f)
    ids = list(session.scalars(stmt.order_by(*NEWEST).limit(limit).offset(offset)))
    count, capped = page_count(session, stmt, found=len(ids), limit=limit, offset=offset, cap=COUNT_CAP)
    rows = session.scalars(select(Contact).where(Contact.id.in_(ids))).all() if ids else []
    by_id = {c.id: c for c in rows}
    return ContactPage(rows=publics(session, [by_id[i] for i in ids if i in by_id]), count=count, capped=capped)


def get_contact(session: Session, contact_id: int) -> ContactPublic:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id}")
    return publics(session, [contact])[0]


def find(session: Session, *, channel: str, external_id: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.channel == channel, Contact.external_id == external_id))


def _by_id(session: Session, columns, ids: set) -> dict:
    if not ids:
        return {}
    return {row[0]: row for row in session.execute(select(*columns).where(columns[0].in_(ids))).all()}


def publics(session: Session, contacts: list[Contact]) -> list[ContactPublic]:
    """The API's view of ``contacts``: one query per kind of thing they name (customers, categories,
    business lines, agents); customer phones masked."""
    customers = _by_id(session, (Customer.id, Customer.name, Customer.role, Customer.phone),
                       {c.customer_id for c in contacts if c.customer_id})
    categories = _by_id(session, (Category.id, Category.name, Category.code),
                        {c.category_id for c in contacts if c.category_id})
    lines = _by_id(session, (BusinessLine.id, BusinessLine.name), {c.business_line_id for c in contacts
                                                                    if c.business_line_id})
    agents = _by_id(session, (User.id, User.display_name), {c.agent_id for c in contacts if c.agent_id})
    out = []
    for c in contacts:
        cust, cat = customers.get(c.customer_id), categories.get(c.category_id)
        line, agent = lines.get(c.business_line_id), agents.get(c.agent_id)
        out.append(ContactPublic(
            id=c.id, channel=c.channel, call_id=c.external_id, direction=c.direction, customer_id=c.customer_id,
            customer=CustomerRef(id=cust[0], name=cust[1], role=cust[2], phone=pii.mask_phone(cust[3]))
            if cust else None,
            customer_role=c.customer_role, business_line_id=c.business_line_id,
            business_line=Ref(id=line[0], name=line[1]) if line else None, category_id=c.category_id,
            category=CategoryRef(id=cat[0], name=cat[1], code=cat[2]) if cat else None, agent_id=c.agent_id,
            agent=Ref(id=agent[0], name=agent[1]) if agent else None, queue=c.queue, offered_at=c.offered_at,
            answered_at=c.answered_at, ended_at=c.ended_at, talk_seconds=c.talk_seconds,
            hold_seconds=c.hold_seconds, wrap_seconds=c.wrap_seconds, outcome=c.outcome, ticket_id=c.ticket_id,
            satisfaction=c.satisfaction, created_at=c.created_at))
    return out
