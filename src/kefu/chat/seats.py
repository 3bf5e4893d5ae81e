"""Agents' open sockets in the store, so every server process agrees on who is connected.

An agent is connected while they have an ``AgentSocket`` row that is fresh; their last socket closing, in any
process, starts the disconnect grace (``queueing.disconnect``), and a socket opening, in any process, ends it
(``queueing.reconnect``). Opening and closing lock the agent's presence row first, so two processes closing an
agent's last two sockets at once cannot both believe the other is still open. Each process refreshes its rows'
``seen_at`` every ``HEARTBEAT``; rows older than ``STALE`` belong to a process that died without closing them and
are swept, disconnecting their agents, by whichever process looks first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.chat.models import AgentPresence, AgentSocket
from kefu.chat.queueing import disconnect, presence, reconnect

HEARTBEAT = 10.0  # seconds between refreshes of a process's socket rows
STALE = timedelta(seconds=60)


def _lock(session: Session, user: User, now: datetime) -> AgentPresence:
    row = presence(session, user=user, now=now)
    session.refresh(row, with_for_update=True)  # PostgreSQL: one open/close of this agent at a time
    return row


def _connected(session: Session, user_id: int, now: datetime) -> bool:
    return session.scalar(select(AgentSocket.id).where(AgentSocket.user_id == user_id,
                                                       AgentSocket.seen_at > now - STALE).limit(1)) is not None


def opened(session: Session, *, socket_id: str, user_id: int, node: str, now: datetime) -> None:
    """An agent socket opened in process ``node``: the agent is connected (a grace period in progress ends)."""
    user = session.get(User, user_id)
    _lock(session, user, now)
    session.add(AgentSocket(id=socket_id, user_id=user_id, node=node, opened_at=now, seen_at=now))
    session.flush()
    reconnect(session, user=user, now=now)


def closed(session: Session, *, socket_id: str, user_id: int, now: datetime) -> bool:
    """An agent socket closed; when it was the agent's last one anywhere, the disconnect grace starts.
    Returns whether the agent is now disconnected."""
    user = session.get(User, user_id)
    row = _lock(session, user, now)
    session.execute(delete(AgentSocket).where(AgentSocket.id == socket_id))
    if _connected(session, user_id, now) or row.status == "offline":
        return False
    disconnect(session, user=user, now=now)
    return True


def refresh(session: Session, *, socket_ids: list[str], now: datetime) -> None:
    if socket_ids:
        session.execute(update(AgentSocket).where(AgentSocket.id.in_(socket_ids)).values(seen_at=now)
                        .execution_options(synchronize_session=False))


def sweep(session: Session, *, now: datetime) -> list[int]:
    """Forget sockets whose process stopped refreshing them; their agents without another socket are
    disconnected. Returns those agents' ids."""
    stale = session.execute(select(AgentSocket.id, AgentSocket.user_id)
                            .where(AgentSocket.seen_at <= now - STALE)).all()
    gone = []
    for user_id in sorted({u for _, u in stale}):
        user = session.get(User, user_id)
        row = _lock(session, user, now)
        session.execute(delete(AgentSocket).where(AgentSocket.user_id == user_id, AgentSocket.seen_at <= now - STALE))
        if not _connected(session, user_id, now) and row.status != "offline" and row.disconnected_at is None:
            disconnect(session, user=user, now=now)
            gone.append(user_id)
    return gone
