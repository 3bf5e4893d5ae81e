"""/callbacks (回访): phones masked; owners complete them; overdue ones listed for team leaders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import func, select

from kefu.audit.service import record
from kefu.callbacks import service
from kefu.callbacks.models import Callback
from kefu.core import pii
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Page

router = Router(prefix="/callbacks", tags=["callbacks"])
Reader = Annotated[Principal, require(Perm.callbacks_read)]
Writer = Annotated[Principal, require(Perm.callbacks_write)]


class CallbackCreate(BaseModel):
    ticket_id: int | None = None
    customer_id: int | None = None
    due_at: AwareDatetime
    owner_id: int | None = None
    contact_phone: str | None = Field(None, max_length=32)
    contact_name: str | None = Field(None, max_length=100)
    preferred_time: str | None = Field(None, max_length=100)
    note: str = Field("", max_length=2000)


class CallbackComplete(BaseModel):
    outcome: Literal["resolved", "no_answer", "customer_declined", "needs_followup", "other"]
    note: str = Field("", max_length=2000)


class CallbackUpdate(BaseModel):
    owner_id: int
    due_at: AwareDatetime | None = None


class CallbackPublic(BaseModel):
    id: int
    ticket_id: int | None
    customer_id: int | None
    contact_name: str
    contact_phone: str
    preferred_time: str | None
    note: str
    owner_id: int | None
    team_id: int | None
    due_at: datetime
    status: str
    outcome: str | None
    outcome_note: str | None
    overdue: bool
    created_at: datetime
    completed_at: datetime | None


def _out(c: Callback, *, reveal: bool = False) -> CallbackPublic:
    data = {k: getattr(c, k) for k in CallbackPublic.model_fields}
    if not reveal:
        data["contact_phone"] = pii.mask_phone(c.contact_phone)
    return CallbackPublic(**data)


@router.get("", response_model=Page[CallbackPublic])
def list_callbacks(session: SessionDep, principal: Reader, status: str | None = None, mine: bool = False,
                   overdue: bool | None = None, team_id: int | None = None, ticket_id: int | None = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0):
    stmt = select(Callback)
    if status:
        stmt = stmt.where(Callback.status == status)
    if mine:
        stmt = stmt.where(Callback.owner_id == principal.user.id)
    if overdue is not None:
        stmt = stmt.where(Callback.overdue.is_(overdue))
    if team_id:
        stmt = stmt.where(Callback.team_id == team_id)
    if ticket_id:
        stmt = stmt.where(Callback.ticket_id == ticket_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Callback.due_at, Callback.id).limit(limit).offset(offset)).all()
    return {"data": [_out(c) for c in rows], "count": count}


@router.post("", response_model=CallbackPublic, status_code=201)
def create_callback(body: CallbackCreate, session: SessionDep, principal: Writer):
    return _out(service.create_callback(session, actor=principal.actor, **body.model_dump()))


@router.post("/{callback_id}/complete", response_model=CallbackPublic)
def complete(callback_id: int, body: CallbackComplete, session: SessionDep, principal: Writer):
    callback = service.get_callback(session, callback_id)
    return _out(service.complete(session, actor=principal.actor, callback=callback, outcome=body.outcome,
                                 note=body.note))


@router.patch("/{callback_id}", response_model=CallbackPublic)
def reassign(callback_id: int, body: CallbackUpdate, session: SessionDep,
             principal: Annotated[Principal, require(Perm.tickets_assign)]):
    callback = service.get_callback(session, callback_id)
    return _out(service.reassign(session, actor=principal.actor, callback=callback, owner_id=body.owner_id,
                                 due_at=body.due_at))


class RevealReason(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/{callback_id}/reveal", response_model=CallbackPublic)
def reveal(callback_id: int, body: RevealReason, session: SessionDep,
           principal: Annotated[Principal, require(Perm.pii_reveal)]):
    """The number to dial; written to the audit log."""
    callback = service.get_callback(session, callback_id)
    record(session, actor=principal.actor, action="pii.reveal", target_type="callback", target_id=callback.id,
           detail={"reason": body.reason, "fields": ["contact_phone"]})
    return _out(callback, reveal=True)
