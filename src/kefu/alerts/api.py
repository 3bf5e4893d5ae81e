"""/alerts (complaint-spike alerts: list, one with its history, acknowledge, resolve) and /alert-rules (the
rules in force as YAML; supervisors and admins replace them, validated with an error naming the field)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from kefu.alerts import store
from kefu.alerts.models import Alert, AlertActivity, AlertRuleSet
from kefu.alerts.rules import format_duration
from kefu.catalog.models import Category
from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page

router = Router(prefix="/alerts", tags=["alerts"])
rules_router = Router(prefix="/alert-rules", tags=["alerts"])
Reader = Annotated[Principal, require(Perm.alerts_read)]
Handler = Annotated[Principal, require(Perm.alerts_handle)]
RulesEditor = Annotated[Principal, require(Perm.alerts_rules)]
Status = Literal["open", "acknowledged", "resolved", "active"]


class AlertPublic(Out):
    id: int
    rule_id: str
    category_id: int | None
    category: str | None = None
    level: str
    status: str
    basis: str
    window: str
    count: int
    previous: int | None
    contact_ids: list[int]
    stage: int
    raised_at: datetime
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    resolved_at: datetime | None
    resolved_by_id: int | None
    note: str | None


class ActivityPublic(Out):
    at: datetime
    action: str
    level: str | None
    count: int | None
    window: str | None
    actor_id: int | None
    detail: str


class AlertDetail(AlertPublic):
    activities: list[ActivityPublic]


class Handling(BaseModel):
    note: str | None = Field(None, max_length=2000)


class RuleSummary(BaseModel):
    id: str
    name: str
    kind: str
    level: str | None = None
    windows: list[str] = []
    categories: list[str] = []
    classes: list[str] = []


class RulesPublic(BaseModel):
    origin: Literal["saved", "file"]
    version: int | None
    source: str
    rules: list[RuleSummary]


class RulesUpdate(BaseModel):
    source: str = Field(min_length=1, max_length=200_000, description="The rules file (YAML), as a whole.")


def public(session, alert: Alert) -> dict:
    out = AlertPublic.model_validate(alert).model_dump()
    if alert.category_id is not None:
        out["category"] = session.scalar(select(Category.name).where(Category.id == alert.category_id))
    return out


@router.get("", response_model=Page[AlertPublic])
def list_alerts(session: SessionDep, _: Reader, status: Status | None = "active", rule_id: str | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50):
    stmt = select(Alert)
    if status == "active":
        stmt = stmt.where(Alert.status != "resolved")
    elif status:
        stmt = stmt.where(Alert.status == status)
    if rule_id:
        stmt = stmt.where(Alert.rule_id == rule_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Alert.rank.desc(), Alert.raised_at.desc(), Alert.id.desc()).limit(limit))
    names = dict(session.execute(select(Category.id, Category.name)).all())
    data = [{**AlertPublic.model_validate(a).model_dump(), "category": names.get(a.category_id)} for a in rows]
    return {"data": data, "count": count}


@router.get("/{alert_id}", response_model=AlertDetail)
def get_alert(alert_id: int, session: SessionDep, _: Reader):
    alert = store.get_alert(session, alert_id)
    acts = session.scalars(select(AlertActivity).where(AlertActivity.alert_id == alert.id)
                           .order_by(AlertActivity.id)).all()
    return {**public(session, alert), "activities": acts}


@router.post("/{alert_id}/acknowledge", response_model=AlertPublic)
def acknowledge(alert_id: int, body: Handling, session: SessionDep, principal: Handler):
    alert = store.acknowledge(session, actor=principal.actor, alert=store.get_alert(session, alert_id),
                              note=body.note)
    return public(session, alert)


@router.post("/{alert_id}/resolve", response_model=AlertPublic)
def resolve(alert_id: int, body: Handling, session: SessionDep, principal: Handler):
    alert = store.resolve(session, actor=principal.actor, alert=store.get_alert(session, alert_id), note=body.note)
    return public(session, alert)


def rules_public(session) -> dict:
    row = session.scalar(select(AlertRuleSet).order_by(AlertRuleSet.id).limit(1))
    rules = store.current_rules(session)
    summaries = [RuleSummary(id=r.id, name=r.name, kind=r.kind, level=r.level if r.kind != "ladder" else None,
                             windows=[format_duration(w) for w in r.windows] if r.kind == "ladder"
                             else ([format_duration(r.window)] if r.kind == "same_issue" else []),
                             categories=list(r.categories), classes=list(r.classes)) for r in rules.rules]
    return {"origin": "saved" if row else "file", "version": row.version if row else None,
            "source": rules.source, "rules": summaries}


@rules_router.get("", response_model=RulesPublic)
def get_rules(session: SessionDep, _: Reader):
    return rules_public(session)


@rules_router.put("", response_model=RulesPublic)
def put_rules(body: RulesUpdate, session: SessionDep, clock: ClockDep, principal: RulesEditor):
    store.save_rules(session, actor=principal.actor, source=body.source)
    return rules_public(session)
