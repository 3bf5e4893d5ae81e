"""SLA on tickets: pick the policy, compute due times, pause while pending, fire breaches.

The arithmetic is ``kefu.sla.clock`` (pure); this module keeps the SLA state
stored on the ticket (frappe/helpdesk style) and the breach timers.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team
from kefu.catalog.models import Category
from kefu.core.context import Actor
from kefu.core.settings import get_settings
from kefu.notifications.service import notify
from kefu.sla.clock import BusinessCalendar, add_business_seconds, business_seconds_between
from kefu.sla.models import SlaCalendar, SlaPolicy
from kefu.tickets.models import Ticket, TicketEvent
from kefu.timers import service as timers

FIRST_RESPONSE = "sla_first_response"
RESOLUTION = "sla_resolution"
DONE_STATUSES = ("resolved", "closed")


def calendar_of(row: SlaCalendar | None) -> BusinessCalendar:
    if row is None:
        return BusinessCalendar.always(get_settings().timezone)
    if row.always_open:
        return BusinessCalendar.always(row.timezone)
    return BusinessCalendar(
        timezone=row.timezone,
        hours={int(k): tuple((int(a), int(b)) for a, b in v) for k, v in (row.hours or {}).items()},
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays or ()),
        extra_workdays=frozenset(date.fromisoformat(d) for d in row.extra_workdays or ()),
    )


def _category_chain(session: Session, category_id: int | None) -> list[int]:
    """The category and its ancestors, nearest first (one query: the tree is small)."""
    if category_id is None:
        return []
    parents = dict(session.execute(select(Category.id, Category.parent_id)).all())
    chain: list[int] = []
    while category_id is not None and category_id not in chain and len(chain) < 20:
        chain.append(category_id)
        category_id = parents.get(category_id)
    return chain


def pick_policy(session: Session, ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy matching the ticket (category matches its ancestors too)."""
    policies = session.scalars(select(SlaPolicy).where(SlaPolicy.is_active.is_(True))).all()
    needs_chain = any(p.category_id is not None for p in policies)
    chain = _category_chain(session, ticket.category_id) if needs_chain else []
    best: tuple | None = None
    chosen = None
    for policy in policies:
        if policy.category_id is not None and policy.category_id not in chain:
            continue
        if policy.channel not in (None, ticket.channel):
            continue
        if policy.priority not in (None, ticket.priority):
            continue
        if policy.complaint_type not in (None, ticket.complaint_type):
            continue
        closeness = -chain.index(policy.category_id) if policy.category_id is not None else -99
        fields = sum(x is not None for x in (policy.category_id, policy.channel, policy.priority,
                                             policy.complaint_type))
        key = (policy.rank, fields, closeness, -policy.id)
        if best is None or key > best:
            best, chosen = key, policy
    return chosen


def _targets(policy: SlaPolicy | None, complaint_type: str = "none") -> tuple[float, float]:
    """First-response and resolution targets in seconds. External (regulator) and internal complaints are
    held to the stricter ``KEFU_*_COMPLAINT_RESOLUTION_HOURS`` unless the policy is one for complaints; a
    general policy that is stricter still wins."""
    s = get_settings()
    if policy is None:
        first, resolution = s.default_first_response_hours * 3600, s.default_resolution_hours * 3600
    else:
        first, resolution = policy.first_response_seconds, policy.resolution_seconds
    complaint_hours = {"external": s.external_complaint_resolution_hours,
                       "internal": s.internal_complaint_resolution_hours}.get(complaint_type)
    if complaint_hours is not None and (policy is None or policy.complaint_type is None):
        resolution = min(resolution, complaint_hours * 3600)
    return first, resolution


def apply(session: Session, *, ticket: Ticket, now: datetime) -> None:
    """(Re)compute due times from the matching policy and keep the timers in step."""
    with session.no_autoflush:  # a new ticket is inserted once, with its due times
        policy = pick_policy(session, ticket)
    ticket.sla_policy_id = policy.id if policy else None
    calendar = calendar_of(policy.calendar if policy else None)
    first_target, resolution_target = _targets(policy, ticket.complaint_type)
    if ticket.first_response_at is None and not ticket.first_response_breached:
        ticket.first_response_due_at = add_business_seconds(calendar, ticket.created_at, first_target)
    if not ticket.resolution_breached:
        if ticket.sla_paused_since is not None:
            ticket.resolution_due_at = None
        else:
            ticket.resolution_due_at = add_business_seconds(
                calendar, ticket.created_at, resolution_target + ticket.sla_paused_seconds
            )
    _sync_timers(session, ticket)
    _refresh_status(ticket, now)


def _sync_timers(session: Session, ticket: Ticket) -> None:
    session.flush()
    done = ticket.status in DONE_STATUSES
    if ticket.first_response_at is None and not ticket.first_response_breached and not done \
            and ticket.first_response_due_at is not None:
        timers.schedule(session, kind=FIRST_RESPONSE, ref_id=ticket.id, due_at=ticket.first_response_due_at)
    else:
        timers.cancel(session, kind=FIRST_RESPONSE, ref_id=ticket.id)
    if not done and not ticket.resolution_breached and ticket.resolution_due_at is not None:
        timers.schedule(session, kind=RESOLUTION, ref_id=ticket.id, due_at=ticket.resolution_due_at)
    else:
        timers.cancel(session, kind=RESOLUTION, ref_id=ticket.id)


def _refresh_status(ticket: Ticket, now: datetime) -> None:
    if ticket.status in DONE_STATUSES:
        ticket.sla_status = "missed" if ticket.resolution_breached else "met"
    elif ticket.resolution_breached or ticket.first_response_breached:
        ticket.sla_status = "breached"
    elif ticket.sla_paused_since is not None:
        ticket.sla_status = "paused"
    else:
        ticket.sla_status = "on_track"


def pause(session: Session, *, ticket: Ticket, now: datetime) -> None:
    """Pending status stops the resolution clock."""
    if ticket.sla_paused_since is None:
        ticket.sla_paused_since = now
    apply(session, ticket=ticket, now=now)


def resume(session: Session, *, ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_since is not None:
        policy = session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None
        calendar = calendar_of(policy.calendar if policy else None)
        ticket.sla_paused_seconds += business_seconds_between(calendar, ticket.sla_paused_since, now)
        ticket.sla_paused_since = None
    apply(session, ticket=ticket, now=now)


def record_first_response(session: Session, *, ticket: Ticket, now: datetime) -> None:
    if ticket.first_response_at is not None:
        return
    ticket.first_response_at = now
    ticket.first_response_seconds = (now - ticket.created_at).total_seconds()
    timers.cancel(session, kind=FIRST_RESPONSE, ref_id=ticket.id)


def finish(session: Session, *, ticket: Ticket, now: datetime) -> None:
    """Resolved or closed: stop the clocks and settle met / missed."""
    if ticket.sla_paused_since is not None:
        resume(session, ticket=ticket, now=now)
    _sync_timers(session, ticket)
    _refresh_status(ticket, now)


def _recipients(session: Session, ticket: Ticket) -> list[int | None]:
    leader = session.scalar(select(Team.leader_id).where(Team.id == ticket.team_id)) if ticket.team_id else None
    return [ticket.assignee_id, leader]


def _breach(session: Session, *, ticket: Ticket, now: datetime, which: str) -> None:
    label = "首次响应" if which == "first_response" else "解决时限"
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor_id=None, actor_name="系统",
                            kind="sla_breached", data={"which": which}))
    notify(session, actor=Actor.system(now), user_ids=_recipients(session, ticket), kind="sla.breach",
           title=f"工单 #{ticket.id} 超出{label}", body=ticket.subject, ticket_id=ticket.id,
           dedupe=f"sla:{which}:{ticket.id}")
    _refresh_status(ticket, now)


@timers.handler(FIRST_RESPONSE)
def _fire_first_response(session: Session, timer, now: datetime) -> None:
    ticket = session.get(Ticket, timer.ref_id)
    if ticket is None or ticket.first_response_at is not None or ticket.first_response_breached \
            or ticket.status in DONE_STATUSES:
        return
    ticket.first_response_breached = True
    _breach(session, ticket=ticket, now=now, which="first_response")


@timers.handler(RESOLUTION)
def _fire_resolution(session: Session, timer, now: datetime) -> None:
    ticket = session.get(Ticket, timer.ref_id)
    if ticket is None or ticket.resolution_breached or ticket.status in DONE_STATUSES \
            or ticket.sla_paused_since is not None or ticket.resolution_due_at is None:
        return
    if ticket.resolution_due_at > now:  # the due time moved later since this timer was set
        timers.schedule(session, kind=RESOLUTION, ref_id=ticket.id, due_at=ticket.resolution_due_at)
        return
    ticket.resolution_breached = True
    _breach(session, ticket=ticket, now=now, which="resolution")
