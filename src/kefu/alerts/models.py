"""Alert tables: the rules as edited, the shared bucket counts, alerts with their history, recent customer
words for same-issue matching, and outbound deliveries (e-mail, webhook).

``alert_counts`` is what several server processes share: each batch of new contacts adds to its rows (one
upsert), so every worker reads the same counts. ``alerts.open_key`` (``rule:category`` while the alert is
not resolved, NULL after) is unique: one open alert per rule and category, whichever worker raises it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, JSONType, UTCDateTime

ALERT_STATUSES = ("open", "acknowledged", "resolved")


class AlertRuleSet(Base):
    """The rules as last saved through the API or the admin page (one row; none: the rules file)."""

    __tablename__ = "alert_rule_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(Text)  # the YAML text
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertCount(Base):
    """Contacts of one category in one bucket (``bucket * grain`` seconds since the epoch)."""

    __tablename__ = "alert_counts"
    grain: Mapped[int] = mapped_column(Integer, primary_key=True)  # seconds
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class Alert(Base):
    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(40))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)  # rule:category until resolved
    level: Mapped[str] = mapped_column(String(8))  # 二级 | 一级 | 红色
    rank: Mapped[int] = mapped_column(SmallInteger)  # 0, 1, 2: the level's order
    status: Mapped[str] = mapped_column(String(16), default="open")
    basis: Mapped[str] = mapped_column(String(16))  # count | growth | same_issue
    window: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)
    previous: Mapped[int | None] = mapped_column(Integer)  # growth: the count one period earlier
    contact_ids: Mapped[list] = mapped_column(JSONType, default=list)  # sample contacts, newest last
    stage: Mapped[int] = mapped_column(SmallInteger, default=0)  # escalation stage while unacknowledged
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_alerts_status_raised", "status", "raised_at"),
        Index("ix_alerts_rule_category_resolved", "rule_id", "category_id", "resolved_at"),
    )


class AlertActivity(Base):
    """What happened to an alert, append-only: raised, escalated, notified, acknowledged, resolved…"""

    __tablename__ = "alert_activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(8))
    count: Mapped[int | None] = mapped_column(Integer)
    window: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")


class AlertMention(Base):
    """A customer's words, kept for the same-issue window only (segmented words, no other text)."""

    __tablename__ = "alert_mentions"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    category_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(BigInteger)
    words: Mapped[str] = mapped_column(Text)  # space-separated

    __table_args__ = (Index("ix_alert_mentions_at", "at"),)


class AlertDelivery(Base):
    """One notice to send outside kefu (``email`` to a person, ``webhook`` to a receiver), sent by a durable
    timer with retries; ``dead`` after the last attempt. ``event_id`` is what a receiver dedupes on."""

    __tablename__ = "alert_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    # none: a key-launch digest
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    sink: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_alert_deliveries_status", "status", "id"),)


class LaunchFeedback(Base):
    """A contact about a key launch (重点项目上线): its category is one of the launch's, or the customer's words
    name one of its keywords. Kept for the launch's daily digest; ``excerpt`` is the words with PII masked."""

    __tablename__ = "alert_launch_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    launch: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_id: Mapped[int] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(Integer)
    excerpt: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_alert_launch_feedback_launch_at", "launch", "at"),)
