"""The chat transport over real sockets: a uvicorn server started on a free port against a store of the test's own
(SQLite file, or a PostgreSQL schema), the ``websockets`` client. A customer and an agent chat in Chinese end to
end; staff sockets need a login and agents see only their own chats; the timer worker's messages reach open
sockets; and the reconnect test: clients whose sockets are dropped at random points resume with ``after_seq`` and
resend what was not acknowledged, and every message arrives exactly once, in order, without gaps.

The reconnect test's size comes from ``KEFU_WS_RECONNECT`` (``clients,messages,drops``; default ``6,150,20``, a
few seconds here); the issue's full size is ``KEFU_WS_RECONNECT=20,5000,50``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from tests.conftest import PG_URL, _migrate
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from kefu.accounts.models import Skill
from kefu.app import create_app
from kefu.chat import service as chat_service
from kefu.chat.models import AgentPresence, Chat, ChatMessage, ChatQueue
from kefu.chat.ws import Limits
from kefu.contacts.models import Contact
from kefu.core.db import make_engine
from kefu.core.settings import get_settings
from kefu.timers.service import run_due

OPENING = "您好,客服中心很高兴为您服务,我是客服代表王小明,请问有什么可以帮您?"
# seconds before a test gives up waiting for a frame (a hang guard, not a timing assertion)
WAIT = float(os.environ.get("KEFU_WS_WAIT", "30"))
HELLO = 2.0  # seconds a test server gives a new socket to say hello
RECONNECT = tuple(int(n) for n in os.environ.get("KEFU_WS_RECONNECT", "6,150,20").split(","))


# -- a store and a server of the test's own (a live server's threads commit for real) ------------------------------
@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("ws") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    _migrate(eng)
    eng.dispose()
    return path


@pytest.fixture
def live_engine(engine, sqlite_template, tmp_path):
    if engine.dialect.name == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "ws.db")
        eng = make_engine(f"sqlite:///{tmp_path / 'ws.db'}")
        yield eng
        eng.dispose()
        return
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"kefu_ws_{os.getpid()}"
    eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    _migrate(eng)
    yield eng
    eng.dispose()
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


@pytest.fixture
def factory(live_engine):  # replaces the rolled-back connection of conftest: `db` and `world` commit for real
    return sessionmaker(live_engine, expire_on_commit=False)


@pytest.fixture
def center(db, world, clock):
    """A 外卖 chat queue needing the waimai skill; 王小明 (agent) has it, 刘二 (agent2) does not."""
    waimai = Skill(code="waimai", name="外卖")
    db.add(waimai)
    db.flush()
    world.users["agent"].skills.append(waimai)
    db.add(ChatQueue(code="waimai_chat", name="外卖在线", skill_id=waimai.id, team_id=world.teams["front"].id,
                     concurrency=3, is_active=True, created_at=clock.now()))
    db.commit()
    return world


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(live_engine, factory, clock):
    app = create_app(engine=live_engine, clock=clock, sessionmaker=factory, run_worker=False)
    app.state.chat_hub.interval = 0.05
    yield from _serve(app)


@pytest.fixture
def worker_server(live_engine, factory, clock):
    """The server with its timer worker (``kefu serve``'s) on the test's clock, and a store poll of an hour: what
    the worker does reaches the sockets through the hub or not at all."""
    settings = get_settings().model_copy(update={"worker_interval_seconds": 0.05})
    app = create_app(settings=settings, engine=live_engine, clock=clock, sessionmaker=factory, run_worker=True)
    app.state.chat_hub.interval = 3600
    yield from _serve(app)


@pytest.fixture
def hasty_server(live_engine, factory, clock):
    """A server that gives a new socket only ``HELLO`` seconds to say hello (the others: ``WAIT``, so a socket of a
    busy test's server is not closed while its hello waits to be read)."""
    app = create_app(engine=live_engine, clock=clock, sessionmaker=factory, run_worker=False)
    app.state.chat_hub.interval = 0.05
    yield from _serve(app, hello=HELLO)


def _serve(app, hello: float = WAIT):
    app.state.chat_limits = Limits(rate=100_000, burst=100_000, hello_seconds=hello)
    port = _free_port()
    # no keepalive pings from the server either: a reconnect-test client's pong waits behind the thousands of
    # frames it sent before it, longer than the ping timeout on a busy machine, and the server closed the socket
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                        ws_ping_interval=None))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    yield f"ws://127.0.0.1:{port}/ws/chat"
    srv.should_exit = True
    thread.join(WAIT)


# -- a client --------------------------------------------------------------------------------------------------
class Client:
    """A socket and every frame it got; ``until`` waits for a frame matching a predicate."""

    def __init__(self, ws, on_frame=None) -> None:
        self.ws, self.frames, self._new, self.on_frame = ws, [], asyncio.Event(), on_frame
        self.reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, url: str, token: str | None = None, on_frame=None) -> Client:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        # no keepalive pings: a reconnect-test client sends thousands of frames without waiting, and a ping queued
        # behind them may wait longer than the ping timeout (20 s) on a busy machine, which closed the socket
        return cls(await connect(url, additional_headers=headers, open_timeout=WAIT, ping_interval=None), on_frame)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                self.frames.append(frame)
                if self.on_frame is not None:
                    self.on_frame(frame)
                self._new.set()
        except ConnectionClosed:
            pass

    async def send(self, **frame) -> None:
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    async def until(self, pred, start: int = 0) -> dict:
        async def wait():
            seen = start
            while True:
                for frame in self.frames[seen:]:
                    if pred(frame):
                        return frame
                seen = len(self.frames)
                self._new.clear()
                await self._new.wait()

        try:
            return await asyncio.wait_for(wait(), WAIT)
        except TimeoutError:
            raise AssertionError(f"no such frame in {self.frames}") from None

    def of(self, kind: str) -> list[dict]:
        return [f for f in self.frames if f["type"] == kind]

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


def is_(frame_type: str, /, **fields):
    return lambda f: f["type"] == frame_type and all(f.get(k) == v for k, v in fields.items())


def _run(coro):
    return asyncio.run(coro)


# -- end to end --------------------------------------------------------------------------------------------------
def test_a_customer_and_an_agent_chat_in_chinese(server, center, factory):
    async def scenario():
        customer = await Client.open(f"{server}/customer")
        await customer.send(type="hello", start={"queue": "waimai_chat", "name": "张伟", "phone": "13812345678"})
        welcome = await customer.until(is_("welcome"))
        chat_id = welcome["chat_id"]
        assert welcome["token"]
        assert (await customer.until(is_("queue")))["position"] == 1, "nobody is ready: first in the queue"

        agent = await Client.open(f"{server}/agent", center.tokens["agent"])
        await agent.send(type="hello")
        await agent.until(is_("welcome", agent_name="王小明"))
        await agent.send(type="ready")
        assert (await customer.until(is_("assigned")))["agent_name"] == "王小明"
        assigned = await agent.until(is_("assigned", chat_id=chat_id))
        assert assigned["customer_name"] == "张伟"

        await customer.send(type="message", client_msg_id="c-1", text="我的外卖超时一个小时了还没送到")
        ack = await customer.until(is_("ack", client_msg_id="c-1"))
        got = await agent.until(is_("message", client_msg_id="c-1"))
        assert got["seq"] == ack["seq"] and got["sender"] == "customer" and got["text"].startswith("我的外卖")

        await agent.send(type="message", chat_id=chat_id, client_msg_id="a-1", text=OPENING)
        await customer.until(is_("message", client_msg_id="a-1", text=OPENING))
        await agent.send(type="message", chat_id=chat_id, client_msg_id="a-2",
                         text="好的,我这边为您提交给配送部门处理。")
        warning = await agent.until(is_("warning", client_msg_id="a-2"))
        assert [v["rule"] for v in warning["violations"]] == ["forbidden_wording"]
        await customer.until(is_("message", client_msg_id="a-2"))

        await agent.send(type="message", chat_id=chat_id, client_msg_id="a-3",
                         text="我帮您联系一下骑手,或者您打13998765432问问。")
        blocked = await agent.until(is_("blocked", client_msg_id="a-3"))
        assert "pii_leak" in [v["rule"] for v in blocked["violations"]]

        await agent.send(type="end", chat_id=chat_id)
        ended = await customer.until(is_("ended"))
        assert ended["status"] == "ended" and ended["reason"] == "agent"
        await agent.until(is_("ended", chat_id=chat_id))
        await customer.send(type="rate", score=5)
        await customer.until(is_("rated", score=5))
        await customer.close()
        await agent.close()
        return chat_id, customer, agent

    chat_id, customer, agent = _run(scenario())
    seqs = [f["seq"] for f in customer.of("message")]
    assert seqs == list(range(1, len(seqs) + 1)), "every message once, in order, no gaps"
    assert [f["seq"] for f in agent.of("message")] == seqs, "the agent saw the same conversation"
    assert not any("13998765432" in f["text"] for f in customer.of("message")), "the blocked message never left"
    (notice,) = [f for f in customer.of("message") if f["kind"] == "assigned"]
    assert notice["text"] == "客服代表王小明为您服务" and notice["args"] == {"name": "王小明"}, \
        "the notice's particulars come beside its text, for a client in another language"
    assert customer.of("message")[-1]["kind"] == "closing"
    with factory() as session:
        chat = session.get(Chat, chat_id)
        assert session.get(Contact, chat.contact_id).satisfaction == 5
        assert chat.last_seq == seqs[-1]


def test_staff_sockets_need_a_login_and_agents_see_only_their_own_chats(server, center, db, clock):
    async def refused(token):
        with pytest.raises(InvalidStatus):
            await Client.open(f"{server}/agent", token)

    _run(refused(None))
    _run(refused("not-a-token"))
    _run(refused(center.tokens["analyst"]))  # no seat: analysts do not talk to customers

    chat_service.set_ready(db, user=center.users["agent"], now=clock.now())
    chat = chat_service.start_chat(db, now=clock.now(), queue_code="waimai_chat", name="张伟", phone="13812345678")
    chat_service.customer_message(db, chat=chat, body="骑手电话打不通", now=clock.now(), client_msg_id="c-1")
    db.commit()

    async def scenario():
        other = await Client.open(f"{server}/agent", center.tokens["agent2"])
        await other.send(type="hello", resume=[{"chat_id": chat.id, "after_seq": 0}])
        assert (await other.until(is_("error")))["code"] == "forbidden"
        await other.send(type="message", chat_id=chat.id, client_msg_id="x-1", text="您好")
        assert (await other.until(is_("error"), start=len(other.frames)))["code"] == "forbidden"
        await other.send(type="observe", chat_id=chat.id)
        assert (await other.until(is_("error"), start=len(other.frames)))["code"] == "forbidden"

        supervisor = await Client.open(f"{server}/agent", center.tokens["supervisor"])
        await supervisor.send(type="hello")
        await supervisor.send(type="observe", chat_id=chat.id)
        assert (await supervisor.until(is_("message", client_msg_id="c-1")))["text"] == "骑手电话打不通"

        await other.close()
        await supervisor.close()
        return other

    other = _run(scenario())
    assert not other.of("message"), "another agent's chat never reached agent2"


def test_an_agent_back_after_the_grace_is_told_which_chats_are_still_theirs(server, center, factory, clock):
    """王小明 drops off with 张伟's chat; past the grace it goes back to the queue. His workspace reconnects asking to
    resume it: that is refused, and the welcome still comes, saying he has no chat now and is offline."""
    from kefu.chat.models import AgentPresence
    from kefu.core.settings import get_settings

    async def disconnected() -> None:
        deadline = time.monotonic() + WAIT  # a hang guard: the server notices the closed socket on its own
        while True:
            with factory() as session:
                row = session.get(AgentPresence, center.users["agent"].id)
                if row is not None and row.disconnected_at is not None:
                    return
            assert time.monotonic() < deadline, "the server never noticed the agent's socket closing"
            await asyncio.sleep(0.02)

    async def scenario():
        agent = await Client.open(f"{server}/agent", center.tokens["agent"])
        await agent.send(type="hello")
        await agent.until(is_("welcome", chats=[], presence="offline"))
        await agent.send(type="ready")
        customer = await Client.open(f"{server}/customer")
        await customer.send(type="hello", start={"queue": "waimai_chat", "name": "张伟", "phone": "13812345678"})
        chat_id = (await customer.until(is_("welcome")))["chat_id"]
        await agent.until(is_("assigned", chat_id=chat_id))
        await customer.send(type="message", client_msg_id="c-1", text="我的外卖超时了")
        seq = (await agent.until(is_("message", client_msg_id="c-1")))["seq"]
        await agent.close()
        await disconnected()
        clock.advance(seconds=get_settings().chat_disconnect_grace_seconds + 1)
        await asyncio.get_running_loop().run_in_executor(None, run_due, factory, clock)
        await customer.until(is_("queue", position=1))

        back = await Client.open(f"{server}/agent", center.tokens["agent"])
        await back.send(type="hello", resume=[{"chat_id": chat_id, "after_seq": seq}])
        refused = await back.until(is_("error"))
        assert refused["code"] == "forbidden" and refused["field"] == "chat_id"
        welcome = await back.until(is_("welcome"))
        assert welcome["chats"] == [] and welcome["presence"] == "offline"
        await back.send(type="message", chat_id=chat_id, client_msg_id="a-1", text="您好")
        assert (await back.until(is_("error"), start=len(back.frames)))["code"] == "forbidden"
        await back.send(type="ready")  # back on a seat, he is first in line for the customer put back in front
        await back.until(is_("assigned", chat_id=chat_id))
        await back.close()
        await customer.close()

    _run(scenario())


def test_the_timer_workers_messages_reach_open_sockets(server, center, db, factory, clock):
    """The idle prompt is stored by the worker, not by a socket: the hub's store poll delivers it."""
    chat_service.set_ready(db, user=center.users["agent"], now=clock.now())
    chat = chat_service.start_chat(db, now=clock.now(), queue_code="waimai_chat", name="张伟", phone="13812345678")
    chat_service.agent_message(db, chat=chat, agent=center.users["agent"], body=OPENING, now=clock.now())
    db.commit()
    token = None

    async def scenario():
        nonlocal token
        from kefu.chat.ws import visitor_token

        token = visitor_token(server_secret(), chat_id=chat.id, customer_id=chat.customer_id)
        customer = await Client.open(f"{server}/customer")
        await customer.send(type="hello", token=token, resume={"chat_id": chat.id, "after_seq": 0})
        await customer.until(is_("message", text=OPENING))
        clock.advance(seconds=180)
        await asyncio.get_running_loop().run_in_executor(None, run_due, factory, clock)
        prompt = await customer.until(is_("message", kind="idle_prompt"))
        assert "请问您还有其他问题吗" in prompt["text"]
        await customer.close()

    _run(scenario())



def test_the_idle_flow_and_a_requeue_by_the_timer_worker_reach_sockets_through_the_hub(worker_server, center, db,
                                                                                       factory, clock):
    """The worker's idle prompt, idle closing and a requeue after an agent's disconnect grace are told to the
    sockets by the hub as they commit (the store poll is set to an hour here)."""
    center.users["agent2"].skills.append(db.get(Skill, db.scalar(select(Skill.id).where(Skill.code == "waimai"))))
    db.commit()
    grace = get_settings().chat_disconnect_grace_seconds

    async def scenario():
        agent = await Client.open(f"{worker_server}/agent", center.tokens["agent"])
        await agent.send(type="hello")
        await agent.send(type="ready")
        await agent.until(is_("presence", status="ready"))
        customer = await Client.open(f"{worker_server}/customer")
        await customer.send(type="hello", start={"queue": "waimai_chat", "name": "张伟", "phone": "13812345678"})
        chat_id = (await customer.until(is_("welcome")))["chat_id"]
        await agent.until(is_("assigned", chat_id=chat_id))
        await agent.send(type="message", chat_id=chat_id, client_msg_id="a-1", text=OPENING)
        await customer.until(is_("message", client_msg_id="a-1"))

        clock.advance(seconds=180)
        prompt = await customer.until(is_("message", kind="idle_prompt"))
        assert "请问您还有其他问题吗" in prompt["text"]
        await agent.until(is_("message", kind="idle_prompt"))
        clock.advance(seconds=120)
        closing = await customer.until(is_("message", kind="closing"))
        assert "本次会话将结束" in closing["text"]
        assert (await customer.until(is_("ended")))["reason"] == "idle"
        await agent.until(is_("ended", chat_id=chat_id))

        other = await Client.open(f"{worker_server}/customer")
        await other.send(type="hello", start={"queue": "waimai_chat", "name": "李娜", "phone": "13900001111"})
        second = (await other.until(is_("welcome")))["chat_id"]
        assert (await other.until(is_("assigned")))["agent_name"] == "王小明"
        agent2 = await Client.open(f"{worker_server}/agent", center.tokens["agent2"])
        await agent2.send(type="hello")
        await agent2.send(type="ready")
        await agent2.until(is_("presence", status="ready"))
        await agent.close()  # 王小明's network goes; after the grace his chat goes back to the queue, to 刘二
        await _until_stored(factory, lambda s: s.get(AgentPresence, center.users["agent"].id).disconnected_at)
        clock.advance(seconds=grace + 1)
        assert (await agent2.until(is_("assigned", chat_id=second)))["customer_name"] == "李娜"
        await other.until(is_("assigned", agent_name="刘二"))
        for client in (customer, other, agent2):
            await client.close()

    _run(scenario())


def test_a_chat_handed_over_through_the_http_api_reaches_the_agent_socket_through_the_hub(worker_server, center):
    """The self-service bot's handover (an HTTP request, not a socket) assigns the chat to the ready agent, and the
    agent's socket hears of it when the request commits: the store poll is set to an hour here."""
    http = worker_server.replace("ws://", "http://").removesuffix("/ws/chat")

    async def scenario():
        agent = await Client.open(f"{worker_server}/agent", center.tokens["agent"])
        await agent.send(type="hello")
        await agent.send(type="ready")
        await agent.until(is_("presence", status="ready"))

        def handover():
            with httpx.Client(base_url=http, timeout=WAIT) as client:
                token = client.post("/api/v1/kb/bot", json={"queue": "waimai_chat"}).json()["token"]
                r = client.post(f"/api/v1/kb/bot/{token}/messages", json={"text": "转人工", "name": "赵敏"})
                assert r.status_code == 200, r.text
                return r.json()

        handed = await asyncio.to_thread(handover)
        assert handed["action"] == "handoff"
        assigned = await agent.until(is_("assigned", chat_id=handed["chat_id"]))
        assert assigned["customer_name"] == "赵敏"
        transcript = await agent.until(is_("message", chat_id=handed["chat_id"], kind="bot_transcript"))
        assert "转人工" in transcript["text"]
        await agent.close()

    _run(scenario())


async def _until_stored(factory, pred) -> None:
    """Wait until the server has committed what ``pred(session)`` looks for (a hang guard, not a timing)."""
    deadline = time.monotonic() + WAIT
    while True:
        with factory() as session:
            if pred(session):
                return
        assert time.monotonic() < deadline, "the server did not store it"
        await asyncio.sleep(0.02)


def test_a_customer_socket_refuses_oversized_and_malformed_frames(server, center):
    async def scenario():
        customer = await Client.open(f"{server}/customer")
        await customer.send(type="message", client_msg_id="c-0", text="你好")
        assert (await customer.until(is_("error")))["code"] == "invalid", "hello comes first"
        await customer.ws.send("不是JSON")
        assert (await customer.until(is_("error", code="bad_frame"))) is not None
        await customer.send(type="hello", start={"queue": "waimai_chat", "name": "访客"})
        await customer.until(is_("welcome"))
        await customer.send(type="message", client_msg_id="c-1", text="长" * 6000)
        assert (await customer.until(is_("error", code="too_large")))["message"]
        await customer.send(type="message", client_msg_id="c-2", text="好的")
        await customer.until(is_("ack", client_msg_id="c-2"))
        await customer.close()

    _run(scenario())

def test_a_socket_that_never_says_hello_is_closed(hasty_server, center):
    server = hasty_server
    async def scenario():
        silent = await connect(f"{server}/customer")
        chatty = await connect(f"{server}/agent",
                               additional_headers={"Authorization": f"Bearer {center.tokens['agent']}"})
        await chatty.send(json.dumps({"type": "typing", "chat_id": 1}))  # frames, but never a hello
        for ws in (silent, chatty):
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(ws.recv(), WAIT)
            assert closed.value.rcvd.code == 4408
        greeted = await Client.open(f"{server}/customer")
        await greeted.send(type="hello", start={"queue": "waimai_chat", "name": "访客"})
        await greeted.until(is_("welcome"))
        await asyncio.sleep(HELLO + 0.5)
        await greeted.send(type="message", client_msg_id="c-1", text="还在吗")
        await greeted.until(is_("ack", client_msg_id="c-1"))  # after its hello a socket may stay quiet
        await greeted.close()

    _run(scenario())


def server_secret() -> str:
    from kefu.core.settings import get_settings

    return get_settings().secret_key


# -- the reconnect test ----------------------------------------------------------------------------------------
class Resuming:
    """A customer that sends ``count`` messages without waiting, has its socket dropped at the given points, and
    each time reconnects with ``after_seq`` and resends everything not yet acknowledged."""

    def __init__(self, url: str, n: int, count: int, drops: set[int]) -> None:
        self.url, self.n, self.count, self.drops = url, n, count, drops
        self.seqs: list[int] = []  # every message frame's seq, over all connections
        self.own: list[str] = []  # client ids of own messages as they came back
        self.pending: dict[str, str] = {}
        self.chat_id = self.token = self.client = None
        self.reconnects = 0

    def take(self, frame: dict) -> None:
        if frame["type"] == "message":
            assert frame["seq"] == (self.seqs[-1] if self.seqs else 0) + 1, "in order, no gaps, nothing twice"
            self.seqs.append(frame["seq"])
            if frame["sender"] == "customer":
                self.own.append(frame["client_msg_id"])
        elif frame["type"] == "ack":
            self.pending.pop(frame["client_msg_id"], None)
        elif frame["type"] == "error":
            raise AssertionError(frame)

    async def connect(self) -> None:
        self.client = await Client.open(f"{self.url}/customer", on_frame=self.take)
        if self.chat_id is None:
            await self.client.send(type="hello", start={"queue": "waimai_chat", "phone": f"1390000{self.n:04d}"})
            welcome = await self.client.until(is_("welcome"))
            self.chat_id, self.token = welcome["chat_id"], welcome["token"]
        else:
            await self.client.send(type="hello", token=self.token,
                                   resume={"chat_id": self.chat_id, "after_seq": self.seqs[-1] if self.seqs else 0})
            for client_msg_id, body in list(self.pending.items()):
                await self.client.send(type="message", client_msg_id=client_msg_id, text=body)

    async def drop(self) -> None:
        self.client.ws.transport.abort()  # the network goes, no closing handshake
        await self.client.reader
        self.reconnects += 1
        await self.connect()

    async def run(self) -> None:
        await self.connect()
        for i in range(self.count):
            if i in self.drops:
                await self.drop()
            client_msg_id, body = f"c{self.n}-{i}", f"第{i}条消息:我的订单还没有送到"
            self.pending[client_msg_id] = body
            await self.client.send(type="message", client_msg_id=client_msg_id, text=body)

        async def done():
            while self.pending or len(self.own) < self.count:
                await self.client.until(lambda f: True, start=len(self.client.frames))
        try:
            # each frame waits WAIT at most (the hang guard); the whole run may take longer at the size
            await asyncio.wait_for(done(), WAIT * max(4, self.count // 100))
        except TimeoutError:
            raise AssertionError(f"client {self.n}: {len(self.pending)} unacknowledged, {len(self.own)} of "
                                 f"{self.count} back, last frames {self.client.frames[-3:]}") from None
        await self.client.close()


def test_dropped_sockets_resume_with_every_message_once_in_order(server, center, factory):
    clients, count, drops = RECONNECT
    rng = random.Random(4)
    points: dict[int, set[int]] = {n: set() for n in range(clients)}
    for _ in range(drops):
        points[rng.randrange(clients)].add(rng.randrange(1, count))

    async def scenario():
        customers = [Resuming(server, n, count, points[n]) for n in range(clients)]
        await asyncio.gather(*(c.run() for c in customers))
        return customers

    customers = _run(scenario())
    with factory() as session:
        for c in customers:
            stored = list(session.scalars(select(ChatMessage.seq).where(ChatMessage.chat_id == c.chat_id)
                                          .order_by(ChatMessage.seq)))
            assert c.seqs == stored, "the client saw exactly the stored messages"
            assert sorted(c.own) == sorted(f"c{c.n}-{i}" for i in range(count)), "each message stored once"
            assert c.own == [f"c{c.n}-{i}" for i in range(count)], "in the order sent"
    assert sum(c.reconnects for c in customers) == sum(len(p) for p in points.values())

