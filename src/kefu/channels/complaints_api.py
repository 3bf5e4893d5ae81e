"""/complaints: regulator cases (12315, 市场监管) and internal feedback; the reply sent back to a regulator."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import func, select

from kefu.channels import complaints as service
from kefu.channels.models import RegulatorCase
from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Page

router = Router(prefix="/complaints", tags=["complaints"])
Reader = Annotated[Principal, require(Perm.tickets_read)]


class RegulatorComplaintCreate(BaseModel):
    source: Literal["12315", "amr", "other"] = Field(description="12315, amr (工商 / 市场监管局) or other")
    case_number: str = Field(min_length=1, max_length=64, description="the regulator's own case number")
    received_at: AwareDatetime = Field(description="when the regulator received the complaint")
    reply_due_at: AwareDatetime = Field(description="when the regulator wants the reply")
    customer_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    content: str = Field(min_length=1, max_length=10000)
    subject: str | None = Field(None, max_length=200)
    category_code: str | None = Field(None, max_length=64)
    business_line_code: str | None = Field(None, max_length=64)


class InternalFeedbackCreate(BaseModel):
    content: str = Field(min_length=1, max_length=10000)
    subject: str | None = Field(None, max_length=200)
    original_ticket_id: int | None = None
    customer_id: int | None = None
    category_code: str | None = Field(None, max_length=64)
    priority: Literal["low", "normal", "high", "urgent"] = "high"


class RegulatorReply(BaseModel):
    body: str = Field(min_length=1, max_length=10000)


class CasePublic(BaseModel):
    id: int
    ticket_id: int
    source: str
    case_number: str | None
    received_at: datetime
    reply_due_at: datetime | None
    reply_body: str | None
    replied_at: datetime | None
    replied_by_id: int | None
    original_ticket_id: int | None
    raised_by_id: int | None
    status: str  # internal | open | overdue | replied


def _out(case: RegulatorCase, now: datetime) -> CasePublic:
    return CasePublic(**{k: getattr(case, k) for k in CasePublic.model_fields if k != "status"},
                      status=service.case_status(case, now))


@router.post("/regulator", response_model=CasePublic, status_code=201)
def file_regulator_case(body: RegulatorComplaintCreate, session: SessionDep,
                        principal: Annotated[Principal, require(Perm.complaints_regulator)]):
    """A complaint passed on by a regulator: an external complaint ticket (high priority, complaints team)
    and its case; the case number is unique per source (409 naming ``case_number``)."""
    case = service.file_regulator_case(session, actor=principal.actor, **body.model_dump())
    return _out(case, principal.actor.now)


@router.post("/internal", response_model=CasePublic, status_code=201)
def file_internal_feedback(body: InternalFeedbackCreate, session: SessionDep,
                           principal: Annotated[Principal, require(Perm.complaints_internal)]):
    """What front-line service could not solve: an internal complaint ticket for the same customer, linked
    to the original ticket."""
    case = service.file_internal_feedback(session, actor=principal.actor, **body.model_dump())
    return _out(case, principal.actor.now)


@router.get("/regulator", response_model=Page[CasePublic])
def list_regulator_cases(session: SessionDep, clock: ClockDep, principal: Reader,
                         status: Literal["open", "overdue", "replied"] | None = None,
                         source: Literal["12315", "amr", "other"] | None = None,
                         limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0):
    """Regulator cases, the nearest reply due time first; ``status=overdue`` lists the unanswered late ones."""
    now = clock.now()
    stmt = select(RegulatorCase).where(RegulatorCase.source != "internal")
    if source:
        stmt = stmt.where(RegulatorCase.source == source)
    if status == "replied":
        stmt = stmt.where(RegulatorCase.replied_at.is_not(None))
    elif status == "open":
        stmt = stmt.where(RegulatorCase.replied_at.is_(None), RegulatorCase.reply_due_at > now)
    elif status == "overdue":
        stmt = stmt.where(RegulatorCase.replied_at.is_(None), RegulatorCase.reply_due_at <= now)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(RegulatorCase.replied_at.is_not(None), RegulatorCase.reply_due_at,
                                         RegulatorCase.id).limit(limit).offset(offset)).all()
    return {"data": [_out(c, now) for c in rows], "count": count}


@router.get("/internal", response_model=Page[CasePublic])
def list_internal_feedback(session: SessionDep, clock: ClockDep, principal: Reader,
                           original_ticket_id: int | None = None,
                           limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0):
    """Internal feedback, newest first."""
    stmt = select(RegulatorCase).where(RegulatorCase.source == "internal")
    if original_ticket_id is not None:
        stmt = stmt.where(RegulatorCase.original_ticket_id == original_ticket_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(RegulatorCase.received_at.desc(), RegulatorCase.id.desc())
                           .limit(limit).offset(offset)).all()
    return {"data": [_out(c, clock.now()) for c in rows], "count": count}


@router.post("/regulator/{case_id}/reply", response_model=CasePublic)
def reply_to_regulator(case_id: int, body: RegulatorReply, session: SessionDep,
                       principal: Annotated[Principal, require(Perm.complaints_reply)]):
    """Record the reply sent back to the regulator (once; audited; in the ticket's history)."""
    case = service.record_reply(session, actor=principal.actor, case=service.get_case(session, case_id),
                                body=body.body)
    return _out(case, principal.actor.now)
