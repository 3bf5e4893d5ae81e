"""/tickets: list with filters and Chinese search, workflow actions, history, messages, attachments."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Response, UploadFile
from sqlalchemy import select

from kefu.channels.outbox import deliveries
from kefu.compensation import service as compensation
from kefu.compensation.models import Compensation
from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.errors import Invalid, NotFound
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Page
from kefu.core.settings import get_settings
from kefu.tickets import queries, service
from kefu.tickets.models import Attachment, Ticket, TicketEvent, TicketMessage
from kefu.tickets.schemas import (
    AttachmentPublic,
    CompensationCreate,
    CompensationPublic,
    EventPublic,
    MergeRequest,
    MessageCreate,
    MessagePublic,
    Reason,
    TicketCreate,
    TicketPage,
    TicketPublic,
    TicketUpdate,
    ticket_public,
)

router = Router(prefix="/tickets", tags=["tickets"])
attachments = Router(prefix="/attachments", tags=["tickets"])
Reader = Annotated[Principal, require(Perm.tickets_read)]
Writer = Annotated[Principal, require(Perm.tickets_write)]


def _out(session, ticket_id: int, now: datetime) -> TicketPublic:
    session.flush()
    ticket = queries.load_ticket(session, ticket_id)
    today = queries.start_of_local_day(now, get_settings().tz)
    return ticket_public(ticket, now=now, today_start=today)


def _filter(principal: Principal, status: list[str] | None, tier: int | None, category_id: int | None,
            priority: str | None, channel: str | None, assignee_id: int | None, team_id: int | None,
            customer_id: int | None, complaint_type: str | None, mine: bool, overdue: bool, active: bool,
            q: str | None, created_from: datetime | None, created_to: datetime | None,
            order: str) -> queries.TicketFilter:
    for name, value in (("created_from", created_from), ("created_to", created_to)):
        if value is not None and value.tzinfo is None:
            raise Invalid(f"{name} needs a time zone offset, e.g. 2026-11-22T09:00:00+08:00", field=name)
    return queries.TicketFilter(
        status=[s for part in (status or []) for s in part.split(",") if s], tier=tier, category_id=category_id,
        priority=priority, channel=channel, assignee_id=principal.user.id if mine else assignee_id,
        team_id=team_id, customer_id=customer_id, complaint_type=complaint_type, overdue=overdue, active=active,
        q=q, created_from=created_from, created_to=created_to, order=order)


@router.get("", response_model=TicketPage)
def list_tickets(
    session: SessionDep, clock: ClockDep, principal: Reader,
    status: Annotated[list[str] | None, Query(description="one or more of new, open, pending, escalated, "
                                                          "resolved, closed (repeat or comma-separate)")] = None,
    tier: Annotated[int | None, Query(ge=1, le=3)] = None,
    category_id: int | None = None, priority: str | None = None, channel: str | None = None,
    assignee_id: int | None = None, team_id: int | None = None, customer_id: int | None = None,
    complaint_type: str | None = None,
    mine: bool = False, overdue: bool = False, active: bool = False,
    q: Annotated[str | None, Query(max_length=100, description="Chinese search in subject and description")] = None,
    created_from: datetime | None = None, created_to: datetime | None = None,
    order: Annotated[str | None, Query(pattern="^(queue|newest|due)$", description=(
        "queue: yesterday's unfinished work first (carry-over), then priority, then the nearest resolution "
        "due time; newest: created_at, latest first; due: nearest resolution due time first. "
        "Default: queue, but with ``q`` the latest tickets first (highest ticket number); pass "
        "order=queue with q for the queue order of the matches (slower on large result sets)."))] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
):
    """Tickets matching every filter. ``order=queue`` puts yesterday's unfinished work first (carry-over).

    ``count`` is exact up to 1,000 matches (or ``offset + limit`` if larger); beyond that it stops
    there and ``count_capped`` is true."""
    searching = bool(q and q.strip())
    f = _filter(principal, status, tier, category_id, priority, channel, assignee_id, team_id, customer_id,
                complaint_type, mine, overdue, active, q, created_from, created_to,
                order or ("number" if searching else "queue"))
    now = clock.now()
    today = queries.start_of_local_day(now, get_settings().tz)
    page = queries.page_tickets(session, f, now=now, today_start=today, limit=limit, offset=offset)
    return {"data": [ticket_public(t, now=now, today_start=today) for t in page.rows], "count": page.count,
            "count_capped": page.capped}


EXPORT_FIELDS = ("id", "subject", "status", "tier", "priority", "channel", "complaint_type", "category",
                 "customer", "assignee", "created_at", "resolved_at", "resolution_due_at", "sla_status")


@router.get("/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_csv(session: SessionDep, clock: ClockDep, _: Annotated[Principal, require(Perm.tickets_export)],
               status: list[str] | None = None, category_id: int | None = None,
               created_from: datetime | None = None, created_to: datetime | None = None,
               limit: Annotated[int, Query(ge=1, le=100000)] = 10000):
    """Tickets as CSV (UTF-8 with BOM for Excel); customer phones stay masked."""
    f = _filter(_, status, None, category_id, None, None, None, None, None, None, False, False, False, None,
                created_from, created_to, "newest")
    now = clock.now()
    today = queries.start_of_local_day(now, get_settings().tz)
    rows, _count = queries.list_tickets(session, f, now=now, today_start=today, limit=limit, offset=0)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(EXPORT_FIELDS)
    for t in rows:
        p = ticket_public(t, now=now, today_start=today)
        writer.writerow([p.id, _cell(p.subject), p.status, p.tier, p.priority, p.channel, p.complaint_type,
                         _cell(p.category.name if p.category else ""),
                         _cell(p.customer.name if p.customer else ""),
                         _cell(p.assignee.name if p.assignee else ""), p.created_at.isoformat(),
                         p.resolved_at.isoformat() if p.resolved_at else "",
                         p.resolution_due_at.isoformat() if p.resolution_due_at else "", p.sla_status])
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tickets.csv"'})


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.post("", response_model=TicketPublic, status_code=201)
def create_ticket(body: TicketCreate, session: SessionDep, clock: ClockDep, principal: Writer):
    ticket = service.create_ticket(session, actor=principal.actor, data=body.model_dump())
    session.flush()
    now = clock.now()
    # a new ticket needs no reload: its columns are all set here and the rows it refers to were
    # loaded while checking them, so the relationships come from the session's identity map
    return ticket_public(ticket, now=now, today_start=queries.start_of_local_day(now, get_settings().tz))


@router.get("/{ticket_id}", response_model=TicketPublic)
def get_ticket(ticket_id: int, session: SessionDep, clock: ClockDep, _: Reader):
    service.get_ticket(session, ticket_id)
    return _out(session, ticket_id, clock.now())


@router.patch("/{ticket_id}", response_model=TicketPublic)
def update_ticket(ticket_id: int, body: TicketUpdate, session: SessionDep, clock: ClockDep, principal: Writer):
    ticket = service.get_ticket(session, ticket_id)
    service.update_ticket(session, actor=principal.actor, ticket=ticket, changes=body.model_dump(exclude_unset=True))
    return _out(session, ticket_id, clock.now())


@router.post("/{ticket_id}/escalate", response_model=TicketPublic)
def escalate(ticket_id: int, body: Reason, session: SessionDep, clock: ClockDep,
             principal: Annotated[Principal, require(Perm.tickets_escalate)]):
    """Up one tier (1 agent → 2 team leader 线下升级 → 3 complaint specialist) with a reason."""
    service.escalate(session, actor=principal.actor, ticket=service.get_ticket(session, ticket_id),
                     reason=body.reason)
    return _out(session, ticket_id, clock.now())


@router.post("/{ticket_id}/deescalate", response_model=TicketPublic)
def deescalate(ticket_id: int, body: Reason, session: SessionDep, clock: ClockDep,
               principal: Annotated[Principal, require(Perm.tickets_assign)]):
    service.deescalate(session, actor=principal.actor, ticket=service.get_ticket(session, ticket_id),
                       reason=body.reason)
    return _out(session, ticket_id, clock.now())


@router.post("/{ticket_id}/merge", response_model=TicketPublic)
def merge(ticket_id: int, body: MergeRequest, session: SessionDep, clock: ClockDep,
          principal: Annotated[Principal, require(Perm.tickets_assign)]):
    """Close this ticket as a duplicate of ``target_id``."""
    source = service.get_ticket(session, ticket_id)
    target = session.get(Ticket, body.target_id)
    if target is None:
        raise Invalid(f"no ticket with id {body.target_id}", field="target_id")
    service.merge(session, actor=principal.actor, source=source, target=target, reason=body.reason)
    return _out(session, ticket_id, clock.now())


@router.get("/{ticket_id}/events", response_model=Page[EventPublic])
def events(ticket_id: int, session: SessionDep, _: Reader):
    """The append-only history of every change, oldest first."""
    service.get_ticket(session, ticket_id)
    rows = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                           .order_by(TicketEvent.id)).all()
    return {"data": rows, "count": len(rows)}


@router.get("/{ticket_id}/messages", response_model=Page[MessagePublic])
def messages(ticket_id: int, session: SessionDep, _: Reader):
    service.get_ticket(session, ticket_id)
    rows = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
                           .order_by(TicketMessage.id)).all()
    sent = deliveries(session, [m.id for m in rows if m.author_kind == "agent" and not m.internal])
    data = [MessagePublic.model_validate(m, from_attributes=True).model_copy(update={"delivery": sent.get(m.id)})
            for m in rows]
    return {"data": data, "count": len(data)}


@router.post("/{ticket_id}/messages", response_model=MessagePublic, status_code=201)
def add_message(ticket_id: int, body: MessageCreate, session: SessionDep, principal: Writer):
    """A customer-visible reply, or an internal note with ``internal: true``."""
    return service.add_message(session, actor=principal.actor, ticket=service.get_ticket(session, ticket_id),
                               body=body.body, internal=body.internal)


@router.get("/{ticket_id}/attachments", response_model=Page[AttachmentPublic])
def list_attachments(ticket_id: int, session: SessionDep, _: Reader):
    service.get_ticket(session, ticket_id)
    rows = session.scalars(select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.id)).all()
    return {"data": rows, "count": len(rows)}


@router.post("/{ticket_id}/attachments", response_model=AttachmentPublic, status_code=201)
async def upload(ticket_id: int, file: UploadFile, session: SessionDep, principal: Writer):
    limit = get_settings().max_attachment_bytes
    data = await file.read(limit + 1)
    return service.add_attachment(session, actor=principal.actor, ticket=service.get_ticket(session, ticket_id),
                                  filename=file.filename or "file", content_type=file.content_type or "", data=data)


@router.get("/{ticket_id}/compensations", response_model=Page[CompensationPublic])
def list_compensations(ticket_id: int, session: SessionDep,
                       _: Annotated[Principal, require(Perm.compensation_read)]):
    service.get_ticket(session, ticket_id)
    rows = session.scalars(select(Compensation).where(Compensation.ticket_id == ticket_id)
                           .order_by(Compensation.id)).all()
    return {"data": [_comp(c) for c in rows], "count": len(rows)}


def _comp(c: Compensation) -> CompensationPublic:
    return CompensationPublic(id=c.id, ticket_id=c.ticket_id, kind=c.kind, reason=c.reason,
                              amount=c.amount_fen / 100, note=c.note, granted_by_id=c.granted_by_id,
                              created_at=c.created_at)


@router.post("/{ticket_id}/compensations", response_model=CompensationPublic, status_code=201)
def grant(ticket_id: int, body: CompensationCreate, session: SessionDep,
          principal: Annotated[Principal, require(Perm.compensation_grant)]):
    """Grant a red packet, free order or refund, within the role's limit; audited."""
    comp = compensation.grant(session, actor=principal.actor, ticket=service.get_ticket(session, ticket_id),
                              kind=body.kind, reason=body.reason, amount_fen=round(body.amount * 100),
                              note=body.note)
    return _comp(comp)


@attachments.get("/{attachment_id}", response_class=Response)
def download(attachment_id: int, session: SessionDep, principal: Reader):
    """The file, always as a download (never rendered inline)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"no attachment {attachment_id}")
    service.record_view_of_attachment(session, actor=principal.actor, attachment=attachment)
    return Response(attachment.data, media_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
        "X-Content-Type-Options": "nosniff"})
