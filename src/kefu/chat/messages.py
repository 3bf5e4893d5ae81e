"""Storing a chat message with its server sequence number, once per client id; the system's scripted messages.

Messages are written with Core statements on the session's connection (no ORM unit of work: this runs for every
message a socket sends): take the chat's next number with an UPDATE of its row, which also sets whatever the
caller changes on the chat (e.g. the customer's last message time), then INSERT the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.accounts.models import User
from kefu.chat import wakes
from kefu.chat.models import Chat, ChatMessage
from kefu.compliance import Message
from kefu.scripts.models import Script
from kefu.scripts.service import render_script

MAX_BODY = 5000
FALLBACK = {  # used only when a center has deactivated the script
    "idle_prompt": "请问您还有其他问题吗?您还在电脑边吗?",
    "idle_close": "由于您长时间没有回复,本次会话将结束。感谢您的咨询,再见!",
    "closing_goodbye": "感谢您的支持和配合,祝您生活愉快,再见!",
}
CHATS, MESSAGES = Chat.__table__, ChatMessage.__table__
COLUMNS = ("id", "chat_id", "seq", "sender", "author_id", "client_msg_id", "kind", "body", "violations",
           "created_at", "args")
_FIND = (select(*(MESSAGES.c[name] for name in COLUMNS))
         .where(MESSAGES.c.chat_id == bindparam("chat_id"), MESSAGES.c.sender == bindparam("sender"),
                MESSAGES.c.client_msg_id == bindparam("client_msg_id")))
_GIVE_BACK = (update(CHATS).where(CHATS.c.id == bindparam("chat_id"))
              .values(last_seq=CHATS.c.last_seq - 1))
_INSERTS: dict[str, Any] = {}
_TAKES: dict[tuple, Any] = {}


@dataclass(frozen=True)
class Stored:
    """A stored message as the sockets deliver it, and the chat's state right after it was numbered: the chat's
    row is locked (PostgreSQL) or the writer alone (SQLite) until commit, so no one else changed it meanwhile."""

    id: int
    chat_id: int
    seq: int
    sender: str
    author_id: int | None
    client_msg_id: str | None
    kind: str
    body: str
    violations: list | None
    created_at: datetime
    args: dict | None = None  # a system notice's particulars (``ChatMessage.args``)
    agent_id: int | None = None  # the chat's, when it was numbered
    status: str | None = None


def _insert(dialect: str):
    stmt = _INSERTS.get(dialect)
    if stmt is None:
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        # a resend of a client id racing the first (another socket of the same client) stores nothing
        stmt = _INSERTS[dialect] = insert(MESSAGES).on_conflict_do_nothing().returning(MESSAGES.c.id)
    return stmt


def _take(changes: tuple[str, ...]):
    """UPDATE the chat's row: the next number and ``changes`` (column names given as parameters ``c_<name>``)."""
    stmt = _TAKES.get(changes)
    if stmt is None:
        stmt = _TAKES[changes] = (
            update(CHATS).where(CHATS.c.id == bindparam("chat_id"))
            .values(last_seq=CHATS.c.last_seq + 1, **{name: bindparam(f"c_{name}") for name in changes})
            .returning(CHATS.c.last_seq, CHATS.c.agent_id, CHATS.c.status))
    return stmt


def existing(session: Session, *, chat: Chat, sender: str, client_msg_id: str | None) -> Stored | None:
    if not client_msg_id:
        return None
    row = session.execute(_FIND, {"chat_id": chat.id, "sender": sender, "client_msg_id": client_msg_id}).first()
    return Stored(**row._mapping) if row is not None else None


def post(session: Session, *, chat: Chat, sender: str, body: str, now: datetime, kind: str = "text",
         author_id: int | None = None, client_msg_id: str | None = None,
         violations: list[dict] | None = None, looked: bool = False,
         changes: dict[str, Any] | None = None, news: bool = False,
         args: dict[str, str] | None = None) -> tuple[Stored, bool]:
    """Store a message with the chat's next sequence number; ``(message, created)``. ``changes``: columns of the
    chat set in the same statement that takes the number (only when the message is stored).

    The number comes from an UPDATE of the chat row (a row lock on PostgreSQL until commit); the INSERT does
    nothing on a client id already stored (a concurrent resend waits for the first writer's commit, then finds its
    row), and then the number is given back under the same lock — numbers stay gap-free. ``looked``: the caller
    has just looked for the client id (``existing``) and found nothing. Notes the chat for the hub
    (``kefu.chat.wakes``): its listeners hear of it once the caller commits. ``news``: the caller changes nothing
    else about the chat (a customer's or agent's message), so the message itself goes to the hub and a listener up
    to date sends it without reading the store; otherwise listeners read the chat's state and messages.
    """
    found = None if looked else existing(session, chat=chat, sender=sender, client_msg_id=client_msg_id)
    if found is not None:
        return found, False
    session.flush()  # the ORM's pending changes go first: what follows is Core on the same connection
    changes = changes or {}
    names = tuple(sorted(changes))
    taken = session.execute(_take(names), {"chat_id": chat.id, **{f"c_{n}": changes[n] for n in names}}).one()
    values = {"chat_id": chat.id, "seq": taken.last_seq, "sender": sender, "author_id": author_id,
              "client_msg_id": client_msg_id or None, "kind": kind, "body": body, "violations": violations,
              "created_at": now, "args": args}
    new_id = session.execute(_insert(session.get_bind().dialect.name), values).scalar()
    if new_id is None:  # the same client id was stored meanwhile: give the number back, return that one
        session.execute(_GIVE_BACK, {"chat_id": chat.id})
        found = existing(session, chat=chat, sender=sender, client_msg_id=client_msg_id)
        if found is None:
            raise LookupError(f"chat {chat.id}: message {client_msg_id!r} conflicts but is not stored")
        return found, False
    if isinstance(chat, Chat) and chat in session:  # the ORM's copy reads the new values again when asked
        session.expire(chat, ["last_seq", *names])
    message = Stored(id=new_id, agent_id=taken.agent_id, status=taken.status, **values)
    if news:
        wakes.stored(session, message)
    else:
        wakes.note(session, chat.id)
    return message, True


def history(session: Session, *, chat: Chat, after_seq: int = 0) -> list[ChatMessage]:
    """The chat's messages in order (after ``after_seq``: what a reconnecting client missed)."""
    return list(session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id, ChatMessage.seq > after_seq)
                                .order_by(ChatMessage.seq)))


_CONTEXT = (select(MESSAGES.c.sender, MESSAGES.c.body).where(MESSAGES.c.chat_id == bindparam("chat_id"))
            .order_by(MESSAGES.c.seq))


def context(session: Session, *, chat: Chat) -> list[Message]:
    """The conversation so far, as the etiquette checker reads it (plain rows: this runs for every agent
    message)."""
    return [Message(sender, body) for sender, body in session.execute(_CONTEXT, {"chat_id": chat.id})]


def scripted(session: Session, *, chat: Chat, code: str, now: datetime, agent: User | None = None) -> str:
    """The text of the script ``code`` for this chat's customer (and agent)."""
    script = session.scalar(select(Script).where(Script.code == code, Script.is_active.is_(True)))
    if script is None:
        return FALLBACK[code]
    return render_script(session, script=script, agent=agent, now=now, customer_id=chat.customer_id)


def post_script(session: Session, *, chat: Chat, code: str, kind: str, now: datetime) -> Stored:
    agent = session.get(User, chat.agent_id) if chat.agent_id else None
    return post(session, chat=chat, sender="system", body=scripted(session, chat=chat, code=code, now=now,
                                                                   agent=agent), kind=kind, now=now)[0]
