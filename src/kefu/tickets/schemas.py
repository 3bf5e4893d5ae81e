from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, model_serializer

from kefu.core import pii
from kefu.core.schemas import Page, not_null
from kefu.tickets.models import Ticket

Channel = Literal["phone", "chat", "email", "wechat", "weibo", "self_service", "regulator", "internal"]
Priority = Literal["low", "normal", "high", "urgent"]
Status = Literal["new", "open", "pending", "escalated", "resolved", "closed"]
ComplaintType = Literal["none", "internal", "external"]


class TicketCreate(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    customer_id: int | None = None
    business_line_id: int | None = None
    category_id: int | None = None
    channel: Channel = "phone"
    priority: Priority = "normal"
    complaint_type: ComplaintType = "none"
    assignee_id: int | None = None
    team_id: int | None = None


class TicketUpdate(BaseModel):
    subject: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=20000)
    customer_id: int | None = None
    business_line_id: int | None = None
    category_id: int | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    complaint_type: ComplaintType | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    status: Status | None = None

    no_nulls = not_null("subject", "description", "channel", "priority", "complaint_type")


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class MergeRequest(BaseModel):
    target_id: int
    reason: str = Field("", max_length=1000)


class MessageCreate(BaseModel):
    body: str = Field(min_length=1, max_length=20000)
    internal: bool = False


class Ref(BaseModel):
    id: int
    name: str


class CategoryRef(Ref):
    code: str


class CustomerRef(BaseModel):
    id: int
    name: str
    role: str
    phone: str | None  # always masked here


class TicketPublic(BaseModel):
    id: int
    subject: str
    description: str
    status: Status
    tier: int
    category: CategoryRef | None
    category_id: int | None
    business_line: Ref | None
    channel: Channel
    priority: Priority
    complaint_type: ComplaintType
    customer_id: int | None
    customer: CustomerRef | None
    assignee_id: int | None
    assignee: Ref | None
    team_id: int | None
    team: Ref | None
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    resolution_due_at: datetime | None
    sla_status: str
    overdue: bool
    carry_over: bool


class TicketPage(Page[TicketPublic]):
    """A page of tickets. ``count`` is exact up to 1,000 matches (or offset + limit if larger); past that
    it stops there and ``count_capped: true`` is added: more tickets match than ``count`` says. An exact
    count leaves the field out, so the response stays ``{data, count}``."""

    count_capped: bool = Field(False, description="present (true) only when more tickets match than count "
                                                  "says: the count stopped at 1,000, or at offset + limit")

    @model_serializer(mode="wrap")
    def _only_when_capped(self, handler):
        out = handler(self)
        if not self.count_capped:
            out.pop("count_capped", None)
        return out


class EventPublic(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    kind: str
    data: dict


class MessagePublic(BaseModel):
    id: int
    author_name: str
    author_kind: str
    internal: bool
    body: str
    created_at: datetime
    # a reply sent on WeChat / Weibo: {channel, state: pending | sent | failed, attempts, error, sent_at}
    delivery: dict | None = None


class AttachmentPublic(BaseModel):
    id: int
    ticket_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class CompensationCreate(BaseModel):
    kind: Literal["red_packet", "free_order", "refund"]
    reason: Literal["unused_7_days", "expired", "service_failure", "other"]
    amount: float = Field(gt=0, le=100000, description="yuan (元), two decimals")
    note: str = Field("", max_length=1000)


class CompensationPublic(BaseModel):
    id: int
    ticket_id: int
    kind: str
    reason: str
    amount: float
    note: str
    granted_by_id: int | None
    created_at: datetime


class TicketListQuery(BaseModel):
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None


def ticket_public(t: Ticket, *, now: datetime, today_start: datetime) -> TicketPublic:
    from kefu.tickets.queries import is_carry_over, overdue

    return TicketPublic(
        id=t.id, subject=t.subject, description=t.description, status=t.status, tier=t.tier,
        category=CategoryRef(id=t.category.id, name=t.category.name, code=t.category.code) if t.category else None,
        category_id=t.category_id,
        business_line=Ref(id=t.business_line.id, name=t.business_line.name) if t.business_line else None,
        channel=t.channel, priority=t.priority, complaint_type=t.complaint_type, customer_id=t.customer_id,
        customer=CustomerRef(id=t.customer.id, name=t.customer.name, role=t.customer.role,
                             phone=pii.mask_phone(t.customer.phone)) if t.customer else None,
        assignee_id=t.assignee_id,
        assignee=Ref(id=t.assignee.id, name=t.assignee.display_name) if t.assignee else None,
        team_id=t.team_id, team=Ref(id=t.team.id, name=t.team.name) if t.team else None,
        merged_into_id=t.merged_into_id, created_at=t.created_at, updated_at=t.updated_at,
        resolved_at=t.resolved_at, closed_at=t.closed_at, first_response_due_at=t.first_response_due_at,
        first_response_at=t.first_response_at, resolution_due_at=t.resolution_due_at, sla_status=t.sla_status,
        overdue=overdue(t, now), carry_over=is_carry_over(t, today_start),
    )
