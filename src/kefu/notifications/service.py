"""Creating in-app notifications, once per (event, recipient)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.core.context import Actor
from kefu.notifications.models import Notification


def notify(
    session: Session,
    *,
    actor: Actor,
    user_ids: Iterable[int | None],
    kind: str,
    title: str,
    body: str = "",
    ticket_id: int | None = None,
    dedupe: str,
) -> list[Notification]:
    """Notify each user once for the event named by ``dedupe``."""
    wanted = {uid for uid in user_ids if uid is not None}
    if not wanted:
        return []
    keys = {uid: f"{dedupe}:u{uid}" for uid in wanted}
    existing = set(
        session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys.values())))
    )
    created = []
    for uid, key in sorted(keys.items()):
        if key in existing:
            continue
        note = Notification(
            user_id=uid, kind=kind, title=title, body=body, ticket_id=ticket_id, dedupe_key=key,
            created_at=actor.now,
        )
        session.add(note)
        created.append(note)
    return created


def user_ids_with_roles(session: Session, roles: Iterable[str]) -> list[int]:
    return list(session.scalars(select(User.id).where(User.role.in_(list(roles)), User.is_active.is_(True))))
