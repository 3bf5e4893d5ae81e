"""/sla/policies and /sla/calendars."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select

from kefu.audit.service import record
from kefu.catalog.models import Category
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page
from kefu.sla import calendars as calendar_service
from kefu.sla.models import SlaCalendar, SlaPolicy
from kefu.tickets.models import CHANNELS

policies = Router(prefix="/sla/policies", tags=["sla"])
calendars = Router(prefix="/sla/calendars", tags=["sla"])
Reader = Annotated[Principal, require(Perm.sla_read)]
Writer = Annotated[Principal, require(Perm.sla_write)]


class CalendarIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    timezone: str = "Asia/Shanghai"
    always_open: bool = True
    hours: dict[int, list[tuple[int, int]]] = Field(default_factory=dict,
                                                    description="weekday 0=Mon → [[start_minute, end_minute]]")
    holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)

    @field_validator("hours")
    @classmethod
    def _weekdays(cls, v):
        if any(k not in range(7) for k in v):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v):
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class CalendarPublic(Out):
    id: int
    name: str
    timezone: str
    always_open: bool
    hours: dict
    holidays: list
    extra_workdays: list


class PolicyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    category_id: int | None = None
    channel: str | None = Field(None, pattern=f"^({'|'.join(CHANNELS)})$")
    priority: str | None = Field(None, pattern="^(low|normal|high|urgent)$")
    complaint_type: str | None = Field(None, pattern="^(none|internal|external)$")
    first_response_hours: float = Field(gt=0, le=24 * 60)
    resolution_hours: float = Field(gt=0, le=24 * 365)
    calendar_id: int
    rank: int = 0
    is_active: bool = True


class PolicyPublic(BaseModel):
    id: int
    name: str
    category_id: int | None
    channel: str | None
    priority: str | None
    complaint_type: str | None
    first_response_hours: float
    resolution_hours: float
    calendar_id: int
    rank: int
    is_active: bool


def _policy_out(p: SlaPolicy) -> PolicyPublic:
    return PolicyPublic(id=p.id, name=p.name, category_id=p.category_id, channel=p.channel, priority=p.priority,
                        complaint_type=p.complaint_type, first_response_hours=p.first_response_seconds / 3600,
                        resolution_hours=p.resolution_seconds / 3600, calendar_id=p.calendar_id, rank=p.rank,
                        is_active=p.is_active)


@calendars.get("", response_model=Page[CalendarPublic])
def list_calendars(session: SessionDep, _: Reader):
    rows = session.scalars(select(SlaCalendar).order_by(SlaCalendar.id)).all()
    return {"data": rows, "count": len(rows)}


@calendars.post("", response_model=CalendarPublic, status_code=201)
def create_calendar(body: CalendarIn, session: SessionDep, principal: Writer):
    return calendar_service.create_calendar(session, actor=principal.actor, **body.model_dump())


def _policy_fields(session, body: PolicyIn, *, policy_id: int | None = None) -> dict:
    if session.get(SlaCalendar, body.calendar_id) is None:
        raise Invalid(f"no calendar {body.calendar_id}", field="calendar_id")
    if body.category_id is not None and session.get(Category, body.category_id) is None:
        raise Invalid(f"no category {body.category_id}", field="category_id")
    if session.scalar(select(SlaPolicy.id).where(SlaPolicy.name == body.name, SlaPolicy.id != policy_id)):
        raise Conflict(f"policy {body.name!r} exists", field="name")
    data = body.model_dump()
    data["first_response_seconds"] = data.pop("first_response_hours") * 3600
    data["resolution_seconds"] = data.pop("resolution_hours") * 3600
    return data


@policies.get("", response_model=Page[PolicyPublic])
def list_policies(session: SessionDep, _: Reader):
    rows = session.scalars(select(SlaPolicy).order_by(SlaPolicy.rank.desc(), SlaPolicy.id)).all()
    return {"data": [_policy_out(p) for p in rows], "count": len(rows)}


@policies.post("", response_model=PolicyPublic, status_code=201)
def create_policy(body: PolicyIn, session: SessionDep, principal: Writer):
    policy = SlaPolicy(**_policy_fields(session, body))
    session.add(policy)
    session.flush()
    record(session, actor=principal.actor, action="sla.policy.create", target_type="sla_policy",
           target_id=policy.id, detail={"name": policy.name})
    return _policy_out(policy)


@policies.put("/{policy_id}", response_model=PolicyPublic)
def replace_policy(policy_id: int, body: PolicyIn, session: SessionDep, principal: Writer):
    """Replace a policy; it applies to tickets created or re-categorised from now on."""
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}")
    for key, value in _policy_fields(session, body, policy_id=policy.id).items():
        setattr(policy, key, value)
    record(session, actor=principal.actor, action="sla.policy.update", target_type="sla_policy",
           target_id=policy.id, detail={"name": policy.name})
    return _policy_out(policy)
