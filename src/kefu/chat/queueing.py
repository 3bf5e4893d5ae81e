"""Agents' presence and the assignment round: the store's state handed to the pure engine (``kefu.chat.assign``)
and its answer applied.

``run_assignment`` locks the ready agents' presence rows (``FOR UPDATE`` on PostgreSQL, in user-id order), so
two workers' rounds run one after the other and never put the same customer with two agents or an agent over
their limit; each assignment is also a conditional UPDATE on a still-waiting chat. It is called after every
change that can free capacity or add a customer (start, end, ready, reconnect, transfer, requeue, hold expiry).
Queues outside their working hours take part in no round: their customers are offered to leave a message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kefu.accounts.models import Skill, User, user_skills
from kefu.chat.assign import Agent, Assignment, Engine, Waiting
from kefu.chat.models import AgentPresence, Chat, ChatQueue
from kefu.chat.wakes import note
from kefu.contacts.models import Contact
from kefu.core.roles import Role
from kefu.core.settings import get_settings
from kefu.sla.clock import business_seconds_between
from kefu.sla.models import SlaCalendar
from kefu.sla.service import calendar_of
from kefu.timers import service as timers
from kefu.wfm.state_store import record_presence

FIRST_REPLY = "chat_first_reply"
QUEUE_TIMEOUT = "chat_queue_timeout"
HOLD = "chat_hold"
GRACE = "chat_agent_grace"
DEFAULT_CONCURRENCY = 3


def engine() -> Engine:
    s = get_settings()
    return Engine(returning_hold=timedelta(seconds=s.chat_returning_hold_seconds), trainees_pick=s.chat_trainees_pick)


def seconds(queue: ChatQueue, name: str) -> int:
    """A queue's timing (``idle_prompt``, ``idle_close``, ``first_reply``, ``queue_timeout``), else the setting's."""
    own = getattr(queue, f"{name}_seconds")
    return own if own is not None else getattr(get_settings(), f"chat_{name}_seconds")


# -- presence ---------------------------------------------------------------------------------------------------
def presence(session: Session, *, user: User, now: datetime) -> AgentPresence:
    row = session.get(AgentPresence, user.id)
    if row is None:
        row = AgentPresence(user_id=user.id, status="offline", last_seen_at=now)
        session.add(row)
        session.flush()
    return row


def set_ready(session: Session, *, user: User, now: datetime, concurrency: int | None = None) -> AgentPresence:
    """The agent takes customers (示闲). ``concurrency``: their own limit, else the queues'."""
    row = presence(session, user=user, now=now)
    row.status, row.last_seen_at, row.disconnected_at = "ready", now, None
    if concurrency is not None:
        row.concurrency = max(1, concurrency)
    timers.cancel(session, kind=GRACE, ref_id=user.id)
    record_presence(session, user_id=user.id, state="ready", now=now)
    run_assignment(session, now=now)
    return row


def set_away(session: Session, *, user: User, now: datetime) -> AgentPresence:
    """The agent keeps their chats but gets no new customers (示忙)."""
    row = presence(session, user=user, now=now)
    row.status, row.last_seen_at = "away", now
    record_presence(session, user_id=user.id, state="not_ready", now=now)
    return row


def disconnect(session: Session, *, user: User, now: datetime) -> AgentPresence:
    """The agent's connection is gone: they keep their chats for the grace period, then the chats are requeued."""
    row = presence(session, user=user, now=now)
    if row.disconnected_at is None:
        row.disconnected_at = now
        grace = get_settings().chat_disconnect_grace_seconds
        timers.schedule(session, kind=GRACE, ref_id=user.id, due_at=now + timedelta(seconds=grace))
    return row


def reconnect(session: Session, *, user: User, now: datetime) -> AgentPresence:
    row = presence(session, user=user, now=now)
    row.disconnected_at, row.last_seen_at = None, now
    timers.cancel(session, kind=GRACE, ref_id=user.id)
    run_assignment(session, now=now)
    return row


def requeue_chats_of(session: Session, *, user_id: int, now: datetime) -> list[Chat]:
    """The grace period is over: the agent goes offline and their chats go back to the front of the queue."""
    row = session.get(AgentPresence, user_id)
    if row is not None:
        # logged out when the grace ran out, even if the timer ran late
        at = now if row.disconnected_at is None else min(
            now, row.disconnected_at + timedelta(seconds=get_settings().chat_disconnect_grace_seconds))
        row.status, row.disconnected_at = "offline", None
        record_presence(session, user_id=user_id, state="logged_out", now=at)
    chats = session.scalars(select(Chat).where(Chat.agent_id == user_id, Chat.status == "active")
                            .order_by(Chat.id)).all()
    for chat in chats:
        put_back(session, chat=chat, front=True)
    run_assignment(session, now=now)
    return list(chats)


def put_back(session: Session, *, chat: Chat, front: bool, team_id: int | None = None) -> None:
    """A chat returns to its queue (its first offered time keeps its place; ``front`` puts it ahead)."""
    from kefu.chat.flow import cancel_agent_timers

    note(session, chat.id, chat.agent_id)  # its listeners and the agent who had it (told it is released)
    chat.status, chat.agent_id, chat.front, chat.team_id = "waiting", None, front, team_id
    chat.preferred_agent_id, chat.waiting_since = None, chat.offered_at
    cancel_agent_timers(session, chat=chat)


# -- the round --------------------------------------------------------------------------------------------------
def _skills(session: Session, user_ids: list[int]) -> dict[int, frozenset[str]]:
    rows = session.execute(select(user_skills.c.user_id, Skill.code).join(Skill, Skill.id == user_skills.c.skill_id)
                           .where(user_skills.c.user_id.in_(user_ids))).all()
    found: dict[int, set[str]] = {}
    for uid, code in rows:
        found.setdefault(uid, set()).add(code)
    return {uid: frozenset(found.get(uid, ())) for uid in user_ids}


def seat_of(session: Session, *, user_id: int) -> Agent | None:
    """One ready agent's seat (load, limit…), or ``None`` when they are not ready."""
    found = _agents(session, user_id=user_id)
    return found[0] if found else None


def _agents(session: Session, *, user_id: int | None = None) -> list[Agent]:
    stmt = (select(AgentPresence, User.role, User.team_id).join(User, User.id == AgentPresence.user_id)
            .where(AgentPresence.status == "ready", User.is_active.is_(True)))
    if user_id is not None:
        stmt = stmt.where(AgentPresence.user_id == user_id)
    rows = session.execute(stmt.order_by(AgentPresence.user_id).with_for_update(of=AgentPresence)).all()
    ids = [p.user_id for p, _, _ in rows]
    if not ids:
        return []
    loads = dict(session.execute(select(Chat.agent_id, func.count()).where(Chat.status == "active",
                                                                           Chat.agent_id.in_(ids))
                                 .group_by(Chat.agent_id)).all())
    default = session.scalar(select(func.min(ChatQueue.concurrency)).where(ChatQueue.is_active.is_(True)))
    skills = _skills(session, ids)
    return [Agent(agent_id=p.user_id, ready=True, limit=p.concurrency or default or DEFAULT_CONCURRENCY,
                  load=loads.get(p.user_id, 0), skills=skills[p.user_id], team_id=team_id,
                  disconnected=p.disconnected_at is not None, trainee=role == Role.trainee)
            for p, role, team_id in rows]


def queue_open(session: Session, *, queue: ChatQueue, now: datetime) -> bool:
    """Within the queue's working hours (no calendar: always). Outside them nobody is assigned from it."""
    if queue.calendar_id is None:
        return True
    calendar = calendar_of(session.get(SlaCalendar, queue.calendar_id))
    return business_seconds_between(calendar, now, now + timedelta(minutes=1)) > 0


def _waiting(session: Session, now: datetime) -> list[tuple[Chat, Waiting]]:
    queues = session.scalars(select(ChatQueue).where(ChatQueue.is_active.is_(True))).all()
    open_ids = [q.id for q in queues if queue_open(session, queue=q, now=now)]
    rows = session.execute(
        select(Chat, Skill.code).join(ChatQueue, ChatQueue.id == Chat.queue_id)
        .outerjoin(Skill, Skill.id == ChatQueue.skill_id).where(Chat.status == "waiting", Chat.queue_id.in_(open_ids))
        .order_by(Chat.front.desc(), Chat.waiting_since, Chat.id).with_for_update(of=Chat, skip_locked=True)
    ).all()
    return [(chat, Waiting(chat_id=chat.id, since=chat.waiting_since, skill=skill, front=chat.front,
                           last_agent_id=chat.preferred_agent_id, team_id=chat.team_id)) for chat, skill in rows]


def run_assignment(session: Session, *, now: datetime) -> list[Assignment]:
    """One round: assign every waiting customer an eligible agent can take, and apply it."""
    if session.scalar(select(Chat.id).where(Chat.status == "waiting").limit(1)) is None:
        return []
    agents = _agents(session)  # locks the ready agents first: rounds take turns
    waiting = _waiting(session, now)
    eng = engine()
    made = eng.assign([w for _, w in waiting], agents, now)
    chats = {chat.id: chat for chat, _ in waiting}
    applied = [m for m in made if _apply(session, chat=chats[m.chat_id], agent_id=m.agent_id, now=now)]
    taken = {m.chat_id for m in applied}
    by_id = {a.agent_id: a for a in agents}
    for chat, w in waiting:  # a 熟客 held for their agent: look again when the hold runs out
        if chat.id not in taken and eng.held(w, by_id, now):
            timers.schedule(session, kind=HOLD, ref_id=chat.id, due_at=eng.hold_ends(w))
    return applied


def pick(session: Session, *, chat: Chat, user: User, now: datetime) -> Chat:
    """A trainee takes a waiting customer out of the queue themselves (seed 004: 新入职人员 only, and only with
    ``KEFU_CHAT_TRAINEES_PICK``); everyone else is assigned."""
    from kefu.core.errors import Conflict, Forbidden

    eng = engine()
    seat = seat_of(session, user_id=user.id)
    if seat is None or chat.status != "waiting":
        raise Conflict("pick a waiting customer while ready", field="chat")
    skill = session.scalar(select(Skill.code).join(ChatQueue, ChatQueue.skill_id == Skill.id)
                           .where(ChatQueue.id == chat.queue_id))
    waiting = Waiting(chat_id=chat.id, since=chat.waiting_since, skill=skill, team_id=chat.team_id)
    if not eng.may_pick(seat, waiting):
        raise Forbidden("customers are assigned automatically; only trainees may pick, when the center allows it",
                        field="chat")
    if not _apply(session, chat=chat, agent_id=user.id, now=now):
        raise Conflict("that customer has just been taken", field="chat")
    return chat


def _apply(session: Session, *, chat: Chat, agent_id: int, now: datetime) -> bool:
    from kefu.chat.flow import assigned

    done = session.execute(
        update(Chat).where(Chat.id == chat.id, Chat.status == "waiting")
        .values(status="active", agent_id=agent_id, assigned_at=now, front=False, team_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        return False
    session.refresh(chat)
    note(session, chat.id, agent_id)
    contact = session.get(Contact, chat.contact_id)
    contact.agent_id, contact.outcome = agent_id, "answered"
    contact.answered_at = contact.answered_at or now
    assigned(session, chat=chat, now=now)
    return True
