"""Ticket workflow (工单): create, update, status, escalate (线下升级), replies, merge, attachments.

Each public function takes keyword-only arguments, checks, changes the ticket,
appends ``TicketEvent`` rows for every change, and keeps the SLA in step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kefu.accounts.models import Team, User
from kefu.audit.service import record
from kefu.catalog.models import BusinessLine, Category
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.roles import Perm, Role
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.notifications.service import notify
from kefu.sla import service as sla
from kefu.tickets import search, workflow
from kefu.tickets.models import (
    CHANNELS,
    COMPLAINT_TYPES,
    PRIORITIES,
    Attachment,
    Ticket,
    TicketEvent,
    TicketMessage,
)

EDITABLE = ("subject", "description", "customer_id", "business_line_id", "category_id", "channel",
            "priority", "complaint_type", "assignee_id", "team_id")
SLA_FIELDS = {"category_id", "channel", "priority", "complaint_type"}


def _event(session: Session, *, actor: Actor, ticket: Ticket, kind: str, **data: Any) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, at=actor.now, actor_id=actor.user_id,
                        actor_name=actor.display_name or actor.username, kind=kind, data=data)
    session.add(event)
    return event


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def _check_refs(session: Session, data: dict) -> None:
    checks = (("customer_id", Customer), ("business_line_id", BusinessLine), ("category_id", Category),
              ("assignee_id", User), ("team_id", Team))
    for field, model in checks:
        if data.get(field) is not None and session.get(model, data[field]) is None:
            raise Invalid(f"no {field.removesuffix('_id').replace('_', ' ')} with id {data[field]}", field=field)
    for field, allowed in (("channel", CHANNELS), ("priority", PRIORITIES), ("complaint_type", COMPLAINT_TYPES)):
        if field in data and data[field] not in allowed:
            raise Invalid(f"{field} must be one of {', '.join(allowed)}", field=field)
    if "subject" in data and not (data["subject"] or "").strip():
        raise Invalid("subject must not be empty", field="subject")


def _reindex(ticket: Ticket) -> None:
    ticket.search_text = search.index_text(ticket.subject, ticket.description or "")


_REFS = (("customer", Customer), ("category", Category), ("assignee", User), ("team", Team),
         ("business_line", BusinessLine))


def create_ticket(session: Session, *, actor: Actor, data: dict) -> Ticket:
    data = {k: v for k, v in data.items() if v is not None}
    _check_refs(session, data)
    if data.get("assignee_id") not in (None, actor.user_id) and not actor.can(Perm.tickets_assign):
        raise Forbidden("only team leads and above assign tickets to others", field="assignee_id")
    if "assignee_id" not in data and actor.role in (Role.agent, Role.trainee):
        data["assignee_id"] = actor.user_id
    data.setdefault("team_id", actor.team_id)
    if data.get("business_line_id") is None and data.get("category_id"):
        data["business_line_id"] = session.get(Category, data["category_id"]).business_line_id  # checked above
    ticket = Ticket(**data, status="open" if data.get("assignee_id") else "new", tier=1,
                    origin_team_id=data.get("team_id"), created_by_id=actor.user_id, sla_paused_seconds=0.0,
                    first_response_breached=False, resolution_breached=False,
                    created_at=actor.now, updated_at=actor.now)
    for relation, model in _REFS:  # rows just checked come from the identity map: the answer needs no reload
        ref_id = data.get(f"{relation}_id")
        set_committed_value(ticket, relation, session.get(model, ref_id) if ref_id is not None else None)
    _reindex(ticket)
    session.add(ticket)
    sla.apply(session, ticket=ticket, now=actor.now)  # due times go in with the INSERT
    _event(session, actor=actor, ticket=ticket, kind="created", subject=ticket.subject, status=ticket.status,
           priority=ticket.priority, channel=ticket.channel, category_id=ticket.category_id,
           assignee_id=ticket.assignee_id)
    return ticket


def update_ticket(session: Session, *, actor: Actor, ticket: Ticket, changes: dict) -> Ticket:
    unknown = set(changes) - set(EDITABLE) - {"status"}
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    if ticket.status == "closed":
        raise Conflict("a closed ticket cannot be changed", field="status")
    status = changes.pop("status", None)
    _check_refs(session, changes)
    if "assignee_id" in changes and changes["assignee_id"] not in (None, actor.user_id) \
            and not actor.can(Perm.tickets_assign):
        raise Forbidden("only team leads and above assign tickets to others", field="assignee_id")
    diff = {k: [getattr(ticket, k), v] for k, v in changes.items() if getattr(ticket, k) != v}
    for key, (_, new) in diff.items():
        setattr(ticket, key, new)
    if diff:
        ticket.updated_at = actor.now
        if {"subject", "description"} & diff.keys():
            _reindex(ticket)
        _event(session, actor=actor, ticket=ticket, kind="updated", changes=diff)
        if "assignee_id" in diff and ticket.status == "new" and ticket.assignee_id:
            change_status(session, actor=actor, ticket=ticket, status="open")
        if SLA_FIELDS & diff.keys():
            sla.apply(session, ticket=ticket, now=actor.now)
    if status is not None and status != ticket.status:
        change_status(session, actor=actor, ticket=ticket, status=status)
    return ticket


# Called with (session, ticket, old status, new status, now) after every status change, in its transaction: the
# survey invitation (kefu.satisfaction.invitations) is scheduled when a conversation ends.
STATUS_HOOKS: list[Callable[[Session, Ticket, str, str, datetime], None]] = []


def change_status(session: Session, *, actor: Actor, ticket: Ticket, status: str, reason: str = "") -> Ticket:
    if status == "escalated":
        raise Invalid("use escalate to raise a ticket's tier", field="status")
    if not workflow.can_transition(ticket.status, status):
        raise Conflict(f"a {ticket.status} ticket cannot become {status}", field="status")
    old = ticket.status
    ticket.status, ticket.updated_at = status, actor.now
    _event(session, actor=actor, ticket=ticket, kind="status", old=old, new=status, reason=reason)
    now = actor.now
    if status == "pending":
        sla.pause(session, ticket=ticket, now=now)
    elif old == "pending":
        sla.resume(session, ticket=ticket, now=now)
    if status == "resolved":
        ticket.resolved_at = now
        sla.finish(session, ticket=ticket, now=now)
    elif status == "closed":
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
        sla.finish(session, ticket=ticket, now=now)
    elif old == "resolved":  # reopened
        ticket.resolved_at = None
        sla.apply(session, ticket=ticket, now=now)
    for hook in STATUS_HOOKS:
        hook(session, ticket, old, status, now)
    return ticket


def _leader_of(session: Session, team_id: int | None) -> int | None:
    return session.scalar(select(Team.leader_id).where(Team.id == team_id)) if team_id else None


def _complaints_team(session: Session) -> Team:
    team = session.scalar(select(Team).where(Team.kind == "complaints").order_by(Team.id))
    if team is None:
        raise Conflict("no complaints team is set up to take tier-3 tickets", field="tier")
    return team


def escalate(session: Session, *, actor: Actor, ticket: Ticket, reason: str) -> Ticket:
    """Up one tier: 1 → 2 the team leader (线下升级), 2 → 3 the complaints team (投诉处理)."""
    if not reason.strip():
        raise Invalid("a reason is required to escalate", field="reason")
    if ticket.status not in workflow.ACTIVE:
        raise Conflict(f"a {ticket.status} ticket cannot be escalated", field="status")
    to_tier = workflow.next_tier(ticket.tier)
    if to_tier is None:
        raise Conflict("the ticket is already at the top tier", field="tier")
    origin = ticket.origin_team_id or ticket.team_id or actor.team_id
    if to_tier == 2:
        team_id, assignee_id = origin, _leader_of(session, origin)
        if assignee_id is None:
            raise Conflict("the ticket's team has no leader to escalate to", field="team_id")
    else:
        team = _complaints_team(session)
        team_id, assignee_id = team.id, None
    _move(session, actor=actor, ticket=ticket, kind="escalated", to_tier=to_tier, team_id=team_id,
          assignee_id=assignee_id, reason=reason, origin=origin)
    if ticket.status != "escalated":
        old = ticket.status
        if old == "pending":
            sla.resume(session, ticket=ticket, now=actor.now)
        ticket.status = "escalated"
        _event(session, actor=actor, ticket=ticket, kind="status", old=old, new="escalated", reason=reason)
    leader = _leader_of(session, team_id)
    notify(session, actor=actor, user_ids=[leader, assignee_id], kind="ticket.escalated",
           title=f"工单 #{ticket.id} 升级至{workflow.TIER_NAMES[to_tier]}", body=f"{ticket.subject}\n原因:{reason}",
           ticket_id=ticket.id, dedupe=f"escalate:{ticket.id}:{to_tier}:{actor.now.isoformat()}")
    return ticket


def deescalate(session: Session, *, actor: Actor, ticket: Ticket, reason: str) -> Ticket:
    """Down one tier, back to the team and person who had it."""
    if not reason.strip():
        raise Invalid("a reason is required to de-escalate", field="reason")
    if not actor.can(Perm.tickets_assign):
        raise Forbidden("only team leads and specialists send tickets back down")
    if ticket.status not in workflow.ACTIVE:
        raise Conflict(f"a {ticket.status} ticket cannot be de-escalated", field="status")
    to_tier = workflow.previous_tier(ticket.tier)
    if to_tier is None:
        raise Conflict("the ticket is already at tier 1", field="tier")
    origin = ticket.origin_team_id or ticket.team_id
    assignee_id = _leader_of(session, origin) if to_tier == 2 else _tier_one_assignee(session, ticket)
    _move(session, actor=actor, ticket=ticket, kind="deescalated", to_tier=to_tier, team_id=origin,
          assignee_id=assignee_id, reason=reason, origin=origin)
    if to_tier == 1 and ticket.status == "escalated":
        ticket.status = "open"
        _event(session, actor=actor, ticket=ticket, kind="status", old="escalated", new="open", reason=reason)
    notify(session, actor=actor, user_ids=[assignee_id], kind="ticket.deescalated",
           title=f"工单 #{ticket.id} 退回{workflow.TIER_NAMES[to_tier]}", body=f"{ticket.subject}\n原因:{reason}",
           ticket_id=ticket.id, dedupe=f"deescalate:{ticket.id}:{to_tier}:{actor.now.isoformat()}")
    return ticket


def _tier_one_assignee(session: Session, ticket: Ticket) -> int | None:
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "escalated")
        .order_by(TicketEvent.id.desc())
    )
    for event in events:
        if event.data.get("from_tier") == 1:
            return event.data.get("from_assignee_id")
    return None


def _move(session: Session, *, actor: Actor, ticket: Ticket, kind: str, to_tier: int, team_id: int | None,
          assignee_id: int | None, reason: str, origin: int | None) -> None:
    _event(session, actor=actor, ticket=ticket, kind=kind, from_tier=ticket.tier, to_tier=to_tier,
           from_team_id=ticket.team_id, to_team_id=team_id, from_assignee_id=ticket.assignee_id,
           to_assignee_id=assignee_id, reason=reason)
    ticket.origin_team_id = origin
    ticket.tier, ticket.team_id, ticket.assignee_id, ticket.updated_at = to_tier, team_id, assignee_id, actor.now


# Called with (session, ticket, message) for every customer-visible reply, in its transaction: a channel that
# delivers replies to the customer (e-mail: kefu.channels.email.outbound) queues the sending here.
REPLY_HOOKS: list[Callable[[Session, Ticket, TicketMessage], None]] = []


def add_message(session: Session, *, actor: Actor, ticket: Ticket, body: str, internal: bool) -> TicketMessage:
    """A reply the customer sees, or an internal note (内部备注) they never see."""
    if not body.strip():
        raise Invalid("the message is empty", field="body")
    if ticket.status == "closed":
        raise Conflict("a closed ticket takes no more messages", field="status")
    message = TicketMessage(ticket_id=ticket.id, author_id=actor.user_id,
                            author_name=actor.display_name or actor.username, author_kind="agent",
                            internal=internal, body=body, created_at=actor.now)
    session.add(message)
    session.flush()
    _event(session, actor=actor, ticket=ticket, kind="note" if internal else "reply", message_id=message.id)
    ticket.updated_at = actor.now
    if not internal:
        sla.record_first_response(session, ticket=ticket, now=actor.now)
        if ticket.status == "new":
            change_status(session, actor=actor, ticket=ticket, status="open")
        for hook in REPLY_HOOKS:
            hook(session, ticket, message)
    return message


def add_customer_message(session: Session, *, ticket: Ticket, body: str, author_name: str, now: datetime,
                         via: str) -> TicketMessage:
    """What the customer wrote (an e-mail reply, a WeChat message…) joins the ticket; a customer writing
    back to a pending or resolved ticket puts it back in the queue (open)."""
    if ticket.status == "closed":
        raise Conflict("a closed ticket takes no more messages", field="status")
    message = TicketMessage(ticket_id=ticket.id, author_id=None, author_name=author_name[:100] or "客户",
                            author_kind="customer", internal=False, body=body, created_at=now)
    session.add(message)
    session.flush()
    system = Actor.system(now)
    _event(session, actor=system, ticket=ticket, kind="customer_message", message_id=message.id, via=via)
    ticket.updated_at = now
    if ticket.status in ("pending", "resolved"):
        change_status(session, actor=system, ticket=ticket, status="open", reason=f"客户来信({via})")
    return message


def merge(session: Session, *, actor: Actor, source: Ticket, target: Ticket, reason: str = "") -> Ticket:
    """Close ``source`` as a duplicate of ``target``; both histories say so."""
    if source.id == target.id:
        raise Invalid("a ticket cannot be merged into itself", field="target_id")
    if target.status == "closed" or target.merged_into_id:
        raise Conflict(f"ticket #{target.id} is closed and cannot take a merge", field="target_id")
    if source.status == "closed":
        raise Conflict(f"ticket #{source.id} is already closed", field="status")
    source.merged_into_id = target.id
    old = source.status
    source.status, source.closed_at, source.updated_at = "closed", actor.now, actor.now
    source.resolved_at = source.resolved_at or actor.now
    _event(session, actor=actor, ticket=source, kind="merged_into", target_id=target.id, reason=reason)
    _event(session, actor=actor, ticket=source, kind="status", old=old, new="closed", reason="merged")
    _event(session, actor=actor, ticket=target, kind="merged_from", source_id=source.id, reason=reason)
    sla.finish(session, ticket=source, now=actor.now)
    return target


def add_attachment(session: Session, *, actor: Actor, ticket: Ticket, filename: str, content_type: str,
                   data: bytes) -> Attachment:
    settings = get_settings()
    if len(data) > settings.max_attachment_bytes:
        raise Invalid(f"the file is larger than {settings.max_attachment_bytes} bytes", field="file")
    if not data:
        raise Invalid("the file is empty", field="file")
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in settings.allowed_attachment_types:
        raise Invalid(f"files of type {content_type or 'unknown'} are not accepted", field="file")
    name = (filename or "file").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "file"
    attachment = Attachment(ticket_id=ticket.id, filename=name, content_type=content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=actor.user_id,
                            created_at=actor.now, data=data)
    session.add(attachment)
    session.flush()
    _event(session, actor=actor, ticket=ticket, kind="attachment", attachment_id=attachment.id, filename=name,
           size=len(data))
    return attachment


def record_view_of_attachment(session: Session, *, actor: Actor, attachment: Attachment) -> None:
    record(session, actor=actor, action="attachment.download", target_type="attachment",
           target_id=attachment.id, detail={"ticket_id": attachment.ticket_id})
