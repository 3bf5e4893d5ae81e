"""Chat queues (e.g. 外卖在线) and their settings, edited by admins: working hours (an SLA calendar; none: always
open), concurrency per agent, the idle-flow, first-reply and queue-timeout seconds (none: the ``KEFU_CHAT_*``
default), the skill an agent needs and the team that gets left messages. Audited."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.accounts.models import Skill, Team
from kefu.audit.service import record
from kefu.chat.models import ChatQueue
from kefu.core.context import Actor
from kefu.core.errors import Conflict, Invalid, NotFound
from kefu.sla.models import SlaCalendar

CODE = re.compile(r"^[a-z0-9_]{1,40}$")
TIMINGS = ("idle_prompt_seconds", "idle_close_seconds", "first_reply_seconds", "queue_timeout_seconds")
MAX_SECONDS = 24 * 3600
MAX_CONCURRENCY = 20
REFS = (("skill_id", Skill), ("team_id", Team), ("calendar_id", SlaCalendar))


def list_queues(session: Session) -> list[ChatQueue]:
    return list(session.scalars(select(ChatQueue).order_by(ChatQueue.is_active.desc(), ChatQueue.id)))


def get_queue(session: Session, queue_id: int) -> ChatQueue:
    queue = session.get(ChatQueue, queue_id)
    if queue is None:
        raise NotFound(f"no chat queue {queue_id}")
    return queue


def _check(session: Session, data: dict, queue: ChatQueue | None = None) -> None:
    if "code" in data:
        if not CODE.match(data["code"] or ""):
            raise Invalid("a queue code uses a-z, 0-9 and _ (1–40)", field="code")
        taken = session.scalar(select(ChatQueue.id).where(ChatQueue.code == data["code"]))
        if taken is not None and (queue is None or taken != queue.id):
            raise Conflict(f"code {data['code']!r} is taken", field="code")
    if "name" in data and not (data["name"] or "").strip():
        raise Invalid("name must not be empty", field="name")
    if "concurrency" in data and not 1 <= (data["concurrency"] or 0) <= MAX_CONCURRENCY:
        raise Invalid("concurrency is 1 to 20 chats per agent", field="concurrency")
    for name in TIMINGS:
        if data.get(name) is not None and not 1 <= data[name] <= MAX_SECONDS:
            raise Invalid(f"{name} is 1 to 86400 seconds, or empty for the default", field=name)
    for name, model in REFS:
        if data.get(name) is not None and session.get(model, data[name]) is None:
            raise Invalid(f"no {name.removesuffix('_id')} with id {data[name]}", field=name)


def create_queue(session: Session, *, actor: Actor, data: dict) -> ChatQueue:
    _check(session, data)
    queue = ChatQueue(**{"concurrency": 3, "is_active": True, **data}, created_at=actor.now)
    session.add(queue)
    session.flush()
    record(session, actor=actor, action="chat_queue.create", target_type="chat_queue", target_id=queue.id,
           detail={"code": queue.code})
    return queue


def update_queue(session: Session, *, actor: Actor, queue: ChatQueue, changes: dict) -> ChatQueue:
    changes = {k: v for k, v in changes.items() if getattr(queue, k) != v}
    _check(session, changes, queue)
    for key, value in changes.items():
        setattr(queue, key, value)
    if changes:
        record(session, actor=actor, action="chat_queue.update", target_type="chat_queue", target_id=queue.id,
               detail={"fields": sorted(changes)})
    return queue
