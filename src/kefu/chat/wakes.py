"""Wake-ups a unit of work owes once it commits: the chats (and agents) whose state it changed.

The service notes them on the session (``note``) where the change happens, e.g. an assignment made while another
process's customer started a chat; the transport reads them after the commit (``taken``) and publishes them to
the hub, so the agent's socket, wherever it is, hears of its new chat at once rather than at the next store poll.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

KEY = "kefu.chat.wakes"


def note(session: Session, chat_id: int, *agent_ids: int | None) -> None:
    found = session.info.setdefault(KEY, set())
    for agent_id in agent_ids or (None,):
        found.add((chat_id, agent_id))


def taken(session: Session) -> set[tuple[int, int | None]]:
    return session.info.pop(KEY, set())
