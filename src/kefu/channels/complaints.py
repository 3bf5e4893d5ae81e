"""External complaints passed on by regulators (12315, 工商局 / 市场监管局) and internal feedback (内部反馈:
what front-line service could not solve), both taken through the shared intake.

A regulator case is a ticket on channel ``regulator``, complaint type ``external``, priority high, in the
complaints team's queue (tier 3), plus a ``RegulatorCase`` with the regulator's case number (unique per
source), when the regulator received it and when it wants the reply. The complaints team is warned
``KEFU_REGULATOR_REPLY_WARNING_HOURS`` before that due time and again when it passes (durable timers),
until the reply sent back to the regulator is recorded (audited, in the ticket's history).

Internal feedback is a ticket on channel ``internal``, complaint type ``internal``, for the same customer
as the front-line ticket it came from, which gets a line in its history pointing at the new one. Both kinds
get the stricter complaint SLA (``kefu.sla.service``) unless a policy for complaints is configured.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.audit.service import record
from kefu.catalog.models import BusinessLine, Category
from kefu.channels import intake
from kefu.channels.base import InboundItem
from kefu.channels.models import RegulatorCase
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.notifications.service import notify
from kefu.tickets.models import Ticket, TicketEvent
from kefu.timers import service as timers

REGULATOR_SOURCES = {"12315": "12315", "amr": "市场监管", "other": "其他监管"}
WARN, OVERDUE = "regulator_reply_warning", "regulator_reply_overdue"


def case_status(case: RegulatorCase, now: datetime) -> str:
    """internal | replied | overdue | open."""
    if case.source == "internal":
        return "internal"
    if case.replied_at is not None:
        return "replied"
    return "overdue" if case.reply_due_at is not None and case.reply_due_at <= now else "open"


def _ref_id(session: Session, model, code: str | None, field: str) -> int | None:
    if not code:
        return None
    found = session.scalar(select(model.id).where(model.code == code))
    if found is None:
        raise Invalid(f"no {field.removesuffix('_code').replace('_', ' ')} with code {code!r}", field=field)
    return found


def _event(session: Session, actor: Actor, ticket_id: int, kind: str, **data) -> None:
    session.add(TicketEvent(ticket_id=ticket_id, at=actor.now, actor_id=actor.user_id,
                            actor_name=actor.display_name or actor.username, kind=kind, data=data))


def _take(session: Session, item: InboundItem, actor: Actor, *, business_line_id: int | None) -> Ticket:
    got = intake.receive(session, item, now=actor.now)
    if got.status == "duplicate":
        raise Conflict("this complaint was already filed", field="case_number")
    ticket = session.get(Ticket, got.ticket_id)
    ticket.created_by_id = actor.user_id
    if business_line_id is not None:
        ticket.business_line_id = business_line_id
    return ticket


def file_regulator_case(session: Session, *, actor: Actor, source: str, case_number: str, received_at: datetime,
                        reply_due_at: datetime, customer_name: str, content: str, phone: str | None = None,
                        email: str | None = None, subject: str | None = None, category_code: str | None = None,
                        business_line_code: str | None = None) -> RegulatorCase:
    if source not in REGULATOR_SOURCES:
        raise Invalid(f"source must be one of {', '.join(REGULATOR_SOURCES)}", field="source")
    case_number = case_number.strip()
    if not case_number:
        raise Invalid("the regulator's case number is required", field="case_number")
    if received_at > actor.now + timedelta(minutes=5):
        raise Invalid("the received time is in the future", field="received_at")
    if reply_due_at <= received_at:
        raise Invalid("the reply due time must be after the received time", field="reply_due_at")
    if not content.strip():
        raise Invalid("the complaint's content is required", field="content")
    if session.scalar(select(RegulatorCase.id).where(RegulatorCase.source == source,
                                                     RegulatorCase.case_number == case_number)):
        raise Conflict(f"{REGULATOR_SOURCES[source]} case {case_number} is already filed", field="case_number")
    _ref_id(session, Category, category_code, "category_code")
    line_id = _ref_id(session, BusinessLine, business_line_code, "business_line_code")
    label, text = REGULATOR_SOURCES[source], " ".join(content.split())
    item = InboundItem(channel="regulator", external_id=f"{source}:{case_number}", received_at=received_at,
                       body=content.strip(), subject=subject or f"[{label}] {case_number} {text[:40]}",
                       sender_name=customer_name.strip() or None, phone=phone, email=email,
                       complaint_type="external", priority="high", category_code=category_code)
    try:
        with session.begin_nested():
            ticket = _take(session, item, actor, business_line_id=line_id)
            team = session.scalar(select(Team).where(Team.kind == "complaints").order_by(Team.id))
            if team is not None:  # regulators' complaints are the complaints team's work from the start
                ticket.team_id, ticket.tier = team.id, 3
            case = RegulatorCase(ticket_id=ticket.id, source=source, case_number=case_number,
                                 received_at=received_at, reply_due_at=reply_due_at, raised_by_id=actor.user_id)
            session.add(case)
            session.flush()
    except IntegrityError:  # filed by someone else a moment ago
        raise Conflict(f"{label} case {case_number} is already filed", field="case_number") from None
    _event(session, actor, ticket.id, "regulator_case", source=source, case_number=case_number,
           reply_due_at=reply_due_at.isoformat())
    record(session, actor=actor, action="complaint.regulator.file", target_type="ticket", target_id=ticket.id,
           detail={"case_id": case.id, "source": source, "case_number": case_number})
    warn_at = reply_due_at - timedelta(hours=get_settings().regulator_reply_warning_hours)
    timers.schedule(session, kind=WARN, ref_id=case.id, due_at=max(warn_at, actor.now))
    timers.schedule(session, kind=OVERDUE, ref_id=case.id, due_at=reply_due_at)
    notify(session, actor=actor, user_ids=_complaints_team(session, ticket), kind="complaint.regulator",
           title=f"新的监管投诉 {label} {case_number}", body=ticket.subject, ticket_id=ticket.id,
           dedupe=f"regulator:new:{case.id}")
    return case


def file_internal_feedback(session: Session, *, actor: Actor, content: str, subject: str | None = None,
                           original_ticket_id: int | None = None, customer_id: int | None = None,
                           category_code: str | None = None, priority: str = "high") -> RegulatorCase:
    """Front-line staff raise what they could not solve (内部反馈)."""
    if not content.strip():
        raise Invalid("the feedback's content is required", field="content")
    original = session.get(Ticket, original_ticket_id) if original_ticket_id is not None else None
    if original_ticket_id is not None and original is None:
        raise Invalid(f"no ticket with id {original_ticket_id}", field="original_ticket_id")
    customer_id = customer_id or (original.customer_id if original else None)
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer_id and customer is None:
        raise Invalid(f"no customer with id {customer_id}", field="customer_id")
    if customer is None or not (customer.phone or customer.email or customer.wechat_openid):
        raise Invalid("internal feedback needs a ticket or a customer with a phone, e-mail or openid",
                      field="original_ticket_id")
    if priority not in ("low", "normal", "high", "urgent"):
        raise Invalid("priority must be one of low, normal, high, urgent", field="priority")
    _ref_id(session, Category, category_code, "category_code")
    category_code = category_code or (session.scalar(select(Category.code).where(
        Category.id == original.category_id)) if original and original.category_id else None)
    text = " ".join(content.split())
    item = InboundItem(channel="internal", external_id=f"internal:{uuid.uuid4().hex}", received_at=actor.now,
                       body=content.strip(), subject=subject or f"[内部反馈] {text[:50]}",
                       sender_name=customer.name, phone=customer.phone, email=customer.email,
                       openid=customer.wechat_openid, complaint_type="internal", priority=priority,
                       category_code=category_code)
    ticket = _take(session, item, actor, business_line_id=original.business_line_id if original else None)
    case = RegulatorCase(ticket_id=ticket.id, source="internal", case_number=None, received_at=actor.now,
                         original_ticket_id=original.id if original else None, raised_by_id=actor.user_id)
    session.add(case)
    session.flush()
    _event(session, actor, ticket.id, "internal_feedback", original_ticket_id=case.original_ticket_id)
    if original is not None:
        _event(session, actor, original.id, "internal_feedback_raised", feedback_ticket_id=ticket.id)
    record(session, actor=actor, action="complaint.internal.file", target_type="ticket", target_id=ticket.id,
           detail={"case_id": case.id, "original_ticket_id": case.original_ticket_id})
    notify(session, actor=actor, user_ids=_complaints_team(session, ticket), kind="complaint.internal",
           title=f"新的内部反馈 #{ticket.id}", body=ticket.subject, ticket_id=ticket.id,
           dedupe=f"internal:new:{case.id}")
    return case


def get_case(session: Session, case_id: int) -> RegulatorCase:
    case = session.get(RegulatorCase, case_id)
    if case is None:
        raise NotFound(f"no complaint case {case_id}")
    return case


def case_of_ticket(session: Session, ticket_id: int) -> RegulatorCase | None:
    return session.scalar(select(RegulatorCase).where(RegulatorCase.ticket_id == ticket_id))


def record_reply(session: Session, *, actor: Actor, case: RegulatorCase, body: str) -> RegulatorCase:
    """The reply sent back to the regulator: kept on the case, in the ticket's history and the audit log."""
    if case.source == "internal":
        raise Invalid("internal feedback has no regulator to reply to", field="case_id")
    if case.replied_at is not None:
        raise Conflict(f"case {case.case_number} was already replied to", field="replied_at")
    body = body.strip()
    if not body:
        raise Invalid("the reply is empty", field="body")
    late = case.reply_due_at is not None and case.reply_due_at < actor.now
    case.reply_body, case.replied_at, case.replied_by_id = body, actor.now, actor.user_id
    timers.cancel(session, kind=WARN, ref_id=case.id)
    timers.cancel(session, kind=OVERDUE, ref_id=case.id)
    _event(session, actor, case.ticket_id, "regulator_reply", source=case.source, case_number=case.case_number,
           late=late)
    record(session, actor=actor, action="complaint.regulator.reply", target_type="ticket", target_id=case.ticket_id,
           detail={"case_id": case.id, "source": case.source, "case_number": case.case_number, "late": late})
    return case


def _complaints_team(session: Session, ticket: Ticket) -> list[int]:
    """The complaints team's active members and leaders, and whoever holds the ticket."""
    teams = select(Team.id).where(Team.kind == "complaints")
    members = session.scalars(select(User.id).where(User.team_id.in_(teams), User.is_active.is_(True))).all()
    leaders = session.scalars(select(Team.leader_id).where(Team.kind == "complaints")).all()
    return sorted({*members, *leaders, ticket.assignee_id} - {None})


def _fire(session: Session, case_id: int, now: datetime, *, overdue: bool) -> None:
    case = session.get(RegulatorCase, case_id)
    if case is None or case.replied_at is not None or case.reply_due_at is None:
        return
    ticket = session.get(Ticket, case.ticket_id)
    label = REGULATOR_SOURCES.get(case.source, case.source)
    due = case.reply_due_at.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")
    title = (f"监管投诉 {label} {case.case_number} 已超过回复时限 {due}" if overdue
             else f"监管投诉 {label} {case.case_number} 须在 {due} 前回复")
    notify(session, actor=Actor.system(now), user_ids=_complaints_team(session, ticket),
           kind="complaint.regulator.overdue" if overdue else "complaint.regulator.due_soon", title=title,
           body=ticket.subject if ticket else "", ticket_id=case.ticket_id,
           dedupe=f"regulator:{'overdue' if overdue else 'warn'}:{case.id}:{case.reply_due_at.isoformat()}")


@timers.handler(WARN)
def _warn(session: Session, timer, now: datetime) -> None:
    _fire(session, timer.ref_id, now, overdue=False)


@timers.handler(OVERDUE)
def _overdue(session: Session, timer, now: datetime) -> None:
    _fire(session, timer.ref_id, now, overdue=True)
