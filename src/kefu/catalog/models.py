"""Business lines (到店, 到家, 外卖, 阅读…) and the complaint category tree."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base

# Category classes of SPEC M6: severe (严重类别), general (一般类别), intermittent (间歇性问题)
SEVERITY_CLASSES = ("severe", "general", "intermittent", "none")


class BusinessLine(Base):
    __tablename__ = "business_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    severity_class: Mapped[str] = mapped_column(String(20), default="none")
    business_line_id: Mapped[int | None] = mapped_column(ForeignKey("business_lines.id", ondelete="SET NULL"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
