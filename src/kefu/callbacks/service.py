"""Callbacks (回访): when an agent cannot answer on the spot, the customer's contact
details are recorded and a task with a due time goes to an owner; overdue ones
surface to team leaders through a durable timer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.audit.service import record
from kefu.callbacks.models import CALLBACK_OUTCOMES, Callback
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.roles import Perm
from kefu.customers.models import Customer
from kefu.customers.service import PHONE_RE
from kefu.notifications.service import notify
from kefu.tickets.models import Ticket, TicketEvent
from kefu.timers import service as timers

DUE = "callback_due"


def create_callback(session: Session, *, actor: Actor, ticket_id: int | None, customer_id: int | None,
                    due_at: datetime, owner_id: int | None, contact_phone: str | None = None,
                    contact_name: str | None = None, preferred_time: str | None = None, note: str = "") -> Callback:
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket_id is not None and ticket is None:
        raise Invalid(f"no ticket with id {ticket_id}", field="ticket_id")
    customer_id = customer_id or (ticket.customer_id if ticket else None)
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer_id and customer is None:
        raise Invalid(f"no customer with id {customer_id}", field="customer_id")
    phone = contact_phone or (customer.phone if customer else None)
    if not phone or not PHONE_RE.match(phone):
        raise Invalid("a callback needs the customer's phone number", field="contact_phone")
    if due_at <= actor.now:
        raise Invalid("the due time must be in the future", field="due_at")
    owner = session.get(User, owner_id) if owner_id else None
    if owner_id and owner is None:
        raise Invalid(f"no user with id {owner_id}", field="owner_id")
    callback = Callback(
        ticket_id=ticket_id, customer_id=customer_id, contact_name=contact_name or (customer.name if customer else ""),
        contact_phone=phone, preferred_time=preferred_time, note=note, owner_id=owner_id,
        team_id=(owner.team_id if owner else None) or (ticket.team_id if ticket else None) or actor.team_id,
        due_at=due_at, status="pending", created_by_id=actor.user_id, created_at=actor.now,
    )
    session.add(callback)
    session.flush()
    if ticket is not None:
        session.add(TicketEvent(ticket_id=ticket.id, at=actor.now, actor_id=actor.user_id,
                                actor_name=actor.display_name or actor.username, kind="callback_created",
                                data={"callback_id": callback.id, "due_at": due_at.isoformat(),
                                      "owner_id": owner_id}))
    timers.schedule(session, kind=DUE, ref_id=callback.id, due_at=due_at)
    notify(session, actor=actor, user_ids=[owner_id], kind="callback.assigned", title=f"新回访任务 #{callback.id}",
           body=callback.contact_name, ticket_id=ticket_id, dedupe=f"callback:assigned:{callback.id}:{owner_id}")
    return callback


def get_callback(session: Session, callback_id: int) -> Callback:
    callback = session.get(Callback, callback_id)
    if callback is None:
        raise NotFound(f"no callback {callback_id}")
    return callback


def complete(session: Session, *, actor: Actor, callback: Callback, outcome: str, note: str = "") -> Callback:
    if outcome not in CALLBACK_OUTCOMES:
        raise Invalid(f"outcome must be one of {', '.join(CALLBACK_OUTCOMES)}", field="outcome")
    if callback.status != "pending":
        raise Conflict(f"callback #{callback.id} is already {callback.status}", field="status")
    if callback.owner_id not in (None, actor.user_id) and not actor.can(Perm.tickets_assign):
        raise Forbidden("only the owner or a team lead completes this callback")
    callback.status = "done" if outcome != "no_answer" else "failed"
    callback.outcome, callback.outcome_note, callback.completed_at = outcome, note, actor.now
    timers.cancel(session, kind=DUE, ref_id=callback.id)
    if callback.ticket_id:
        session.add(TicketEvent(ticket_id=callback.ticket_id, at=actor.now, actor_id=actor.user_id,
                                actor_name=actor.display_name or actor.username, kind="callback_done",
                                data={"callback_id": callback.id, "outcome": outcome}))
    record(session, actor=actor, action="callback.complete", target_type="callback", target_id=callback.id,
           detail={"outcome": outcome})
    return callback


def reassign(session: Session, *, actor: Actor, callback: Callback, owner_id: int, due_at: datetime | None) -> Callback:
    """A new owner (and due time); the ticket's history and the audit log say who moved it."""
    owner = session.get(User, owner_id)
    if owner is None:
        raise Invalid(f"no user with id {owner_id}", field="owner_id")
    if callback.status != "pending":
        raise Conflict(f"callback #{callback.id} is already {callback.status}", field="status")
    if due_at is not None and due_at <= actor.now:
        raise Invalid("the due time must be in the future", field="due_at")
    before = {"owner_id": callback.owner_id, "due_at": callback.due_at.isoformat()}
    callback.owner_id = owner_id
    callback.team_id = owner.team_id or callback.team_id  # overdue alerts go to the new owner's leader
    if due_at is not None:
        callback.due_at, callback.overdue = due_at, False
        timers.schedule(session, kind=DUE, ref_id=callback.id, due_at=due_at)
    if callback.ticket_id:
        session.add(TicketEvent(ticket_id=callback.ticket_id, at=actor.now, actor_id=actor.user_id,
                                actor_name=actor.display_name or actor.username, kind="callback_reassigned",
                                data={"callback_id": callback.id, "owner_id": owner_id,
                                      "due_at": callback.due_at.isoformat(), "before": before}))
    record(session, actor=actor, action="callback.reassign", target_type="callback", target_id=callback.id,
           detail={"before": before, "owner_id": owner_id, "due_at": callback.due_at.isoformat()})
    notify(session, actor=actor, user_ids=[owner_id], kind="callback.assigned", title=f"回访任务 #{callback.id}",
           body=callback.contact_name, ticket_id=callback.ticket_id,
           dedupe=f"callback:assigned:{callback.id}:{owner_id}")
    return callback


@timers.handler(DUE)
def _fire_due(session: Session, timer, now: datetime) -> None:
    callback = session.get(Callback, timer.ref_id)
    if callback is None or callback.status != "pending":
        return
    callback.overdue = True
    leader = session.scalar(select(Team.leader_id).where(Team.id == callback.team_id)) if callback.team_id else None
    notify(session, actor=Actor.system(now), user_ids=[callback.owner_id, leader], kind="callback.overdue",
           title=f"回访 #{callback.id} 已逾期", body=callback.contact_name, ticket_id=callback.ticket_id,
           dedupe=f"callback:overdue:{callback.id}:{callback.due_at.isoformat()}")
