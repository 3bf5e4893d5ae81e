"""Workforce management's stored data: the agents' state log (坐席状态记录), its per-interval rollup for
occupancy, and the published roster (排班表) that adherence compares the log with."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, JSONType, UTCDateTime


class AgentState(Base):
    """One span of an agent's state (``kefu.wfm.states``): from ``start`` until ``end`` (None while it is the
    current one). ``source`` is the system that reported it (chat, telephony, api); ``event_id`` its id of
    the change, so that a resend is stored once."""

    __tablename__ = "agent_states"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(12))
    event_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_agent_states_user_start", "user_id", "start"),
        Index("ix_agent_states_end", "end"),
        UniqueConstraint("source", "event_id", name="uq_agent_states_source_event"),
    )


class AgentStateRollup(Base):
    """Seconds per 30-minute interval (UTC) and agent in each logged-in state, of the *closed* spans, kept as
    spans close; the current spans are added at read time up to now."""

    __tablename__ = "agent_state_rollups"
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    logged_in_seconds: Mapped[int] = mapped_column(Integer, default=0)
    ready_seconds: Mapped[int] = mapped_column(Integer, default=0)
    busy_seconds: Mapped[int] = mapped_column(Integer, default=0)
    acw_seconds: Mapped[int] = mapped_column(Integer, default=0)
    not_ready_seconds: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_agent_state_rollups_user", "user_id", "interval_start"),)


class RosterShift(Base):
    """An agent's published shift for one day (local date): its start and end (UTC) and its breaks
    ``[{name, start, end, paid}]`` with ISO times."""

    __tablename__ = "roster_shifts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    breaks: Mapped[list] = mapped_column(JSONType, default=list)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("user_id", "day", name="uq_roster_shifts_user_day"),
        Index("ix_roster_shifts_day", "day"),
    )
