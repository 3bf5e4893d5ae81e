"""A contact: one interaction (a call, a chat, an e-mail, a WeChat or Weibo message, a regulator case…).

Contacts are the raw material of alerts, KPIs and forecasts: many rows, read by time windows. The row is
kept narrow (codes, ids, integer seconds) and indexed for "what arrived between t0 and t1" by itself, by
category and by queue. ``(channel, external_id)`` is unique: a record the source sends twice (the
telephony system's ``call_id``, an e-mail's Message-ID, a WeChat MsgId) is stored once.

The ids a contact names (customer, business line, category, agent, ticket) are checked by its writers, not by
foreign keys (migration 0013): the bulk path resolves codes, agents and tickets for the whole batch and
matches or creates the customers itself, the ORM paths take them from loaded objects, and kefu deletes none of
those rows. Keys cost more than half of a bulk insert on PostgreSQL (a row lock per row and key). Anything
that ever deletes a customer, user, category or ticket must clear the contacts' reference itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, UTCDateTime

CONTACT_CHANNELS = ("phone", "chat", "email", "wechat", "weibo", "self_service", "regulator", "internal")
DIRECTIONS = ("inbound", "outbound")
OUTCOMES = ("answered", "abandoned", "callback_requested", "deflected")

# BIGINT on PostgreSQL (a large center writes tens of millions a year); INTEGER on SQLite, where only an
# INTEGER PRIMARY KEY is the rowid
ContactId = BigInteger().with_variant(Integer(), "sqlite")


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(ContactId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(128))  # call_id, Message-ID, MsgId…
    direction: Mapped[str] = mapped_column(String(8), default="inbound")
    customer_id: Mapped[int | None] = mapped_column(Integer)  # customers.id
    customer_role: Mapped[str | None] = mapped_column(String(20))
    business_line_id: Mapped[int | None] = mapped_column(Integer)  # business_lines.id
    category_id: Mapped[int | None] = mapped_column(Integer)  # categories.id
    agent_id: Mapped[int | None] = mapped_column(Integer)  # users.id
    queue: Mapped[str | None] = mapped_column(String(40))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    wrap_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(Integer)  # tickets.id
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)  # filled by surveys (M5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_contacts_channel_external"),
        Index("ix_contacts_offered", "offered_at"),
        Index("ix_contacts_category_offered", "category_id", "offered_at"),
        Index("ix_contacts_queue_offered", "queue", "offered_at"),
        Index("ix_contacts_customer", "customer_id"),
        Index("ix_contacts_ticket", "ticket_id"),
    )
