"""Tickets (工单), their messages, attachments and append-only event history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kefu.accounts.models import Team, User
from kefu.catalog.models import BusinessLine, Category
from kefu.core.db import Base, JSONType, UTCDateTime
from kefu.customers.models import Customer
from kefu.tickets.workflow import ACTIVE as ACTIVE_STATUSES

STATUSES = ("new", "open", "pending", "escalated", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
CHANNELS = ("phone", "chat", "email", "wechat", "weibo", "self_service", "regulator", "internal")
COMPLAINT_TYPES = ("none", "internal", "external")
TIERS = (1, 2, 3)
SLA_STATES = ("on_track", "paused", "breached", "met", "missed")
# queue_due of a ticket without a resolution due time: after every real one (the queue puts those last)
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)


def queue_rank(priority: str | None) -> int:
    """Position of a priority in the queue: 0 urgent, 1 high, 2 normal, 3 low (unknown counts as normal)."""
    return 3 - PRIORITY_RANK.get(priority or "normal", 1)


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    business_line_id: Mapped[int | None] = mapped_column(ForeignKey("business_lines.id", ondelete="SET NULL"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20), default="phone")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(12), default="new")
    tier: Mapped[int] = mapped_column(Integer, default=1)
    complaint_type: Mapped[str] = mapped_column(String(10), default="none")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    origin_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SLA state lives on the ticket (policy and calendar are their own rows)
    sla_policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id", ondelete="SET NULL"))
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_seconds: Mapped[float | None] = mapped_column(Float)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # business seconds spent pending
    sla_status: Mapped[str] = mapped_column(String(10), default="on_track")
    first_response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    # pre-segmented Chinese text for full-text search (see kefu.tickets.search)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # what the queue order needs, stored so that indexes can serve it; derived from status, priority and
    # resolution_due_at and kept in step on every flush (sync_queue_keys below; bulk loaders set them too)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)  # status in ACTIVE_STATUSES
    queue_rank: Mapped[int] = mapped_column(SmallInteger, default=2)  # queue_rank(priority)
    queue_due: Mapped[datetime] = mapped_column(UTCDateTime, default=NO_DUE)  # resolution_due_at or NO_DUE

    customer: Mapped[Customer | None] = relationship(lazy="raise")
    category: Mapped[Category | None] = relationship(lazy="raise")
    business_line: Mapped[BusinessLine | None] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[assignee_id])
    team: Mapped[Team | None] = relationship(lazy="raise", foreign_keys=[team_id])

    __table_args__ = (
        Index("ix_tickets_status_created", "status", "created_at"),
        Index("ix_tickets_category_created", "category_id", "created_at"),
        Index("ix_tickets_customer", "customer_id"),
        Index("ix_tickets_resolution_due", "resolution_due_at"),
        Index("ix_tickets_created_id", "created_at", "id"),  # order=newest
        # the queue order (queue_rank, queue_due, id) of the common views, active tickets first
        Index("ix_tickets_queue", "is_active", "queue_rank", "queue_due", "id"),
        Index("ix_tickets_assignee_queue", "assignee_id", "is_active", "queue_rank", "queue_due", "id"),
        Index("ix_tickets_team_queue", "team_id", "is_active", "queue_rank", "queue_due", "id"),
        Index("ix_tickets_tier_queue", "tier", "is_active", "queue_rank", "queue_due", "id"),
        Index("ix_tickets_status_queue", "status", "queue_rank", "queue_due", "id"),  # e.g. all open
        Index("ix_tickets_category_queue", "category_id", "is_active", "queue_rank", "queue_due", "id"),
    )

    def sync_queue_keys(self) -> None:
        self.is_active = (self.status or "new") in ACTIVE_STATUSES  # None: the column default, new
        self.queue_rank = queue_rank(self.priority)
        self.queue_due = self.resolution_due_at or NO_DUE


def queue_keys(status: str, priority: str, resolution_due_at: datetime | None) -> dict:
    """The stored queue columns of a ticket, for loaders that insert rows without the ORM."""
    return {"is_active": status in ACTIVE_STATUSES, "queue_rank": queue_rank(priority),
            "queue_due": resolution_due_at or NO_DUE}


@event.listens_for(Ticket, "before_insert")
@event.listens_for(Ticket, "before_update")
def _sync_queue_keys(mapper, connection, target: Ticket) -> None:
    # every ORM write of a ticket (create, status change, priority edit, SLA due time) goes through here
    target.sync_queue_keys()


class TicketEvent(Base):
    """One change to a ticket. Rows are only ever inserted."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_ticket_events_ticket", "ticket_id", "id"),)


class TicketMessage(Base):
    """A customer-visible reply or an internal note (内部备注)."""

    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100))
    author_kind: Mapped[str] = mapped_column(String(10), default="agent")  # agent | customer | system
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_messages.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
