"""/chats: what the agent workspace reads beside the socket — a chat's customer in context (PII masked, recent
tickets and contacts), a ticket created for the chat or linked to it, and the open chats a lead may observe.
Messages, presence, transfer and end go over the socket (docs/chat-protocol.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.chat import workspace
from kefu.core.deps import Principal, SessionDep, require
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.schemas import Out, Page
from kefu.customers.schemas import CustomerPublic

router = Router(prefix="/chats", tags=["chat"])
qa = Router(prefix="/contacts", tags=["contacts"])
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
