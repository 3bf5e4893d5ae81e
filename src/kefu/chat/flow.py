"""A chat's clocks, as durable timers (rows in ``timers``: a restart forgets nothing).

* First reply: an assigned chat without an agent reply for ``first_reply`` seconds alerts the team leader.
* The idle flow (3.5 分钟流程, seed 004): after the agent's answer, ``idle_prompt`` seconds of customer silence
  and the system asks whether they have other questions or are still there; ``idle_close`` more seconds and it
  sends the standard closing and closes the chat. A customer message resets it; the agent's next answer
  starts it again.
* Queue timeout: a customer waiting ``queue_timeout`` seconds is offered a callback or to leave a message.
* Disconnect grace: a disconnected agent's chats go back to the front of the queue when it runs out.
* 熟客 hold: when a returning customer's hold for their last agent ends, assignment runs again.

Each handler checks the chat is still in the state its timer was set for, so a late or repeated timer does
nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.chat import queueing
from kefu.chat.messages import post, scripted
from kefu.chat.models import AgentPresence, Chat, ChatQueue
from kefu.core.context import Actor
from kefu.core.settings import get_settings
from kefu.notifications.service import notify
from kefu.timers import service as timers

IDLE_PROMPT = "chat_idle_prompt"
IDLE_CLOSE = "chat_idle_close"
FIRST_REPLY, QUEUE_TIMEOUT, HOLD, GRACE = queueing.FIRST_REPLY, queueing.QUEUE_TIMEOUT, queueing.HOLD, queueing.GRACE
OFFER_MESSAGE = "{称呼},当前咨询人数较多或不在服务时间,您可以留言并留下联系方式,我们会尽快为您回电。"


def _after(queue: ChatQueue, name: str, now: datetime) -> datetime:
    return now + timedelta(seconds=queueing.seconds(queue, name))


def waiting_started(session: Session, *, chat: Chat, queue: ChatQueue, now: datetime) -> None:
    timers.schedule(session, kind=QUEUE_TIMEOUT, ref_id=chat.id, due_at=_after(queue, "queue_timeout", now))


def assigned(session: Session, *, chat: Chat, now: datetime) -> None:
    queue = session.get(ChatQueue, chat.queue_id)
    timers.cancel(session, kind=QUEUE_TIMEOUT, ref_id=chat.id)
    timers.cancel(session, kind=HOLD, ref_id=chat.id)
    if chat.first_agent_reply_at is None:
        timers.schedule(session, kind=FIRST_REPLY, ref_id=chat.id, due_at=_after(queue, "first_reply", now))
    agent = session.get(User, chat.agent_id)
    name = agent.display_name or agent.username
    post(session, chat=chat, sender="system", kind="assigned", now=now, body=f"客服代表{name}为您服务",
         args={"name": name})


def agent_answered(session: Session, *, chat: Chat, now: datetime) -> dict[str, Any]:
    """The agent wrote: the customer's silence is counted from now. Returns the chat's columns that change with
    the message (``kefu.chat.messages.post`` sets them in the statement that numbers it)."""
    first = chat.first_agent_reply_at is None
    timers.cancel_kinds(session, kinds=(FIRST_REPLY, IDLE_CLOSE) if first else (IDLE_CLOSE,), ref_id=chat.id)
    timers.schedule(session, kind=IDLE_PROMPT, ref_id=chat.id,
                    due_at=now + timedelta(seconds=_queue_seconds(session, chat.queue_id, "idle_prompt")))
    return {"idle_prompted_at": None, **({"first_agent_reply_at": now} if first else {})}


def customer_spoke(session: Session, *, chat: Chat, now: datetime) -> dict[str, Any]:
    """The customer wrote: the idle flow stops until the agent answers again. Returns the chat's columns that
    change with the message, as ``agent_answered``."""
    timers.cancel_kinds(session, kinds=(IDLE_PROMPT, IDLE_CLOSE), ref_id=chat.id)
    return {"last_customer_at": now, "idle_prompted_at": None}


_QUEUE_SECONDS = {name: select(getattr(ChatQueue, f"{name}_seconds")).where(ChatQueue.id == bindparam("queue_id"))
                  for name in ("idle_prompt", "idle_close", "first_reply", "queue_timeout")}


def _queue_seconds(session: Session, queue_id: int, name: str) -> int:
    """``queueing.seconds`` of the chat's queue, read as one column (this runs for every agent message)."""
    own = session.execute(_QUEUE_SECONDS[name], {"queue_id": queue_id}).scalar()
    return own if own is not None else getattr(get_settings(), f"chat_{name}_seconds")


def cancel_agent_timers(session: Session, *, chat: Chat) -> None:
    for kind in (FIRST_REPLY, IDLE_PROMPT, IDLE_CLOSE):
        timers.cancel(session, kind=kind, ref_id=chat.id)


def cancel_all(session: Session, *, chat: Chat) -> None:
    cancel_agent_timers(session, chat=chat)
    for kind in (QUEUE_TIMEOUT, HOLD):
        timers.cancel(session, kind=kind, ref_id=chat.id)


def offer_message(session: Session, *, chat: Chat, now: datetime) -> None:
    """Tell a waiting customer they may leave a message (留言) for a callback; once per chat."""
    if chat.message_offered_at is not None:
        return
    chat.message_offered_at = now
    text = OFFER_MESSAGE.replace("{称呼}", scripted_salutation(session, chat=chat, now=now))
    post(session, chat=chat, sender="system", kind="offer_message", body=text, now=now)


def scripted_salutation(session: Session, *, chat: Chat, now: datetime) -> str:
    from kefu.customers.models import Customer
    from kefu.scripts.render import salutation

    customer = session.get(Customer, chat.customer_id)
    return salutation(customer.name, customer.title) or "您"


# -- handlers ---------------------------------------------------------------------------------------------------
@timers.handler(IDLE_PROMPT)
def _idle_prompt(session: Session, timer, now: datetime) -> None:
    chat = session.get(Chat, timer.ref_id)
    if chat is None or chat.status != "active" or chat.idle_prompted_at is not None:
        return
    chat.idle_prompted_at = now
    post(session, chat=chat, sender="system", kind="idle_prompt", now=now,
         body=scripted(session, chat=chat, code="idle_prompt", now=now, agent=session.get(User, chat.agent_id)))
    queue = session.get(ChatQueue, chat.queue_id)
    timers.schedule(session, kind=IDLE_CLOSE, ref_id=chat.id, due_at=_after(queue, "idle_close", now))


@timers.handler(IDLE_CLOSE)
def _idle_close(session: Session, timer, now: datetime) -> None:
    from kefu.chat.service import end_chat

    chat = session.get(Chat, timer.ref_id)
    if chat is None or chat.status != "active" or chat.idle_prompted_at is None:
        return
    end_chat(session, chat=chat, now=now, reason="idle")


@timers.handler(FIRST_REPLY)
def _first_reply(session: Session, timer, now: datetime) -> None:
    chat = session.get(Chat, timer.ref_id)
    if chat is None or chat.status != "active" or chat.first_agent_reply_at is not None:
        return
    agent = session.get(User, chat.agent_id)
    queue = session.get(ChatQueue, chat.queue_id)
    team = session.get(Team, agent.team_id or queue.team_id) if (agent.team_id or queue.team_id) else None
    if team is None or team.leader_id is None:
        return
    waited = int((now - chat.assigned_at).total_seconds())
    notify(session, actor=Actor.system(now), user_ids=[team.leader_id], kind="chat.first_reply_overdue",
           title=f"在线会话 #{chat.id} 已接入 {waited} 秒未首次回复",
           body=f"坐席 {agent.display_name or agent.username} · 队列 {queue.name}",
           dedupe=f"chat:first_reply:{chat.id}:{chat.agent_id}")


@timers.handler(QUEUE_TIMEOUT)
def _queue_timeout(session: Session, timer, now: datetime) -> None:
    chat = session.get(Chat, timer.ref_id)
    if chat is not None and chat.status == "waiting":
        offer_message(session, chat=chat, now=now)


@timers.handler(GRACE)
def _grace_over(session: Session, timer, now: datetime) -> None:
    row = session.get(AgentPresence, timer.ref_id)
    grace = timedelta(seconds=get_settings().chat_disconnect_grace_seconds)
    if row is None or row.disconnected_at is None or now - row.disconnected_at < grace:
        return
    queueing.requeue_chats_of(session, user_id=row.user_id, now=now)


@timers.handler(HOLD)
def _hold_over(session: Session, timer, now: datetime) -> None:
    queueing.run_assignment(session, now=now)
