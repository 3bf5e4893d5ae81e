"""``kefu demo``: a believable demo contact center (演示数据).

Builds the business lines, the category tree of SPEC M6 (severe / general /
intermittent classes) plus the food-delivery and local-services trees, three
teams with their leaders, thirty staff across every role, two thousand
customers with Chinese names, the SLA calendars and policies, and about a month
of tickets at realistic volumes (evening peak 19:00–22:00, quiet nights,
busier weekends, two incident spikes), and the contact history those weeks
would have had (``contacts``: calls, chats, messages from ``kefu.simulate``,
each live-channel ticket joined to the contact it came from), the online chat's
queues with a few finished, rated chats (``chat``), and a week of the agents' states with the roster
published for it (``states``: occupancy and adherence).

Tickets are not written as finished rows: every ticket is driven through the
real services (create, reply, note, pending, escalate, callback, compensation,
resolve, close, merge) by actors whose ``now`` moves forward with a simulated
clock, and the durable timers are fired as the clock passes them, so SLA due
times, breaches, notifications, overdue callbacks and event histories are the
ones the product itself would have produced. Everything is deterministic for a
given seed and ``now``.

The parts: ``catalog`` (business lines, categories and their wording), ``people``
(names, staff, customers), ``texts`` (the rest of the wording), ``reference``
(writes the reference rows), ``plans`` (what happens to each ticket, pure) and
``simulate`` (plays the plans through the services).
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.demo.catalog import BUSINESS_LINES
from kefu.demo.people import DEMO_PASSWORD, STAFF, TEAMS, demo_logins

__all__ = ["DEMO_PASSWORD", "build_demo", "demo_logins"]


def build_demo(
    url: str,
    *,
    days: int = 30,
    customers: int = 2000,
    seed: int = 7,
    if_empty: bool = False,
    console=None,
    now: datetime | None = None,
) -> dict | None:
    """Load the demo center into the (already migrated) database at ``url``; a summary of what was made.

    With ``if_empty``, a database that already has users is left alone (returns ``None``).
    """
    from kefu.accounts.models import User
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.errors import Conflict
    from kefu.core.settings import get_settings
    from kefu.demo import reference
    from kefu.demo.chat import add_chats
    from kefu.demo.contacts import add_contacts
    from kefu.demo.plans import Planner
    from kefu.demo.simulate import Simulation
    from kefu.demo.states import add_states
    from kefu.reports import rollups

    if days < 1 or customers < 10:
        raise ValueError("the demo needs at least 1 day and 10 customers")
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    tz = ZoneInfo(get_settings().timezone)
    engine = make_engine(url)
    try:
        factory = make_sessionmaker(engine)
        with factory() as session:
            if if_empty and session.scalar(select(User.id).limit(1)) is not None:
                return None
            if _demo_present(session):
                raise Conflict("demo data is already present in this database; use an empty one")
            rng = random.Random(seed)
            center = reference.build(session, now=now, tz=tz)
            reference.add_customers(session, center, rng=rng, n=customers, now=now)
            session.commit()
            planner = Planner(center, rng, now, tz)
            plans = [planner.plan(t, forced) for t, forced in planner.ticket_times(days)]
            plans += planner.duplicates(plans)
            plans = [p for p in plans if p.steps]
            Simulation(session, center, now).run(plans, console)
            center.counts["contacts"] = add_contacts(session, center, days=days, now=now, tz=tz, seed=seed)
            center.counts["kb_articles"] = _knowledge_base(session, now)
            session.commit()
            center.counts["chats"] = add_chats(session, center, now=now, rng=rng)  # queues and finished chats
            session.commit()
            rollups.rebuild(session)  # the contacts went in by one Core insert, past the rollups' listener
            center.counts["agent_states"] = add_states(session, center, now=now, tz=tz, rng=rng)  # and the roster
            session.commit()
            summary = _summary(session, center.counts, now, tz, time.perf_counter() - started)
        if console is not None:
            st = summary["tickets_by_status"]
            console.print(
                f"[green]demo center ready[/green] in {summary['seconds']}s: {summary['users']} users, "
                f"{summary['customers']} customers, {summary['contacts']} contacts, {summary['tickets']} tickets "
                f"(open {st['new'] + st['open'] + st['pending'] + st['escalated']}, "
                f"resolved/closed {st['resolved'] + st['closed']}), "
                f"{summary['resolution_breached']} SLA breaches, {summary['callbacks']} callbacks, "
                f"{summary['chats']} finished chats (the widget: /chat/demo, the workspace: /chat/workspace)"
            )
        return summary
    finally:
        engine.dispose()


def _knowledge_base(session: Session, now: datetime) -> int:
    """The demo knowledge base (kefu.kb.demo_articles), written by a team lead and published by a supervisor."""
    from kefu.accounts.models import User
    from kefu.core.context import Actor
    from kefu.kb import demo as kb_demo

    def actor(role: str) -> Actor:
        u = session.scalar(select(User).where(User.role == role).order_by(User.id).limit(1))
        return Actor(user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=now) if u \
            else Actor.system(now)

    return len(kb_demo.load(session, now=now, writer=actor("team_lead"), reviewer=actor("supervisor")))


def _demo_present(session: Session) -> bool:
    from kefu.accounts.models import Team, User
    from kefu.catalog.models import BusinessLine

    return bool(
        session.scalar(
            select(func.count()).select_from(User).where(User.username.in_([u for u, *_ in STAFF]))
        )
        or session.scalar(select(func.count()).select_from(Team).where(Team.name.in_([n for n, _ in TEAMS])))
        or session.scalar(
            select(func.count())
            .select_from(BusinessLine)
            .where(BusinessLine.code.in_([c for c, _ in BUSINESS_LINES]))
        )
    )


def _summary(session: Session, counts: dict, now: datetime, tz: ZoneInfo, seconds: float) -> dict:
    from kefu.callbacks.models import Callback
    from kefu.compensation.models import Compensation
    from kefu.notifications.models import Notification
    from kefu.tickets.models import Ticket, TicketEvent, TicketMessage

    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    by_status = dict(session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    today = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tz)
    out = dict(counts)
    out.update(
        tickets=count(Ticket),
        tickets_by_status={
            k: by_status.get(k, 0) for k in ("new", "open", "pending", "escalated", "resolved", "closed")
        },
        tickets_today=count(Ticket, Ticket.created_at >= today),
        carried_over=count(
            Ticket, Ticket.created_at < today, Ticket.status.in_(("new", "open", "pending", "escalated"))
        ),
        tier2=count(Ticket, Ticket.tier == 2),
        tier3=count(Ticket, Ticket.tier == 3),
        external_complaints=count(Ticket, Ticket.complaint_type == "external"),
        internal_complaints=count(Ticket, Ticket.complaint_type == "internal"),
        resolution_breached=count(Ticket, Ticket.resolution_breached.is_(True)),
        first_response_breached=count(Ticket, Ticket.first_response_breached.is_(True)),
        merged=count(Ticket, Ticket.merged_into_id.is_not(None)),
        messages=count(TicketMessage),
        events=count(TicketEvent),
        callbacks=count(Callback),
        callbacks_overdue=count(Callback, Callback.overdue.is_(True), Callback.status == "pending"),
        compensations=count(Compensation),
        notifications=count(Notification),
        seconds=round(seconds, 1),
    )
    return out

