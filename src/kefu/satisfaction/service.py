"""Ratings (one per contact) from every source, and resolution-power grades (解决力) per ticket.

A rating is stored as a ``satisfaction_ratings`` row (level, reason, comment, source) and as the contact's
``satisfaction``, which the KPI rollups count. The chat service writes only the contact's satisfaction; the
listener below adds the rating row for it, so both agree whichever way a rating came in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.contacts import events
from kefu.contacts.events import ContactFact
from kefu.contacts.models import Contact
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.reports.kpis import LEVELS
from kefu.satisfaction.models import GRADES, ResolutionGrade, SatisfactionRating
from kefu.tickets.models import Ticket

RATINGS = SatisfactionRating.__table__


def rate(session: Session, *, contact: Contact, level: int, source: str, now: datetime, reason: str | None = None,
         comment: str | None = None) -> SatisfactionRating:
    """Record the customer's rating of a contact; a second rating of the same contact is refused (409)."""
    if level not in LEVELS:
        raise Invalid("level is 1 (非常不满意) to 5 (非常满意)", field="level")
    if contact.satisfaction is not None or session.scalar(
            select(SatisfactionRating.id).where(SatisfactionRating.contact_id == contact.id)) is not None:
        raise Conflict("this contact has been rated", field="contact_id")
    rating = SatisfactionRating(contact_id=contact.id, level=level, reason=(reason or None), comment=(comment or None),
                                source=source, rated_at=now)
    session.add(rating)
    contact.satisfaction = level
    session.flush()
    return rating


def contact_for(session: Session, *, contact_id: int | None = None, channel: str | None = None,
                call_id: str | None = None) -> Contact:
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
    elif call_id:
        contact = session.scalar(select(Contact).where(Contact.channel == (channel or "phone"),
                                                       Contact.external_id == call_id))
    else:
        raise Invalid("give contact_id, or channel and call_id", field="contact_id")
    if contact is None:
        raise NotFound("no such contact", field="contact_id")
    return contact


@events.on_changed
def _rated_elsewhere(session: Session, facts: Sequence[ContactFact]) -> None:
    """A contact given a satisfaction without a rating row (the chat's post-chat rating) gets one."""
    rows = [{"contact_id": f.id, "level": f.satisfaction, "source": "chat" if f.channel == "chat" else "api",
             "rated_at": f.ended_at or f.answered_at or f.offered_at} for f in facts if f.satisfaction in LEVELS]
    if rows:
        dialect = session.get_bind().dialect.name
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(RATINGS).on_conflict_do_nothing(
            index_elements=["contact_id"])
        session.execute(stmt, rows)


# -- resolution power (解决力) ----------------------------------------------------
def grade(session: Session, *, ticket_id: int, value: str, by: User, now: datetime,
          note: str | None = None) -> ResolutionGrade:
    """Grade a ticket's handling: 敷衍 < 传声筒 < 解决 < 惊喜. A later grade replaces the earlier one."""
    if value not in GRADES:
        raise Invalid(f"grade is one of {'、'.join(GRADES)}", field="grade")
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("no such ticket", field="ticket_id")
    agent = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    row = session.scalar(select(ResolutionGrade).where(ResolutionGrade.ticket_id == ticket_id))
    if row is None:
        row = ResolutionGrade(ticket_id=ticket_id)
        session.add(row)
    row.grade, row.note, row.graded_by_id, row.graded_at = value, note or None, by.id, now
    row.agent_id, row.team_id = ticket.assignee_id, (agent.team_id if agent else ticket.team_id)
    session.flush()
    return row


def grade_distribution(session: Session, *, start: datetime, end: datetime, group_by: str = "team",
                       none_label: str = "未分配") -> list[dict]:
    """Per team or agent: how many tickets got each grade, and the shares (``none_label``: a row without one)."""
    col = ResolutionGrade.team_id if group_by == "team" else ResolutionGrade.agent_id
    counts: dict = {}
    for key, g in session.execute(select(col, ResolutionGrade.grade).where(ResolutionGrade.graded_at >= start,
                                                                            ResolutionGrade.graded_at < end)):
        counts.setdefault(key, Counter())[g] += 1
    from kefu.reports.queries import labels

    names = labels(session, group_by, list(counts))
    out = []
    for key, c in counts.items():
        total = sum(c.values())
        out.append({"key": key, "label": names.get(key) or none_label, "total": total,
                    "counts": {g: c[g] for g in GRADES}, "shares": {g: c[g] / total for g in GRADES}})
    return sorted(out, key=lambda r: -r["total"])
