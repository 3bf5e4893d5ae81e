"""Writing audit entries. Details must never hold raw PII."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kefu.audit.models import AuditEntry
from kefu.core.context import Actor


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: Any = None,
    detail: dict | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=actor.now,
        actor_id=actor.user_id,
        actor_name=actor.username,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip=actor.ip,
        detail=detail or {},
    )
    session.add(entry)
    return entry
