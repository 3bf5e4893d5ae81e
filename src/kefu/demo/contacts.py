"""The demo's contact history (接触记录): the traffic simulator's stream for the demo center.

Every contact of the last ``days`` days up to ``now`` — calls, chats, WeChat, Weibo, e-mail, self-service —
from ``kefu.simulate`` at a volume for a center of this size, answered by the demo's front-line agents,
from the demo's customers (by role), in its categories. Then each ticket the demo opened from a live
channel is joined to the contact it came from: the nearest answered contact of the same channel and
category in the two hours before the ticket, which takes the ticket's customer.

Written with one Core multi-row insert (the reference rows are all known here, so nothing needs looking
up per record); the demo commits it with the rest.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from kefu.demo.reference import Center

CONTACTS_PER_DAY = 1500.0  # an ordinary weekday, for twenty-odd front-line seats
LINK_WINDOW = timedelta(hours=2)


def add_contacts(session: Session, center: Center, *, days: int, now: datetime, tz: ZoneInfo, seed: int) -> int:
    """Simulate and store the history; returns how many contacts were written."""
    from kefu.contacts.models import Contact
    from kefu.simulate import profile as P
    from kefu.simulate.model import DEFAULT_DAILY, Model, Scenario

    agents = tuple(u for team in center.frontline for u in team)
    phones = {role: [] for role in P.ROLES}
    for row in center.customers:
        phones[row.role].append(row.phone)
    first = now.astimezone(tz).date() - timedelta(days=days - 1)
    model = Model(Scenario(start=first, days=days, seed=seed, scale=CONTACTS_PER_DAY / DEFAULT_DAILY,
                           agents=agents, customers={r: p for r, p in phones.items() if p}))
    customer_of = {row.phone: row.id for row in center.customers}
    user_of = {u: center.users[u].id for u in agents}
    line_of = {code: line.id for code, line in center.lines.items()}
    cat_of = {code: cat.id for code, cat in center.categories.items()}
    limit = int(now.timestamp())
    rows = []
    for k in range(days):
        day = model.day(first + timedelta(days=k))
        rows += _rows(model, day, limit, customer_of, user_of, line_of, cat_of, now)
    if rows:
        session.execute(insert(Contact.__table__), rows)
    _link_tickets(session, now)
    return len(rows)


def _rows(model, day, limit: int, customer_of, user_of, line_of, cat_of, now) -> list[dict]:
    from datetime import UTC

    from kefu.simulate import profile as P
    from kefu.simulate.model import NONE

    def at(epoch: int):
        return None if epoch == NONE else datetime.fromtimestamp(epoch, UTC)

    out = []
    cols = zip(day.call_ids, day.offered.tolist(), day.answered.tolist(), day.ended.tolist(), day.talk.tolist(),
               day.hold.tolist(), day.wrap.tolist(), day.channel.tolist(), day.category.tolist(),
               day.line.tolist(), day.role.tolist(), day.phone.tolist(), day.outcome.tolist(), day.agent.tolist(),
               strict=True)
    for call_id, off, ans, end, talk, hold, wrap, ch, cat, line, role, phone, outcome, agent in cols:
        if end > limit:  # still going on (or not yet happened) at ``now``
            continue
        channel = P.CHANNELS[ch]
        out.append({
            "channel": channel, "external_id": call_id, "direction": "inbound",
            "customer_id": customer_of.get(str(phone)), "customer_role": P.ROLES[role],
            "business_line_id": line_of.get(model.lines[line]), "category_id": cat_of.get(model.codes[cat]),
            "agent_id": user_of.get(model.sc.agents[agent]) if agent != NONE else None,
            "queue": f"{model.lines[line]}.{channel}", "offered_at": at(off), "answered_at": at(ans),
            "ended_at": at(end), "talk_seconds": None if talk == NONE else talk,
            "hold_seconds": None if hold == NONE else hold, "wrap_seconds": None if wrap == NONE else wrap,
            "outcome": P.OUTCOMES[outcome], "ticket_id": None, "satisfaction": None, "created_at": now,
        })
    return out


def _link_tickets(session: Session, now: datetime) -> int:
    """Join each ticket from a live channel to the contact it came from (see the module docstring)."""
    from kefu.contacts.models import Contact
    from kefu.tickets.models import Ticket

    live = ("phone", "chat", "wechat", "weibo", "email")
    contacts = session.execute(
        select(Contact.id, Contact.channel, Contact.category_id, Contact.offered_at)
        .where(Contact.outcome == "answered", Contact.channel.in_(live), Contact.ticket_id.is_(None))
        .order_by(Contact.offered_at)).all()
    index: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for cid, channel, category, offered in contacts:
        times, ids = index[(channel, category)]
        times.append(offered)
        ids.append(cid)
    tickets = session.execute(select(Ticket.id, Ticket.channel, Ticket.category_id, Ticket.created_at,
                                     Ticket.customer_id).where(Ticket.channel.in_(live))).all()
    taken, links = set(), []
    for tid, channel, category, created, customer in tickets:
        times, ids = index.get((channel, category), ([], []))
        k = bisect.bisect_right(times, created) - 1
        while k >= 0 and created - times[k] <= LINK_WINDOW:
            if ids[k] not in taken:
                taken.add(ids[k])
                links.append({"cid": ids[k], "tid": tid, "cust": customer})
                break
            k -= 1
    if links:
        table = Contact.__table__
        session.execute(update(table).where(table.c.id == bindparam("cid"))
                        .values(ticket_id=bindparam("tid"), customer_id=bindparam("cust")), links)
    return len(links)
