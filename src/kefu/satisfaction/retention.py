"""Retention by complaint outcome (M5): of the customers who complained, grouped by what became of the complaint
— not acknowledged, logged but unresolved, resolved — the share who came back within N days (the literature:
<10 %, ~20 %, 54 %). kefu has no orders, so "came back" is any later contact that is not about the complaint
itself (a contact linked to another ticket or to none)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kefu.contacts.models import Contact
from kefu.tickets.models import Ticket

GROUPS = ("not_acknowledged", "logged_unresolved", "resolved")
GROUP_NAMES = {"not_acknowledged": "未受理", "logged_unresolved": "已记录未解决", "resolved": "已解决"}


@dataclass(frozen=True, slots=True)
class Complaint:
    ticket_id: int
    customer_id: int
    created_at: datetime
    acknowledged: bool  # a first response was given
    resolved: bool

    @property
    def group(self) -> str:
        if self.resolved:
            return "resolved"
        return "logged_unresolved" if self.acknowledged else "not_acknowledged"


def retention(complaints: Iterable[Complaint], later: Mapping[int, list[tuple[datetime, int | None]]], *,
              days: int) -> dict[str, dict]:
    """Per outcome group: complainants (customers, each once per group: their latest complaint), how many came
    back within ``days`` after the complaint, and the rate. ``later[customer]`` is their contacts as sorted
    ``(offered_at, ticket_id)``."""
    latest: dict[tuple[str, int], Complaint] = {}
    for c in complaints:
        key = (c.group, c.customer_id)
        if key not in latest or c.created_at > latest[key].created_at:
            latest[key] = c
    out = {g: {"group": g, "name": GROUP_NAMES[g], "customers": 0, "returned": 0, "rate": None} for g in GROUPS}
    window = timedelta(days=days)
    for (group, customer), c in latest.items():
        row = out[group]
        row["customers"] += 1
        contacts = later.get(customer, [])
        start = bisect_right(contacts, c.created_at, key=lambda pair: pair[0])
        row["returned"] += any(at <= c.created_at + window and tid != c.ticket_id for at, tid in contacts[start:])
    for row in out.values():
        row["rate"] = row["returned"] / row["customers"] if row["customers"] else None
    return out


def complaint_retention(session: Session, *, start: datetime, end: datetime, days: int = 30) -> list[dict]:
    """Complaints (internal or external complaint tickets, and tickets escalated to 投诉处理) created in
    [start, end) with a known customer, as of now."""
    rows = session.execute(select(Ticket.id, Ticket.customer_id, Ticket.created_at, Ticket.first_response_at,
                                  Ticket.resolved_at).where(
        Ticket.created_at >= start, Ticket.created_at < end, Ticket.customer_id.is_not(None),
        or_(Ticket.complaint_type != "none", Ticket.tier == 3))).all()
    complaints = [Complaint(tid, cid, at, first is not None, resolved is not None)
                  for tid, cid, at, first, resolved in rows]
    customers = {c.customer_id for c in complaints}
    later: dict[int, list] = {}
    if customers:
        for cid, at, tid in session.execute(select(Contact.customer_id, Contact.offered_at, Contact.ticket_id).where(
                Contact.customer_id.in_(customers), Contact.offered_at >= start,
                Contact.offered_at < end + timedelta(days=days)).order_by(Contact.offered_at)):
            later.setdefault(cid, []).append((at, tid))
    return list(retention(complaints, later, days=days).values())
