"""Storing a chat message with its server sequence number, once per client id; the system's scripted messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.accounts.models import User
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


def existing(session: Session, *, chat: Chat, sender: str, client_msg_id: str | None) -> ChatMessage | None:
    if not client_msg_id:
        return None
    return session.scalar(select(ChatMessage).where(ChatMessage.chat_id == chat.id, ChatMessage.sender == sender,
                                                    ChatMessage.client_msg_id == client_msg_id))


def post(session: Session, *, chat: Chat, sender: str, body: str, now: datetime, kind: str = "text",
         author_id: int | None = None, client_msg_id: str | None = None,
         violations: list[dict] | None = None, looked: bool = False) -> tuple[ChatMessage, bool]:
    """Store a message with the chat's next sequence number; ``(message, created)``.

    The sequence number comes from an UPDATE of the chat row (a row lock on PostgreSQL until commit), taken in a
    SAVEPOINT with the INSERT: a concurrent resend of the same client id fails the unique key, the SAVEPOINT rolls
    back the number too, and the stored message is returned — numbers stay gap-free. ``looked``: the caller has
    just looked for the client id (``existing``) and found nothing.
    """
    found = None if looked else existing(session, chat=chat, sender=sender, client_msg_id=client_msg_id)
    if found is not None:
        return found, False
    try:
        with session.begin_nested():
            seq = session.execute(update(Chat).where(Chat.id == chat.id).values(last_seq=Chat.last_seq + 1)
                                  .returning(Chat.last_seq).execution_options(synchronize_session=False)).scalar_one()
            message = ChatMessage(chat_id=chat.id, seq=seq, sender=sender, author_id=author_id,
                                  client_msg_id=client_msg_id or None, kind=kind, body=body, violations=violations,
                                  created_at=now)
            session.add(message)
            session.flush()
    except IntegrityError:
        found = existing(session, chat=chat, sender=sender, client_msg_id=client_msg_id)
        if found is None:
            raise
        return found, False
    session.expire(chat, ["last_seq"])
    return message, True


def history(session: Session, *, chat: Chat, after_seq: int = 0) -> list[ChatMessage]:
    """The chat's messages in order (after ``after_seq``: what a reconnecting client missed)."""
    return list(session.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id, ChatMessage.seq > after_seq)
                                .order_by(ChatMessage.seq)))


def context(session: Session, *, chat: Chat) -> list[Message]:
    """The conversation so far, as the etiquette checker reads it."""
    return [Message(m.sender, m.body) for m in history(session, chat=chat)]


def scripted(session: Session, *, chat: Chat, code: str, now: datetime, agent: User | None = None) -> str:
    """The text of the script ``code`` for this chat's customer (and agent)."""
    script = session.scalar(select(Script).where(Script.code == code, Script.is_active.is_(True)))
    if script is None:
        return FALLBACK[code]
    return render_script(session, script=script, agent=agent, now=now, customer_id=chat.customer_id)


def post_script(session: Session, *, chat: Chat, code: str, kind: str, now: datetime) -> ChatMessage:
    agent = session.get(User, chat.agent_id) if chat.agent_id else None
    return post(session, chat=chat, sender="system", body=scripted(session, chat=chat, code=code, now=now,
                                                                   agent=agent), kind=kind, now=now)[0]
