"""Two server processes behind one store: a customer on one and an agent on the other chat, as a center running
several workers would have them.

Each process is its own ``uvicorn`` (two ports, so the test decides who connects where) on the test's store
(SQLite file or PostgreSQL schema), on the real clock, without a timer worker. With Redis (a random channel prefix
per run) the processes' store polls are set to a minute, so whatever crosses between them within the test's wait
crossed through Redis: messages, assignments, typing notices, and everything again after the hub's connections to
Redis were killed mid-chat. Without Redis the store poll (0.25 s) delivers the same conversations.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import redis
from sqlalchemy import func, select, text
from tests.chat.test_ws import WAIT, Client, _free_port, is_
from tests.chat.test_ws import center as center  # noqa: F401  (fixtures)
from tests.chat.test_ws import factory as factory  # noqa: F401
from tests.chat.test_ws import live_engine as live_engine  # noqa: F401
from tests.chat.test_ws import sqlite_template as sqlite_template  # noqa: F401

from kefu.accounts.models import Skill, User
from kefu.chat.models import AgentPresence, AgentSocket, Chat, ChatMessage
from kefu.core.clock import FrozenClock

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHATS_PER_PROCESS, ROUNDS = 2, 12

SERVE = """
import sys, uvicorn
from kefu.app import create_app
from kefu.chat.ws import Limits
app = create_app(run_worker=False)
app.state.chat_hub.interval = float(sys.argv[2])
app.state.chat_limits = Limits(rate=100_000, burst=100_000)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


@pytest.fixture
def clock():
    """The processes run on the real clock: the test's tokens and rows are made at the real time too."""
    return FrozenClock(datetime.now(UTC))


def _database_url(engine) -> str:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite":
        return url
    with engine.connect() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
    return f"{url}?options=-csearch_path%3D{schema}"


def _wait_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + WAIT * 2
    while True:
        assert proc.poll() is None, f"the server on {port} exited: {proc.stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, f"the server on {port} did not start"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)


@pytest.fixture(params=["redis", "poll"])
def processes(request, live_engine, center):  # noqa: F811
    """Two server processes; ``(urls, redis prefix or None)``."""
    prefix = f"kefu-test-{uuid4().hex[:12]}" if request.param == "redis" else None
    env = {**os.environ, "KEFU_DATABASE_URL": _database_url(live_engine), "KEFU_WORKER_IN_SERVE": "false"}
    env.pop("KEFU_REDIS_URL", None)
    if prefix:
        env.update(KEFU_REDIS_URL=REDIS_URL, KEFU_REDIS_PREFIX=prefix)
    poll = "60" if prefix else "0.25"
    ports = [_free_port(), _free_port()]
    procs = [subprocess.Popen([sys.executable, "-c", SERVE, str(port), poll], env=env, stderr=subprocess.PIPE)
             for port in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_up(port, proc)
        yield [f"ws://127.0.0.1:{port}/ws/chat" for port in ports], prefix
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(WAIT)


def _kill_hub_connections(prefix: str) -> int:
    """Cut the servers' connections to Redis (only this run's: their client names carry the prefix)."""
    client = redis.Redis.from_url(REDIS_URL)
    killed = 0
    for conn in client.client_list():
        if conn.get("name", "").startswith(f"kefu-hub-{prefix}-"):
            killed += client.client_kill_filter(_id=conn["id"])
    client.close()
    return killed


def _hub_connections(prefix: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    found = sum(1 for c in client.client_list() if c.get("name", "").startswith(f"kefu-hub-{prefix}-"))
    client.close()
    return found


class Conversation:
    """One customer on process ``home``: says its phrases one by one and the agent, wherever, answers each."""

    def __init__(self, n: int, home: str) -> None:
        self.n, self.home = n, home
        self.customer: Client | None = None
        self.chat_id: int | None = None
        self.sent: list[str] = []

    async def start(self) -> None:
        self.customer = await Client.open(f"{self.home}/customer")
        await self.customer.send(type="hello", start={"queue": "waimai_chat", "name": f"顾客{self.n}",
                                                      "phone": f"1370000{self.n:04d}"})
        self.chat_id = (await self.customer.until(is_("welcome")))["chat_id"]

    async def talk(self, agent: Client, cut: asyncio.Event | None, redis_prefix: str | None) -> None:
        customer, chat_id = self.customer, self.chat_id
        await customer.until(is_("assigned"))
        await agent.until(is_("assigned", chat_id=chat_id))  # typing is never replayed: the agent must follow
        await customer.send(type="typing")
        if redis_prefix:  # typing notices are never stored: only Redis carries them between processes
            await agent.until(is_("typing", chat_id=chat_id, sender="customer"))
            await agent.send(type="typing", chat_id=chat_id)
            await customer.until(is_("typing", sender="agent"))
        for i in range(ROUNDS):
            if cut is not None and i == ROUNDS // 2 and not cut.is_set():
                cut.set()
                assert _kill_hub_connections(redis_prefix) >= 2, "each server had a connection to Redis"
            mine, theirs = f"c{self.n}-{i}", f"a{self.n}-{i}"
            self.sent += [mine, theirs]
            await customer.send(type="message", client_msg_id=mine, text=f"第{i}个问题:我的外卖怎么还没到")
            await agent.until(is_("message", chat_id=chat_id, client_msg_id=mine))
            await agent.send(type="message", chat_id=chat_id, client_msg_id=theirs,
                             text=f"您好,第{i}个问题我们正在为您查询,请您稍等。")
            await customer.until(is_("message", client_msg_id=theirs))


async def _eventually(factory, check) -> None:
    """Wait (up to the hang guard) until ``check(session)`` holds in the store."""
    deadline = time.monotonic() + WAIT
    while True:
        with factory() as session:
            if check(session):
                return
        assert time.monotonic() < deadline, "the store never got there"
        await asyncio.sleep(0.05)


def _messages(client: Client, chat_id: int) -> list[dict]:
    return [f for f in client.frames if f["type"] == "message" and f["chat_id"] == chat_id]


def test_a_customer_and_an_agent_on_two_processes_chat_without_loss(processes, center, db, factory):  # noqa: F811
    urls, prefix = processes
    waimai = db.scalar(select(Skill).where(Skill.code == "waimai"))
    db.get(User, center.users["agent2"].id).skills.append(waimai)
    db.commit()
    first, second = center.users["agent"], center.users["agent2"]

    async def scenario():
        # 王小明 serves from process 1, 刘二 from process 0; 王小明 also has a second socket on process 0
        agents = {first.id: await Client.open(f"{urls[1]}/agent", center.tokens["agent"]),
                  second.id: await Client.open(f"{urls[0]}/agent", center.tokens["agent2"])}
        spare = await Client.open(f"{urls[0]}/agent", center.tokens["agent"])
        for client in (*agents.values(), spare):
            await client.send(type="hello")
            await client.until(is_("welcome"))
        for client in agents.values():
            await client.send(type="ready", concurrency=CHATS_PER_PROCESS)
            await client.until(is_("presence", status="ready"))

        talks = [Conversation(n, urls[n % 2]) for n in range(2 * CHATS_PER_PROCESS)]
        await asyncio.gather(*(t.start() for t in talks))  # customers arrive on both processes at once
        owner = {}
        for t in talks:
            await t.customer.until(is_("assigned"))
        with factory() as session:
            owner = dict(session.execute(select(Chat.id, Chat.agent_id)
                                         .where(Chat.id.in_([t.chat_id for t in talks]))).all())
        cut = asyncio.Event() if prefix else None
        await asyncio.gather(*(t.talk(agents[owner[t.chat_id]], cut, prefix) for t in talks))

        await spare.close()  # 王小明's other socket, on the other process, is still open: still connected
        await asyncio.sleep(0.5)
        with factory() as session:
            assert session.get(AgentPresence, first.id).disconnected_at is None
        await agents[first.id].close()  # the last one, on process 1: the grace starts, in the store for everyone
        await _eventually(factory, lambda s: s.get(AgentPresence, first.id).disconnected_at is not None)
        await agents[second.id].close()
        await _eventually(factory, lambda s: s.scalar(select(func.count()).select_from(AgentSocket)) == 0)
        for t in talks:
            await t.customer.close()
        return talks, agents

    talks, agents = asyncio.run(scenario())
    assert set(owner_ids := {c for a in agents.values() for c in (f["chat_id"] for f in a.of("assigned"))}) == {
        t.chat_id for t in talks}, "every chat was assigned"
    for t in talks:
        got = [a for a in agents.values() if any(f["chat_id"] == t.chat_id for f in a.of("assigned"))]
        assert len(got) == 1 and len([f for f in got[0].of("assigned") if f["chat_id"] == t.chat_id]) == 1, \
            "assigned once, to one agent"
        theirs, mine = _messages(got[0], t.chat_id), _messages(t.customer, t.chat_id)
        assert [f["seq"] for f in mine] == list(range(1, len(mine) + 1)), "in order, no gap, nothing twice"
        assert [f["seq"] for f in theirs] == [f["seq"] for f in mine], "both sides saw the same conversation"
        assert [f["client_msg_id"] for f in mine if f["client_msg_id"]] == t.sent, "every message once, as sent"
        with factory() as session:
            stored = session.execute(select(ChatMessage.seq, ChatMessage.kind).where(
                ChatMessage.chat_id == t.chat_id).order_by(ChatMessage.seq)).all()
            assert [s for s, _ in stored] == [f["seq"] for f in mine], "the sockets carried exactly the store"
            assert [k for _, k in stored].count("assigned") == 1
    assert owner_ids
    if prefix:
        assert _hub_connections(prefix) >= 2, "the hubs connected to Redis again after the cut"
