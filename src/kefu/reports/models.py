"""KPI rollups: the tallies of ``kefu.reports.kpis`` per 30-minute interval × channel × queue × category ×
business line × agent, and per day of the center's time zone at three coarser grains, kept in step with the
contacts (``kefu.reports.rollups``), so dashboards never scan raw contacts. The primary key leads with (grain,
interval_start), what every query ranges over. Absent keys are 0 / '' (a key column must not be NULL: NULLs
never conflict in a unique key)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, UTCDateTime
from kefu.reports.kpis import MEASURES

KEY_COLUMNS = ("grain", "interval_start", "channel", "queue", "category_id", "business_line_id", "agent_id")
# each contact is counted once in each grain; a query reads the coarsest grain that has its dimensions:
# grain 0 keeps every key column, 1 drops the agent, 2 keeps only interval × channel (totals, wallboard)
GRAIN_AGENT, GRAIN_CATEGORY, GRAIN_CHANNEL = 0, 1, 2
# the daily grains: ``interval_start`` is the center's midnight (KEFU_TIMEZONE, as UTC) starting the day; 3 keeps
# day × channel, 4 day × channel × queue × category × line, 5 day × agent (channel '' and no other key: one row per
# agent a day, so a month by agent or team reads ~30 rows an agent instead of one per contact)
GRAIN_DAY_AGENT, GRAIN_DAY_CATEGORY, GRAIN_DAY_CHANNEL = 5, 4, 3
# grain 6 keeps interval × channel × agent (per agent or team by interval, and occupancy's handle time: far fewer
# rows than grain 0)
GRAIN_AGENT_CHANNEL = 6
INTERVAL_GRAINS = (GRAIN_AGENT, GRAIN_CATEGORY, GRAIN_CHANNEL, GRAIN_AGENT_CHANNEL)
DAY_GRAINS = (GRAIN_DAY_AGENT, GRAIN_DAY_CATEGORY, GRAIN_DAY_CHANNEL)
GRAINS = INTERVAL_GRAINS + DAY_GRAINS


class KpiRollup(Base):
    __tablename__ = "kpi_rollups"
    grain: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    interval_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    queue: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    business_line_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    contacts: Mapped[int] = mapped_column(Integer, default=0)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    short_abandoned: Mapped[int] = mapped_column(Integer, default=0)
    answered_in_sl: Mapped[int] = mapped_column(Integer, default=0)
    wait_seconds: Mapped[int] = mapped_column(Integer, default=0)
    handle_seconds: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    r1: Mapped[int] = mapped_column(Integer, default=0)
    r2: Mapped[int] = mapped_column(Integer, default=0)
    r3: Mapped[int] = mapped_column(Integer, default=0)
    r4: Mapped[int] = mapped_column(Integer, default=0)
    r5: Mapped[int] = mapped_column(Integer, default=0)

    # no index besides the key: every read names its grain, and the key leads with (grain, interval_start) (0020)


assert tuple(c for c in MEASURES) == ("contacts", "offered", "answered", "abandoned", "short_abandoned",
                                      "answered_in_sl", "wait_seconds", "handle_seconds", "rated", "r1", "r2",
                                      "r3", "r4", "r5"), "columns above follow the Tally"


class VocFix(Base):
    """An analyst's suggested fix (建议改进措施) in the weekly voice-of-customer report of a business line; the
    week is its Monday."""

    __tablename__ = "voc_fixes"
    __table_args__ = (Index("ix_voc_fixes_line_week", "business_line_id", "week"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_line_id: Mapped[int] = mapped_column(ForeignKey("business_lines.id", ondelete="CASCADE"))
    week: Mapped[date] = mapped_column(Date)
    topic: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(2000))
    owner: Mapped[str | None] = mapped_column(String(60))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VocSubscription(Base):
    """Who receives a business line's weekly voice-of-customer report by e-mail: a user (at the address of the
    account) or an address (e.g. a product team's list)."""

    __tablename__ = "voc_subscriptions"
    __table_args__ = (Index("ix_voc_subscriptions_line", "business_line_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_line_id: Mapped[int] = mapped_column(ForeignKey("business_lines.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
