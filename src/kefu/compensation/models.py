"""Compensation grants: red packets (红包), free orders (免单), refunds (退款)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, UTCDateTime

COMPENSATION_KINDS = ("red_packet", "free_order", "refund")
# platform guarantees the refunds are granted under
REFUND_REASONS = ("unused_7_days", "expired", "service_failure", "other")  # 7天未消费退款, 过期退款, 服务失误, 其他


class Compensation(Base):
    __tablename__ = "compensations"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(Integer)  # 分, never floats for money
    note: Mapped[str] = mapped_column(Text, default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
