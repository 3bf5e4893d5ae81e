"""/audit: the audit log, for supervisors and admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy import func, select

from kefu.audit.models import AuditEntry
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page

router = Router(prefix="/audit", tags=["audit"])


class AuditPublic(Out):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    target_type: str | None
    target_id: str | None
    ip: str | None
    detail: dict


@router.get("", response_model=Page[AuditPublic])
def list_audit(session: SessionDep, _: Annotated[Principal, require(Perm.audit_read)], action: str | None = None,
               actor_id: int | None = None, target_type: str | None = None, target_id: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0):
    stmt = select(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).all()
    return {"data": rows, "count": count}
