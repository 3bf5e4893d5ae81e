"""The script library (话术库): the standard wording agents insert while they type."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, UTCDateTime

# in the order of a contact: opening, hold, after the hold, closing, the survey, the idle flow (SPEC M3)
CATEGORIES = ("opening", "hold_short", "hold_long", "hold_thanks", "closing", "survey_invite", "idle_prompt",
              "idle_close", "apology", "transfer", "follow_up", "other")
LANGUAGES = ("zh-CN", "en")
SHORTCUT_PATTERN = r"^[/;][A-Za-z0-9_\-]{1,15}$"  # /kc, ;hy


class Script(Base):
    __tablename__ = "scripts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    category: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    shortcut: Mapped[str | None] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_scripts_category_sort", "category", "sort_order"),)
