"""Satisfaction ratings (one per contact, 5 非常满意 … 1 非常不满意, with reason and comment) and
resolution-power grades (解决力) given per ticket by QA and team leaders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.contacts.models import ContactId
from kefu.core.db import Base, UTCDateTime

SOURCES = ("chat", "link", "ivr", "api")
GRADES = ("敷衍", "传声筒", "解决", "惊喜")  # perfunctory < mouthpiece < resolved < delighted


class SatisfactionRating(Base):
    __tablename__ = "satisfaction_ratings"
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ContactId, ForeignKey("contacts.id", ondelete="CASCADE"), unique=True)
    level: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_satisfaction_ratings_rated", "rated_at"),)


class ResolutionGrade(Base):
    __tablename__ = "resolution_grades"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    grade: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(Integer)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyInvitation(Base):
    """The one survey invitation a ticket's customer gets when it is resolved (e-mail, WeChat, Weibo): its
    existence is what keeps a resolve → reopen → resolve from sending a second one."""

    __tablename__ = "survey_invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ContactId, ForeignKey("contacts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))  # zh-CN | en
    state: Mapped[str] = mapped_column(String(10))  # sent | queued (WeChat/Weibo outbox) | skipped | failed
    note: Mapped[str | None] = mapped_column(String(300))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
