"""A chat's life: start, messages both ways (agent messages through the etiquette checker), transfer, end,
rating, leaving a message (留言). Presence and the assignment round are ``kefu.chat.queueing`` (re-exported
here); the clocks are ``kefu.chat.flow``.

Functions take the session and keyword arguments and flush, never commit: the caller (a route, the WebSocket
transport, a timer) owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User, user_skills
from kefu.callbacks.service import create_callback
from kefu.chat import flow
from kefu.chat.messages import MAX_BODY, Stored, existing, post, post_script
from kefu.chat.messages import context as transcript
from kefu.chat.models import (
    OPEN_STATUSES,
    RATINGS,
    AgentPresence,
    Chat,
    ChatQueue,
    ContactViolation,
)
from kefu.chat.queueing import (
    disconnect,
    pick,
    put_back,
    queue_open,
    reconnect,
    requeue_chats_of,
    run_assignment,
    seat_of,
    set_away,
    set_ready,
)
from kefu.chat.wakes import note
from kefu.compliance import Violation, blocked, check
from kefu.contacts.models import Contact
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.core.settings import get_settings
from kefu.customers.service import match_or_create
from kefu.tickets.models import Ticket
from kefu.tickets.service import create_ticket

__all__ = ["MessageBlocked", "agent_message", "customer_message", "disconnect", "end_chat", "leave_message", "pick",
           "rate", "reconnect", "requeue_chats_of", "run_assignment", "set_away", "set_ready", "start_chat", "transfer"]


class MessageBlocked(Invalid):
    """The etiquette checker refused the agent's message (another customer's data, internal data)."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("the message was not sent: " + "; ".join(v.message for v in violations if v.blocking),
                         field="body")
        self.violations = violations


_STATE = select(Chat.id, Chat.status, Chat.agent_id, Chat.queue_id, Chat.contact_id, Chat.customer_id,
                Chat.first_agent_reply_at).where(Chat.id == bindparam("chat_id"))


def chat_state(session: Session, chat_id: int):
    """The columns of a chat a message needs (``customer_message``, ``agent_message`` take it in place of the
    chat), as a plain row: the transport writes messages without loading the ORM's chat."""
    row = session.execute(_STATE, {"chat_id": chat_id}).first()
    if row is None:
        raise NotFound(f"no chat {chat_id}")
    return row


def get_chat(session: Session, chat_id: int) -> Chat:
    chat = session.get(Chat, chat_id)
    if chat is None:
        raise NotFound(f"no chat {chat_id}")
    return chat


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Invalid("a message must not be empty", field="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"a message has at most {MAX_BODY} characters", field="body")
    return body


def _someone_ready(session: Session, *, queue: ChatQueue) -> bool:
    stmt = select(AgentPresence.user_id).where(AgentPresence.status == "ready",
                                               AgentPresence.disconnected_at.is_(None))
    if queue.skill_id is not None:
        stmt = stmt.join(user_skills, user_skills.c.user_id == AgentPresence.user_id).where(
            user_skills.c.skill_id == queue.skill_id)
    return session.scalar(stmt.limit(1)) is not None


def _last_agent(session: Session, *, customer_id: int) -> int | None:
    return session.scalar(select(Chat.agent_id).where(Chat.customer_id == customer_id, Chat.agent_id.is_not(None),
                                                      Chat.status == "ended")
                          .order_by(Chat.ended_at.desc(), Chat.id.desc()).limit(1))


# -- the customer's side ------------------------------------------------------------------------------------------
def start_chat(session: Session, *, now: datetime, queue_code: str, name: str | None = None,
               phone: str | None = None, email: str | None = None, openid: str | None = None,
               opening: tuple[str, str] | None = None) -> Chat:
    """A customer opens a chat: matched to a customer, recorded as a ``chat`` contact, queued and (when an agent
    can take them) assigned. A customer with an open chat in this queue gets it back (a reloaded widget).
    ``opening`` (kind, body): a system message a new chat starts with, before any other (the bot's transcript)."""
    queue = session.scalar(select(ChatQueue).where(ChatQueue.code == queue_code, ChatQueue.is_active.is_(True)))
    if queue is None:
        raise NotFound(f"no chat queue {queue_code!r}", field="queue")
    customer = match_or_create(session, now=now, phone=phone, email=email, openid=openid, name=name)
    already = session.scalar(select(Chat).where(Chat.customer_id == customer.id, Chat.queue_id == queue.id,
                                                Chat.status.in_(OPEN_STATUSES)))
    if already is not None:
        return already
    # a chat no agent ever takes stays "abandoned" (the contact's outcomes are the telephony system's)
    contact = Contact(channel="chat", direction="inbound", customer_id=customer.id, customer_role=customer.role,
                      queue=queue.code, offered_at=now, outcome="abandoned", created_at=now)
    session.add(contact)
    session.flush()
    chat = Chat(contact_id=contact.id, customer_id=customer.id, queue_id=queue.id, status="waiting", front=False,
                preferred_agent_id=_last_agent(session, customer_id=customer.id), offered_at=now, waiting_since=now,
                last_seq=0)
    session.add(chat)
    session.flush()
    contact.external_id = f"chat-{chat.id}"
    if opening is not None:
        post(session, chat=chat, sender="system", kind=opening[0], body=opening[1], now=now)
    flow.waiting_started(session, chat=chat, queue=queue, now=now)
    if not queue_open(session, queue=queue, now=now) or not _someone_ready(session, queue=queue):
        flow.offer_message(session, chat=chat, now=now)
    run_assignment(session, now=now)
    return chat


def customer_message(session: Session, *, chat: Chat, body: str, now: datetime,
                     client_msg_id: str | None = None) -> Stored:
    """The customer wrote. A resend (same ``client_msg_id``) returns the stored message and changes nothing."""
    found = existing(session, chat=chat, sender="customer", client_msg_id=client_msg_id)
    if found is not None:
        return found
    if chat.status not in OPEN_STATUSES:
        raise Conflict("this chat has ended", field="chat")
    body = _body(body)
    message, _ = post(session, chat=chat, sender="customer", body=body, now=now, client_msg_id=client_msg_id,
                      looked=True, changes=flow.customer_spoke(session, chat=chat, now=now), news=True)
    return message


# -- the agent's side -------------------------------------------------------------------------------------------
def agent_message(session: Session, *, chat: Chat, agent: User, body: str, now: datetime,
                  client_msg_id: str | None = None) -> tuple[Stored, list[Violation]]:
    """The agent wrote. The etiquette checker reads it in the conversation so far: a blocking violation refuses
    it (``MessageBlocked``, nothing stored); warnings are returned and stored on the message for QA."""
    found = existing(session, chat=chat, sender="agent", client_msg_id=client_msg_id)
    if found is not None:
        return found, []
    if chat.status != "active" or chat.agent_id != agent.id:
        raise Forbidden("only the agent serving this chat may write in it", field="chat")
    body = _body(body)
    violations = check(body, transcript(session, chat=chat))
    if blocked(violations):
        raise MessageBlocked(violations)
    message, created = post(session, chat=chat, sender="agent", body=body, now=now, author_id=agent.id,
                            client_msg_id=client_msg_id, looked=True,
                            violations=[v.as_dict() for v in violations] or None,
                            changes=flow.agent_answered(session, chat=chat, now=now), news=True)
    if created:
        _keep_for_qa(session, chat=chat, message=message, violations=violations, now=now)
    return message, violations


def _keep_for_qa(session: Session, *, chat: Chat, message: Stored, violations: list[Violation],
                 now: datetime) -> None:
    """Each warning the agent sent anyway, on the chat's contact for QA (质检)."""
    session.add_all(ContactViolation(contact_id=chat.contact_id, message_id=message.id, agent_id=message.author_id,
                                     rule=v.rule, severity=v.severity, start=v.start, end=v.end,
                                     message=v.message[:300], suggestion=(v.suggestion or None) and v.suggestion[:300],
                                     created_at=now) for v in violations)


def transfer(session: Session, *, chat: Chat, actor: Actor, now: datetime, to_agent_id: int | None = None,
             to_team_id: int | None = None) -> Chat:
    """Hand the chat to another agent (who must be ready with room) or to a team's queue (ahead of the rest)."""
    if (to_agent_id is None) == (to_team_id is None):
        raise Invalid("transfer to an agent or to a team", field="to_agent_id")
    if chat.status != "active":
        raise Conflict("only an active chat can be transferred", field="chat")
    if actor.user_id != chat.agent_id and actor.role not in ("team_lead", "supervisor", "admin"):
        raise Forbidden("only the chat's agent or a lead transfers it", field="chat")
    if to_team_id is not None:
        team = session.get(Team, to_team_id)
        if team is None:
            raise Invalid(f"no team {to_team_id}", field="to_team_id")
        post(session, chat=chat, sender="system", kind="transfer", now=now,
             body=f"正在为您转接至{team.name},请您稍等。", args={"team": team.name})
        put_back(session, chat=chat, front=True, team_id=team.id)
        run_assignment(session, now=now)
        return chat
    target = session.get(User, to_agent_id)
    seat = seat_of(session, user_id=to_agent_id)
    if target is None or seat is None or seat.disconnected:
        raise Conflict("that agent is not ready for chats", field="to_agent_id")
    if seat.load >= seat.limit:
        raise Conflict("that agent has no room for another chat", field="to_agent_id")
    flow.cancel_agent_timers(session, chat=chat)
    note(session, chat.id, chat.agent_id, target.id)
    chat.agent_id, chat.assigned_at = target.id, now
    session.get(Contact, chat.contact_id).agent_id = target.id
    flow.assigned(session, chat=chat, now=now)
    return chat


def end_chat(session: Session, *, chat: Chat, now: datetime, reason: str = "agent") -> Chat:
    """End the chat with the standard closing (the idle closing when it idled out); capacity frees up."""
    if chat.status not in OPEN_STATUSES:
        return chat
    was_active = chat.status == "active"
    if was_active:
        code = "idle_close" if reason == "idle" else "closing_goodbye"
        post_script(session, chat=chat, code=code, kind="closing", now=now)
    chat.status = "ended" if was_active else "abandoned"
    chat.ended_at, chat.end_reason = now, reason
    note(session, chat.id)  # its sockets hear of the end once this commits (an idle closing: the timer worker)
    contact = session.get(Contact, chat.contact_id)
    contact.ended_at = now
    if chat.assigned_at is not None:
        contact.talk_seconds = int((now - chat.assigned_at).total_seconds())
    flow.cancel_all(session, chat=chat)
    if was_active:
        run_assignment(session, now=now)
    return chat


def rate(session: Session, *, chat: Chat, rating: int, now: datetime) -> Chat:
    """The post-chat rating, 5 非常满意 … 1 非常不满意, also the contact's satisfaction."""
    if rating not in RATINGS:
        raise Invalid("a rating is 1 (非常不满意) to 5 (非常满意)", field="rating")
    if chat.status != "ended" or chat.assigned_at is None:
        raise Conflict("only a served chat that has ended can be rated", field="chat")
    if chat.rating is not None:
        raise Conflict("this chat has been rated", field="rating")
    chat.rating, chat.rated_at = rating, now
    session.get(Contact, chat.contact_id).satisfaction = rating
    return chat


def leave_message(session: Session, *, chat: Chat, body: str, now: datetime, phone: str | None = None,
                  preferred_time: str | None = None) -> Ticket:
    """留言: a waiting customer's message becomes a ticket for the queue's team with a callback (回访) due within
    the default first-response time; the chat closes."""
    if chat.status != "waiting":
        raise Conflict("only a customer still waiting can leave a message", field="chat")
    body = _body(body)
    queue = session.get(ChatQueue, chat.queue_id)
    actor = Actor.system(now)
    ticket = create_ticket(session, actor=actor, data={
        "subject": f"在线留言({queue.name}):{body[:60]}", "description": body, "customer_id": chat.customer_id,
        "channel": "chat", "team_id": queue.team_id})
    session.flush()
    due = now + timedelta(hours=get_settings().default_first_response_hours)
    create_callback(session, actor=actor, ticket_id=ticket.id, customer_id=chat.customer_id, due_at=due,
                    owner_id=None, contact_phone=phone, preferred_time=preferred_time, note=body[:500])
    post(session, chat=chat, sender="customer", kind="left_message", body=body, now=now)
    chat.status, chat.ended_at, chat.end_reason, chat.ticket_id = "left_message", now, "left_message", ticket.id
    contact = session.get(Contact, chat.contact_id)
    contact.outcome, contact.ended_at, contact.ticket_id = "callback_requested", now, ticket.id
    flow.cancel_all(session, chat=chat)
    return ticket

