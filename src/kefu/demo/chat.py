"""The demo center's online chat: two chat queues (外卖在线 for the first front-line team, 到家在线 for the second)
and a few finished chats from the last hours, played through the chat service with a clock that moves — customer
and agent messages (the etiquette checker's warnings kept for QA), ends by the agent or by the idle flow, ratings —
so `make run` shows a working widget (/chat/demo), a workspace with history beside each customer, and QA data.
Every agent is left offline: whoever signs in and clicks 示闲 takes the next customer."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from kefu.chat import service
from kefu.chat.models import AgentPresence, ChatQueue
from kefu.chat.queueing import seconds
from kefu.core.clock import FrozenClock
from kefu.demo.reference import Center
from kefu.timers.service import run_due

QUEUES = (("waimai_chat", "外卖在线", 0), ("daojia_chat", "到家在线", 1))  # code, name, front-line team index
OPENING = "您好,客服中心很高兴为您服务,我是客服代表{agent},请问有什么可以帮您?"
# (queue, customer's lines, the agent's answers, how it ends, rating)
CONVERSATIONS = (
    ("waimai_chat", ["你好,我的外卖超时一个小时了还没送到", "订单尾号是3366"],
     ["非常抱歉给您带来不便,正在为您查询,请您稍等。", "已为您联系骑手,预计10分钟内送达,超时部分会为您申请红包补偿。"],
     "agent", 5),
    ("waimai_chat", ["商家少送了一份饮料", "我要退款"],
     ["正在为您查询,请您稍等。", "我们会帮您提交给商家核实,退款会在1-3个工作日内原路退回。"],
     "idle", 4),
    ("daojia_chat", ["保洁阿姨迟到了半小时", "能不能换一个阿姨"],
     ["非常抱歉,正在为您核实服务人员的情况。", "已为您更换服务人员,明天上午9点上门。"],
     "agent", 5),
    ("waimai_chat", ["优惠券为什么用不了"],
     ["您好,这张优惠券需要满30元才能使用,您的订单目前是25元。"],
     "idle", 3),
    ("daojia_chat", ["家电维修师傅还没联系我"],
     ["正在为您催促师傅,请您保持电话畅通。"],
     "agent", 2),
)


def add_chat_queues(session: Session, center: Center, *, now: datetime) -> list[ChatQueue]:
    queues = [ChatQueue(code=code, name=name, team_id=center.teams[team].id, concurrency=3, is_active=True,
                        created_at=now) for code, name, team in QUEUES]
    session.add_all(queues)
    session.flush()
    return queues


def _agents(center: Center, team: int) -> list:
    return [center.users[u] for u in center.frontline[team] if center.users[u].role == "agent"]


def _worker(session: Session, at: datetime) -> None:
    """The timer worker's round at ``at``, inside the demo's transaction (as ``kefu serve`` would have run it)."""
    session.flush()
    run_due(sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint",
                         expire_on_commit=False), FrozenClock(at))
    session.expire_all()


def add_chats(session: Session, center: Center, *, now: datetime, rng: random.Random) -> int:
    """The finished chats, spread over the two hours before ``now``; returns how many."""
    add_chat_queues(session, center, now=now)
    team_of = {code: team for code, _, team in QUEUES}
    clock = now - timedelta(hours=2)
    for queue, said, answers, ending, rating in CONVERSATIONS:
        agent = rng.choice(_agents(center, team_of[queue]))
        customer = rng.choice([c for c in center.customers if c.phone])
        clock += timedelta(minutes=rng.randint(5, 15))
        service.set_ready(session, user=agent, now=clock)
        chat = service.start_chat(session, now=clock, queue_code=queue, name=customer.name, phone=customer.phone)
        opening = OPENING.format(agent=agent.display_name or agent.username)
        lines = [("customer", said[0]), ("agent", opening), ("agent", answers[0])]
        for mine, theirs in zip(said[1:], answers[1:], strict=True):
            lines += [("customer", mine), ("agent", theirs)]
        for n, (who, text) in enumerate(lines):
            clock += timedelta(seconds=rng.randint(20, 70))
            if who == "customer":
                service.customer_message(session, chat=chat, body=text, now=clock, client_msg_id=f"demo-c{n}")
            else:
                service.agent_message(session, chat=chat, agent=agent, body=text, now=clock,
                                      client_msg_id=f"demo-a{n}")
        if ending == "idle":  # the customer goes quiet: the worker's idle prompt, then its closing
            queue_row = session.get(ChatQueue, chat.queue_id)
            for timing in ("idle_prompt", "idle_close"):
                clock += timedelta(seconds=seconds(queue_row, timing) + 1)
                _worker(session, clock)
        else:
            service.end_chat(session, chat=chat, now=clock, reason="agent")
        service.rate(session, chat=chat, rating=rating, now=clock + timedelta(seconds=30))
        service.set_away(session, user=agent, now=clock)
    session.execute(update(AgentPresence).values(status="offline"))  # nobody is on a seat until they sign in
    return len(CONVERSATIONS)
