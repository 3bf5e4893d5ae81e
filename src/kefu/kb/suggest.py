"""The text suggestions are searched with: what the agent has in front of them (a ticket, a chat)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.chat.models import Chat, ChatMessage
from kefu.core.errors import Invalid, NotFound
from kefu.kb.bot import wants_human
from kefu.kb.models import BotSession, BotTurn
from kefu.tickets.models import Ticket, TicketMessage

MAX_CHARS = 2000


def suggestion_text(session: Session, *, text: str | None = None, ticket_id: int | None = None,
                    chat_id: int | None = None) -> str:
    parts = [text or ""]
    if ticket_id is not None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"no ticket {ticket_id}", field="ticket_id")
        parts += [ticket.subject, ticket.subject, ticket.description or ""]  # the subject says it best
        parts += list(session.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id,
                                                                       TicketMessage.author_kind == "customer")
                                      .order_by(TicketMessage.id.desc()).limit(5)))
    if chat_id is not None:
        if session.get(Chat, chat_id) is None:
            raise NotFound(f"no chat {chat_id}", field="chat_id")
        parts += list(session.scalars(select(ChatMessage.body).where(ChatMessage.chat_id == chat_id,
                                                                     ChatMessage.sender == "customer")
                                      .order_by(ChatMessage.seq.desc()).limit(10)))
        parts += bot_questions(session, chat_id)
    joined = "\n".join(p for p in parts if p).strip()
    if not joined:
        raise Invalid("give a text, a ticket_id or a chat_id", field="text")
    return joined[:MAX_CHARS]


def bot_questions(session: Session, chat_id: int) -> list[str]:
    """What the customer asked the self-service bot before it handed this chat over (not the 转人工 itself)."""
    rows = session.scalars(select(BotTurn.body).join(BotSession, BotSession.id == BotTurn.session_id)
                           .where(BotSession.chat_id == chat_id, BotTurn.sender == "customer",
                                  BotTurn.kind == "question").order_by(BotTurn.id.desc()).limit(10))
    return [body for body in rows if not wants_human(body)]
