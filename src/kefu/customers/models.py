"""Customers: consumers, merchants, riders, drivers, passengers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base, UTCDateTime

CUSTOMER_ROLES = ("consumer", "merchant", "rider", "driver", "passenger")


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    # how scripts address the customer (称呼): ms → 张女士, mr → 王先生; unknown → 您
    title: Mapped[str | None] = mapped_column(String(8))
    role: Mapped[str] = mapped_column(String(20), default="consumer")
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    id_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
