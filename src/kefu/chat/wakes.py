"""Wake-ups a unit of work owes once it commits: the chats (and agents) whose state it changed, and the messages
it stored.

The service notes them on the session where the change happens (``note``; ``stored`` for a message, by
``kefu.chat.messages.post``), e.g. an assignment made while another process's customer started a chat, or the
timer worker's idle prompt; whoever commits reads them after the commit (``taken``) and publishes them to the hub
(the WebSocket transport, the timer worker), so the sockets, wherever they are, hear of it at once rather than at
the next store poll. A stored message goes with its wake-up: a socket of this process whose cursor is just before
it sends it without reading the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

KEY = "kefu.chat.wakes"


@dataclass
class Wakes:
    chats: set[tuple[int, int | None]] = field(default_factory=set)  # (chat, agent who got or lost it, or None)
    # ``kefu.chat.messages.Stored`` in the order stored, each the only change its unit made to its chat
    news: list[Any] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.chats or self.news)


def _of(session: Session) -> Wakes:
    found = session.info.get(KEY)
    if found is None:
        found = session.info[KEY] = Wakes()
    return found


def note(session: Session, chat_id: int, *agent_ids: int | None) -> None:
    found = _of(session)
    for agent_id in agent_ids or (None,):
        found.chats.add((chat_id, agent_id))


def stored(session: Session, message: Any) -> None:
    """A message stored by a unit of work that changed nothing else about its chat (see ``Wakes.news``)."""
    _of(session).news.append(message)


def taken(session: Session) -> Wakes:
    return session.info.pop(KEY, None) or Wakes()


def forget(session: Session) -> None:
    """The unit of work rolled back: it owes nothing."""
    session.info.pop(KEY, None)


HUB = "kefu.chat.hub"


def tell_on_commit(session: Session, hub: Any) -> None:
    """A request's Session (``kefu.core.deps.get_session``): what its commits owe goes to ``hub`` from the
    committing thread (``Hub.threadsafe``), so a chat changed through the HTTP API — a bot's handover assigned to
    an agent, say — reaches the sockets at once and not at the next store poll. The transport's and the timer
    worker's units take their wake-ups themselves after committing."""
    session.info[HUB] = hub


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    hub = session.info.get(HUB)
    if hub is not None and session.info.get(KEY):
        hub.threadsafe(taken(session))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if session.info.get(HUB) is not None and not session.in_transaction():
        forget(session)
