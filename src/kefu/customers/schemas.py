from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kefu.core.schemas import not_null

CustomerRole = Literal["consumer", "merchant", "rider", "driver", "passenger"]
Title = Literal["ms", "mr"]  # how scripts address the customer: 张女士 (ms) / 王先生 (mr); none: 您


class CustomerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: CustomerRole = "consumer"
    title: Title | None = None
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    wechat_openid: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=300)
    id_number: str | None = Field(None, max_length=32)


class CustomerUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    role: CustomerRole | None = None
    title: Title | None = None  # null: no title (scripts say 您)
    phone: str | None = Field(None, max_length=32)
    email: str | None = Field(None, max_length=200)
    wechat_openid: str | None = Field(None, max_length=64)
    address: str | None = Field(None, max_length=300)
    id_number: str | None = Field(None, max_length=32)

    no_nulls = not_null("name", "role")


class CustomerPublic(BaseModel):
    """A customer as staff see it: PII masked unless ``masked`` is false (an audited reveal)."""

    id: int
    name: str
    role: str
    title: str | None = None
    phone: str | None
    email: str | None
    wechat_openid: str | None
    address: str | None
    id_number: str | None
    masked: bool
    created_at: datetime


class RevealRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=200)
