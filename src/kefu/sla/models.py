"""SLA policies and their calendars (24×7 or business hours with holidays)."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kefu.core.db import Base, JSONType


class SlaCalendar(Base):
    __tablename__ = "sla_calendars"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(60), default="Asia/Shanghai")
    always_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"0": [[540, 1080]], ...} weekday -> windows in minutes from local midnight
    hours: Mapped[dict] = mapped_column(JSONType, default=dict)
    holidays: Mapped[list] = mapped_column(JSONType, default=list)  # ["2026-10-01", ...]
    extra_workdays: Mapped[list] = mapped_column(JSONType, default=list)  # 调休补班 days


class SlaPolicy(Base):
    """Targets for the tickets it matches; the most specific matching policy wins."""

    __tablename__ = "sla_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str | None] = mapped_column(String(10))
    complaint_type: Mapped[str | None] = mapped_column(String(10))
    first_response_seconds: Mapped[float] = mapped_column(Float)
    resolution_seconds: Mapped[float] = mapped_column(Float)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("sla_calendars.id", ondelete="RESTRICT"))
    rank: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    calendar: Mapped[SlaCalendar] = relationship(lazy="joined")
