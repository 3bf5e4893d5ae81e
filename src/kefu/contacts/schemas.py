"""The shape of a contact record (a telephony call-detail record, and what other channels send alike), and
of a contact as the API shows it (the customer's phone masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from kefu.core.schemas import Page
from kefu.tickets.schemas import CategoryRef, CustomerRef, Ref

Channel = Literal["phone", "chat", "email", "wechat", "weibo", "self_service", "regulator", "internal"]
Outcome = Literal["answered", "abandoned", "callback_requested", "deflected"]
Direction = Literal["inbound", "outbound"]
CustomerRole = Literal["consumer", "merchant", "rider", "driver", "passenger"]
MAX_BULK = 10_000  # records per bulk request (the body is ~5 MB at that size)
OFFSET_NEEDED = "needs a time zone offset, e.g. 2026-11-23T09:15:00+08:00"


def _say_offset(value: Any, handler) -> datetime:
    try:
        return handler(value)
    except ValidationError as exc:
        if any(e["type"] == "timezone_aware" for e in exc.errors()):
            raise PydanticCustomError("timezone_aware", OFFSET_NEEDED) from None
        raise


# ISO 8601 with its offset: a CDR's "09:15" means nothing without knowing whose clock it was read on
OffsetDatetime = Annotated[AwareDatetime, WrapValidator(_say_offset)]


class ContactRecord(BaseModel):
    """One contact as the source sends it: a call-detail record from the telephony system, or the same
    shape from another channel. Times carry their offset (``2026-11-23T09:15:00+08:00``); the service also
    checks ``offered_at <= answered_at <= ended_at`` and the codes (category, business line, agent)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    call_id: str = Field(min_length=1, max_length=128, description="The source's id; a record sent twice is "
                         "stored once (per channel).")
    channel: Channel = "phone"
    direction: Direction = "inbound"
    customer_phone: str | None = Field(None, max_length=32)
    customer_email: str | None = Field(None, max_length=200)
    customer_openid: str | None = Field(None, max_length=64)
    customer_name: str | None = Field(None, max_length=100)
    customer_role: CustomerRole | None = None
    business_line: str | None = Field(None, max_length=40, description="Business line code, e.g. waimai.")
    category: str | None = Field(None, max_length=60, description="Category code, e.g. delivery.late.")
    agent: str | None = Field(None, max_length=64, description="The agent's username.")
    queue: str | None = Field(None, max_length=40)
    offered_at: OffsetDatetime
    answered_at: OffsetDatetime | None = None
    ended_at: OffsetDatetime | None = None
    talk_seconds: int | None = Field(None, ge=0)
    hold_seconds: int | None = Field(None, ge=0)
    wrap_seconds: int | None = Field(None, ge=0)
    outcome: Outcome
    ticket_id: int | None = Field(None, ge=1)


class Record(ContactRecord):
    """A ``ContactRecord`` checked by pydantic's core alone, with no Python call per time: what the service
    checks bulk bodies and CSV rows with (10,000 records × 3 times). Its missing-offset error is worded
    ``OFFSET_NEEDED`` by the service."""

    offered_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None


class Records(BaseModel):
    contacts: list[Record] = Field(max_length=MAX_BULK)


class BulkRequest(BaseModel):
    """Up to 10,000 records. Each is checked on its own: a bad one is reported by its index and field, the
    good ones are stored."""

    contacts: list[ContactRecord] = Field(max_length=MAX_BULK)


class BulkEnvelope(BaseModel):
    """A bulk body whose records are taken as they come, to be checked one at a time."""

    contacts: list[Any]


class RecordError(BaseModel):
    index: int  # position in ``contacts`` (0-based)
    field: str | None
    message: str


class BulkResult(BaseModel):
    created: int
    duplicates: int  # already stored (same channel and call_id): not an error
    errors: list[RecordError]


class ContactPublic(BaseModel):
    id: int
    channel: str
    call_id: str | None
    direction: str
    customer_id: int | None
    customer: CustomerRef | None  # phone masked
    customer_role: str | None
    business_line_id: int | None
    business_line: Ref | None
    category_id: int | None
    category: CategoryRef | None
    agent_id: int | None
    agent: Ref | None
    queue: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: int | None
    hold_seconds: int | None
    wrap_seconds: int | None
    outcome: str
    ticket_id: int | None
    satisfaction: int | None
    created_at: datetime


class ContactPage(Page[ContactPublic]):
    """A page of contacts, newest offered first. ``count`` is exact up to 1,000 matches (or offset + limit
    if larger); past that it stops there and ``count_capped`` is true."""

    count_capped: bool = False
