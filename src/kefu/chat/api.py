"""/chats: what the agent workspace reads beside the socket — a chat's customer in context (PII masked, recent
tickets and contacts), a ticket created for the chat or linked to it, and the open chats a lead may observe.
Messages, presence, transfer and end go over the socket (docs/chat-protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.chat import queues, workspace
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page, not_null
from kefu.customers.schemas import CustomerPublic

router = Router(prefix="/chats", tags=["chat"])
qa = Router(prefix="/contacts", tags=["contacts"])
admin = Router(prefix="/chat-queues", tags=["chat"])
QueueAdmin = Annotated[Principal, require(Perm.chat_queues)]
Seconds = Annotated[int | None, Field(None, ge=1, le=86400)]
Seat = Annotated[Principal, require(Perm.chat_serve)]
Observer = Annotated[Principal, require(Perm.chat_observe)]
ContactReader = Annotated[Principal, require(Perm.contacts_read)]


class OpenChatPublic(Out):
    id: int
    status: str
    queue: str
    customer: str
    agent: str | None
    waiting_since: datetime
    assigned_at: datetime | None
    messages: int


class TicketBrief(Out):
    id: int
    subject: str
    status: str
    priority: str
    tier: int
    created_at: datetime


class ContactBrief(Out):
    id: int
    channel: str
    offered_at: datetime
    outcome: str
    satisfaction: int | None
    ticket_id: int | None


class ChatContextPublic(BaseModel):
    id: int
    status: str
    queue: str
    agent: str | None
    offered_at: datetime
    customer: CustomerPublic
    ticket: TicketBrief | None
    tickets: list[TicketBrief]
    contacts: list[ContactBrief]


class ChatTicketRequest(BaseModel):
    """Link one of the customer's tickets (``ticket_id``) or create one (``subject``; the conversation so far
    becomes its description)."""

    ticket_id: int | None = None
    subject: str | None = Field(None, max_length=200)
    category_id: int | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None


def context_public(ctx: workspace.ChatContext) -> dict:
    return {"id": ctx.chat.id, "status": ctx.chat.status, "queue": ctx.queue.name, "agent": ctx.agent_name,
            "offered_at": ctx.chat.offered_at, "customer": ctx.customer, "ticket": ctx.ticket,
            "tickets": ctx.tickets, "contacts": ctx.contacts}


@router.get("", response_model=Page[OpenChatPublic])
def list_open_chats(session: SessionDep, _: Observer):
    """Waiting and active chats, longest waiting first (the first 200): what a lead may observe."""
    rows, count = workspace.open_chats(session)
    return {"data": rows, "count": count}


@router.get("/{chat_id}", response_model=ChatContextPublic)
def get_chat_context(chat_id: int, session: SessionDep, principal: Seat):
    """The chat with its customer (PII masked) and the customer's recent tickets and contacts; the chat's agent
    and leads only."""
    chat = workspace.visible_chat(session, chat_id=chat_id, user_id=principal.user.id, role=principal.user.role)
    return context_public(workspace.context(session, chat=chat))


@router.post("/{chat_id}/ticket", response_model=TicketBrief, status_code=201)
def attach_ticket(chat_id: int, body: ChatTicketRequest, session: SessionDep, principal: Seat):
    """Create a ticket for the chat or link one of its customer's tickets (once per chat)."""
    chat = workspace.visible_chat(session, chat_id=chat_id, user_id=principal.user.id, role=principal.user.role)
    ticket = workspace.attach_ticket(session, chat=chat, actor=principal.actor, **body.model_dump())
    session.flush()
    return ticket


class ViolationPublic(Out):
    id: int
    message_id: int | None
    agent_id: int | None
    rule: str
    severity: str
    start: int
    end: int
    message: str
    suggestion: str | None
    created_at: datetime


@qa.get("/{contact_id}/violations", response_model=Page[ViolationPublic])
def contact_violations(contact_id: int, session: SessionDep, _: ContactReader):
    """The etiquette checker's warnings on the agent's messages of this contact (a chat), oldest first, for QA;
    ``message_id`` is the chat message they are about."""
    rows = workspace.violations(session, contact_id=contact_id)
    return {"data": rows, "count": len(rows)}


class QueuePublic(Out):
    id: int
    code: str
    name: str
    skill_id: int | None
    team_id: int | None
    calendar_id: int | None
    concurrency: int
    idle_prompt_seconds: int | None
    idle_close_seconds: int | None
    first_reply_seconds: int | None
    queue_timeout_seconds: int | None
    is_active: bool


class QueueCreate(BaseModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=100)
    skill_id: int | None = None
    team_id: int | None = None
    calendar_id: int | None = None  # working hours; none: always open
    concurrency: int = Field(3, ge=1, le=20)
    idle_prompt_seconds: Seconds = None  # none: KEFU_CHAT_IDLE_PROMPT_SECONDS
    idle_close_seconds: Seconds = None
    first_reply_seconds: Seconds = None
    queue_timeout_seconds: Seconds = None
    is_active: bool = True


class QueueUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    skill_id: int | None = None
    team_id: int | None = None
    calendar_id: int | None = None
    concurrency: int | None = Field(None, ge=1, le=20)
    idle_prompt_seconds: Seconds = None
    idle_close_seconds: Seconds = None
    first_reply_seconds: Seconds = None
    queue_timeout_seconds: Seconds = None
    is_active: bool | None = None

    no_nulls = not_null("name", "concurrency", "is_active")


@admin.get("", response_model=Page[QueuePublic])
def list_queues(session: SessionDep, _: QueueAdmin):
    rows = queues.list_queues(session)
    return {"data": rows, "count": len(rows)}


@admin.post("", response_model=QueuePublic, status_code=201)
def create_queue(body: QueueCreate, session: SessionDep, principal: QueueAdmin):
    return queues.create_queue(session, actor=principal.actor, data=body.model_dump())


@admin.patch("/{queue_id}", response_model=QueuePublic)
def update_queue(queue_id: int, body: QueueUpdate, session: SessionDep, principal: QueueAdmin):
    """Change a queue; a timing set to null goes back to the ``KEFU_CHAT_*`` default."""
    queue = queues.get_queue(session, queue_id)
    return queues.update_queue(session, actor=principal.actor, queue=queue,
                               changes=body.model_dump(exclude_unset=True))
