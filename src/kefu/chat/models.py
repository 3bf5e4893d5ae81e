"""Chats, their messages, agents' presence and per-queue settings.

A chat is one contact with channel ``chat`` (``contact_id``); the chat row keeps the live state the contact row
does not (status, the idle flow, the next sequence number). Messages carry the client's id and a server sequence
number per chat: ``(chat_id, seq)`` is unique and gap-free, ``(chat_id, sender, client_msg_id)`` is unique, so a
client that resends after a reconnect stores its message once and learns the sequence number it got.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.contacts.models import ContactId
from kefu.core.db import Base, JSONType, UTCDateTime

CHAT_STATUSES = ("waiting", "active", "ended", "abandoned", "left_message")
OPEN_STATUSES = ("waiting", "active")
SENDERS = ("customer", "agent", "system")
PRESENCE = ("offline", "ready", "away")
# the post-chat rating (满意度), stored as the contact's satisfaction: 5 = 非常满意 … 1 = 非常不满意
RATINGS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
END_REASONS = ("agent", "customer", "idle", "queue_timeout")

MessageId = BigInteger().with_variant(Integer(), "sqlite")


class ChatQueue(Base):
    """A chat queue (e.g. 外卖在线) and its settings; ``None`` in a timing field means the ``KEFU_CHAT_*`` default.
    ``calendar_id`` is the working hours (an SLA calendar; none: always open)."""

    __tablename__ = "chat_queues"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # also the contact's ``queue``
    name: Mapped[str] = mapped_column(String(100))
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))  # gets left messages
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("sla_calendars.id", ondelete="SET NULL"))
    concurrency: Mapped[int] = mapped_column(SmallInteger, default=3)  # chats per agent unless the agent's own
    idle_prompt_seconds: Mapped[int | None] = mapped_column(Integer)
    idle_close_seconds: Mapped[int | None] = mapped_column(Integer)
    first_reply_seconds: Mapped[int | None] = mapped_column(Integer)
    queue_timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Chat(Base):
    __tablename__ = "chats"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ContactId, ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("chat_queues.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    preferred_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # 熟客
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))  # transferred to
    front: Mapped[bool] = mapped_column(Boolean, default=False)  # sent back to the queue: served first
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_agent_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 留言 offered (hours, timeout…)
    idle_prompted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_chats_status_queue", "status", "queue_id", "waiting_since"),
        Index("ix_chats_agent_status", "agent_id", "status"),
        Index("ix_chats_customer_ended", "customer_id", "ended_at"),
    )


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    id: Mapped[int] = mapped_column(MessageId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(8))  # customer | agent | system
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="text")  # text | idle_prompt | closing | notice…
    body: Mapped[str] = mapped_column(Text)
    violations: Mapped[list | None] = mapped_column(JSONType)  # the etiquette checker's warnings, kept for QA
    # a system notice's particulars ({"name": agent} for ``assigned``, {"team": …} for ``transfer``): a client says
    # the notice in its own language with them (the widget in English); ``body`` is the Chinese text as stored
    args: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("chat_id", "seq", name="uq_chat_messages_chat_seq"),
        UniqueConstraint("chat_id", "sender", "client_msg_id", name="uq_chat_messages_chat_client"),
    )


class AgentPresence(Base):
    """An agent's seat in chat: ready for customers, away (keeps their chats, gets no new ones) or offline.
    ``disconnected_at`` starts the grace period after a lost connection."""

    __tablename__ = "agent_presence"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(8), default="offline")
    concurrency: Mapped[int | None] = mapped_column(SmallInteger)  # none: the queue's
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_agent_presence_status", "status"),)


class ContactViolation(Base):
    """One etiquette checker finding on an agent's chat message, kept on the contact for QA (质检): which rule,
    where in the message (``start``/``end``), the checker's message and suggested wording. The words themselves
    are the message's (``message_id``); nothing is copied here, so no customer data is stored twice."""

    __tablename__ = "contact_violations"
    id: Mapped[int] = mapped_column(MessageId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ContactId, ForeignKey("contacts.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(MessageId, ForeignKey("chat_messages.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rule: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))  # warn (a blocked message is never stored or sent)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(300))
    suggestion: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_contact_violations_contact", "contact_id", "id"),
        Index("ix_contact_violations_rule_created", "rule", "created_at"),
        Index("ix_contact_violations_agent_created", "agent_id", "created_at"),
    )
class AgentSocket(Base):
    """An open agent socket, in whichever server process holds it. An agent is connected while they have a fresh
    one: the process refreshes ``seen_at`` while the socket is open, so the rows of a process that died go stale
    and are swept (``kefu.chat.seats``)."""

    __tablename__ = "agent_sockets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    node: Mapped[str] = mapped_column(String(40))  # the server process
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_agent_sockets_user", "user_id"), Index("ix_agent_sockets_seen", "seen_at"))
