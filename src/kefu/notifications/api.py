"""/notifications: the signed-in user's own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy import func, select

from kefu.core.deps import ClockDep, CurrentUser, SessionDep
from kefu.core.errors import NotFound
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page
from kefu.notifications.models import Notification

router = Router(prefix="/notifications", tags=["notifications"])


class NotificationPublic(Out):
    id: int
    kind: str
    title: str
    body: str
    ticket_id: int | None
    created_at: datetime
    read_at: datetime | None


@router.get("", response_model=Page[NotificationPublic])
def mine(session: SessionDep, principal: CurrentUser, unread: bool = False,
         limit: Annotated[int, Query(ge=1, le=200)] = 50):
    stmt = select(Notification).where(Notification.user_id == principal.user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Notification.id.desc()).limit(min(limit, 200))).all()
    return {"data": rows, "count": count}


@router.post("/{notification_id}/read", response_model=NotificationPublic)
def mark_read(notification_id: int, session: SessionDep, principal: CurrentUser, clock: ClockDep):
    note = session.get(Notification, notification_id)
    if note is None or note.user_id != principal.user.id:
        raise NotFound(f"no notification {notification_id}")
    note.read_at = note.read_at or clock.now()
    return note
