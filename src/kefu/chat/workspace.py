"""What the agent workspace shows beside a chat, and what it does besides messages (those go over the socket):
the chat's customer in context (PII masked, their recent tickets and contacts), a ticket created for the chat or
an existing one linked to it, who a chat can be transferred to, and the open chats a lead may observe.

A chat is seen by the agent serving it, and by team leads, supervisors and admins (who observe); anyone else on a
seat gets 403, as on the socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.chat.messages import history
from kefu.chat.models import OPEN_STATUSES, AgentPresence, Chat, ChatQueue, ContactViolation
from kefu.chat.service import get_chat
from kefu.contacts.models import Contact
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.roles import PERMISSIONS, Perm, can
from kefu.customers.models import Customer
from kefu.customers.service import masked_view
from kefu.tickets.models import Ticket
from kefu.tickets.service import create_ticket, get_ticket

SHOWN = 10  # recent tickets and contacts beside a chat
SPEAKER = {"customer": "客户", "agent": "客服", "system": "系统"}
TRANSCRIPT_CHARS = 4000  # of the conversation copied into a ticket created from the chat


def visible_chat(session: Session, *, chat_id: int, user_id: int, role: str) -> Chat:
    """The chat, if this user serves it or may observe chats; else ``Forbidden``."""
    chat = get_chat(session, chat_id)
    if chat.agent_id != user_id and not can(role, Perm.chat_observe):
        raise Forbidden("this chat is not yours", field="chat_id")
    return chat


@dataclass
class ChatContext:
    chat: Chat
    queue: ChatQueue
    customer: dict  # masked
    tickets: list[Ticket]
    contacts: list[Contact]
    ticket: Ticket | None  # the chat's own ticket, once created or linked
    agent_name: str | None


def context(session: Session, *, chat: Chat) -> ChatContext:
    customer = session.get(Customer, chat.customer_id)
    tickets = list(session.scalars(select(Ticket).where(Ticket.customer_id == chat.customer_id)
                                   .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(SHOWN)))
    contacts = list(session.scalars(select(Contact).where(Contact.customer_id == chat.customer_id,
                                                          Contact.id != chat.contact_id)
                                    .order_by(Contact.offered_at.desc(), Contact.id.desc()).limit(SHOWN)))
    agent = session.get(User, chat.agent_id) if chat.agent_id else None
    return ChatContext(chat=chat, queue=session.get(ChatQueue, chat.queue_id), customer=masked_view(customer),
                       tickets=tickets, contacts=contacts,
                       ticket=session.get(Ticket, chat.ticket_id) if chat.ticket_id else None,
                       agent_name=(agent.display_name or agent.username) if agent else None)


def transcript(session: Session, *, chat: Chat) -> str:
    """The conversation as plain lines (客户: …), the newest kept when it is long."""
    lines = [f"{SPEAKER[m.sender]}: {m.body}" for m in history(session, chat=chat)]
    text = "\n".join(lines)
    return text if len(text) <= TRANSCRIPT_CHARS else "…\n" + text[-TRANSCRIPT_CHARS:]


def _may_change(chat: Chat, actor: Actor) -> None:
    if chat.agent_id != actor.user_id and not can(actor.role, Perm.chat_observe):
        raise Forbidden("only the chat's agent or a lead files a ticket for it", field="chat_id")


def attach_ticket(session: Session, *, chat: Chat, actor: Actor, ticket_id: int | None = None,
                  subject: str | None = None, category_id: int | None = None, priority: str | None = None) -> Ticket:
    """Link an existing ticket of the chat's customer (``ticket_id``) or create one from the chat (``subject``,
    the conversation so far as its description). The chat's contact is linked too; a chat has one ticket."""
    _may_change(chat, actor)
    if chat.ticket_id is not None:
        raise Conflict(f"this chat already has ticket #{chat.ticket_id}", field="ticket_id")
    if (ticket_id is None) == (not (subject or "").strip()):
        raise Invalid("link a ticket (ticket_id) or create one (subject)", field="subject")
    if ticket_id is not None:
        ticket = get_ticket(session, ticket_id)
        if ticket.customer_id != chat.customer_id:
            raise Invalid("that ticket belongs to another customer", field="ticket_id")
    else:
        ticket = create_ticket(session, actor=actor, data={
            "subject": subject.strip()[:200], "description": transcript(session, chat=chat),
            "customer_id": chat.customer_id, "channel": "chat", "category_id": category_id,
            "priority": priority})
        session.flush()
    chat.ticket_id = ticket.id
    session.get(Contact, chat.contact_id).ticket_id = ticket.id
    return ticket


@dataclass
class OpenChat:
    id: int
    status: str
    queue: str
    customer: str
    agent: str | None
    waiting_since: datetime
    assigned_at: datetime | None
    messages: int


def open_chats(session: Session, *, limit: int = 200) -> tuple[list[OpenChat], int]:
    """Waiting and active chats, longest waiting first: what a lead may observe."""
    where = Chat.status.in_(OPEN_STATUSES)
    total = session.scalar(select(func.count()).select_from(Chat).where(where)) or 0
    rows = session.execute(
        select(Chat, ChatQueue.name, Customer.name, User.display_name, User.username)
        .join(ChatQueue, ChatQueue.id == Chat.queue_id).join(Customer, Customer.id == Chat.customer_id)
        .outerjoin(User, User.id == Chat.agent_id).where(where)
        .order_by(Chat.waiting_since, Chat.id).limit(limit)).all()
    return [OpenChat(id=c.id, status=c.status, queue=q, customer=cust or f"访客{c.customer_id}",
                     agent=(dn or un) if (dn or un) else None, waiting_since=c.waiting_since,
                     assigned_at=c.assigned_at, messages=c.last_seq)
            for c, q, cust, dn, un in rows], total


@dataclass
class Seat:
    id: int
    name: str
    status: str  # ready | away | offline


def transfer_targets(session: Session, *, exclude_user_id: int) -> tuple[list[Seat], list[Team]]:
    """Staff on a seat (with their presence) and the teams a chat can be sent to."""
    serving = sorted(r.value for r in PERMISSIONS[Perm.chat_serve])
    rows = session.execute(select(User, AgentPresence.status).outerjoin(AgentPresence, AgentPresence.user_id == User.id)
                           .where(User.is_active.is_(True), User.role.in_(serving), User.id != exclude_user_id)
                           .order_by(User.display_name, User.id)).all()
    seats = [Seat(id=u.id, name=u.display_name or u.username, status=status or "offline") for u, status in rows]
    teams = list(session.scalars(select(Team).order_by(Team.name)))
    return seats, teams


def seat_state(session: Session, *, user_id: int) -> dict:
    """What a reconnecting workspace reconciles with: the agent's active chats (``chats``; any other panel it
    shows is no longer theirs) and their presence."""
    presence = session.get(AgentPresence, user_id)
    chats = session.scalars(select(Chat.id).where(Chat.agent_id == user_id, Chat.status == "active")
                            .order_by(Chat.id))
    return {"chats": list(chats), "presence": presence.status if presence is not None else "offline"}


def violations(session: Session, *, contact_id: int) -> list[ContactViolation]:
    """The etiquette warnings kept on a contact for QA, oldest first (``NotFound`` for no such contact)."""
    if session.get(Contact, contact_id) is None:
        raise NotFound(f"no contact {contact_id}")
    return list(session.scalars(select(ContactViolation).where(ContactViolation.contact_id == contact_id)
                                .order_by(ContactViolation.id)))
