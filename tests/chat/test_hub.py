"""The in-process hub's bookkeeping: a state a socket has read counts as seen by the poll, so whatever the poll
would have woken for it must be woken at once."""

from __future__ import annotations

from kefu.chat.hub import Listener, LocalHub


def _hub() -> LocalHub:
    return LocalHub(factory=None)  # the poll's store is not used here


def test_a_customer_socket_reading_a_newly_assigned_chat_wakes_the_agent_to_discover_it():
    # the chat was assigned outside any socket (a bot handoff through the API): only the poll could tell the
    # agent, and the customer's socket read the new state first
    hub = _hub()
    customer, agent, other = Listener(), Listener(agent_id=7), Listener(agent_id=8)
    hub.follow(customer, 42)
    hub.join(agent)
    hub.join(other)
    hub.saw(42, (None, 3, "waiting"))
    assert not agent.discover and not agent.wake.is_set()
    hub.saw(42, (7, 4, "active"))
    assert agent.discover and 42 in agent.dirty and agent.wake.is_set()
    assert not other.wake.is_set()  # only the agent it went to
    agent.discover, agent.dirty = False, set()
    agent.wake.clear()
    hub.saw(42, (7, 5, "active"))  # a new message, same agent: the chat's own listeners read it
    assert not agent.discover and 42 in customer.dirty


def test_a_transfer_read_by_a_socket_wakes_both_agents():
    hub = _hub()
    customer, old, new = Listener(), Listener(agent_id=7), Listener(agent_id=9)
    hub.follow(customer, 42)
    hub.join(old)
    hub.join(new)
    hub.saw(42, (7, 10, "active"))
    old.discover = False
    hub.saw(42, (9, 11, "active"))
    assert new.discover and old.discover  # the new one finds it, the old one lets it go


def test_the_timer_workers_wake_ups_reach_another_process_hub_through_redis():
    """``kefu worker`` alone (no sockets) publishes what its timers changed; a server process's Redis hub wakes
    the chat's socket and the agent who got the chat (a requeue assigned it)."""
    import os
    from uuid import uuid4

    import redis

    from kefu.chat.redis_hub import Publisher, RedisHub
    from kefu.chat.wakes import Wakes

    url, prefix = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"), f"test-hub-{uuid4().hex[:8]}"
    hub = RedisHub(factory=None, url=url, prefix=prefix)
    customer, agent, other = Listener(), Listener(agent_id=7), Listener(agent_id=8)
    hub.follow(customer, 42)
    hub.join(agent)
    hub.join(other)
    pubsub = redis.Redis.from_url(url).pubsub()
    pubsub.psubscribe(f"{prefix}:chat:*", f"{prefix}:agent:*")
    assert pubsub.get_message(timeout=5)["type"] == "psubscribe"
    assert pubsub.get_message(timeout=5)["type"] == "psubscribe"
    Publisher(url, prefix)(Wakes(chats={(42, 7)}))
    for _ in range(2):
        message = pubsub.get_message(timeout=5)
        hub._received(message["channel"], message["data"])
    pubsub.close()
    assert customer.wake.is_set() and 42 in customer.dirty
    assert agent.discover and 42 in agent.dirty, "the agent looks for the chat it got"
    assert not other.wake.is_set()


def test_a_message_committed_here_goes_to_the_chats_sockets_with_its_wake_up():
    from datetime import UTC, datetime

    from kefu.chat.messages import Stored
    from kefu.chat.wakes import Wakes

    hub = _hub()
    customer, agent, newcomer = Listener(), Listener(agent_id=7), Listener(agent_id=9)
    hub.follow(customer, 42)
    hub.follow(agent, 42)
    hub.join(agent)
    hub.join(newcomer)
    hub.saw(42, (7, 3, "active"))
    customer.dirty, agent.dirty, agent.discover = set(), set(), False
    customer.wake.clear()
    agent.wake.clear()

    def said(seq: int, agent_id: int) -> Stored:
        return Stored(id=seq, chat_id=42, seq=seq, sender="customer", author_id=None, client_msg_id=f"c-{seq}",
                      kind="text", body="我的外卖还没到", violations=None, created_at=datetime.now(UTC),
                      agent_id=agent_id, status="active")

    hub.committed(Wakes(news=[said(4, 7)]))
    assert [m.seq for m in customer.news[42]] == [4] and customer.wake.is_set()
    assert not customer.dirty and not agent.dirty, "nothing to read: the message is in hand"
    assert hub.seen[42] == (7, 4, "active"), "the poll will not wake anyone for it"
    hub.committed(Wakes(news=[said(5, 9)]))  # numbered after a transfer this process did not see
    assert newcomer.discover and 42 in newcomer.dirty, "the new agent looks for the chat"
    assert 42 in customer.dirty, "the chat's sockets read its state"


def test_sqlite_group_commits_never_checkpoint_and_the_hub_keeps_the_log_short(tmp_path):
    """A chat message's commit must not carry SQLite's automatic checkpoint (the whole log copied and synced to disk
    inside that commit, every few seconds under traffic, and every message queued behind it waits): the groups'
    connections have it off, and the hub's checkpoint copies the log beside the writers."""
    import asyncio
    from datetime import UTC, datetime

    from sqlalchemy import text

    from kefu.chat.hub import GroupWriter
    from kefu.core.clock import FrozenClock
    from kefu.core.db import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    writer = GroupWriter(make_sessionmaker(engine), FrozenClock(datetime(2026, 12, 4, 12, tzinfo=UTC)))

    def write(session, now):  # ~40 pages a unit: 30 units pass SQLite's 1,000-page mark more than once
        session.execute(text("INSERT INTO notes (body) VALUES (:b)"), [{"b": "顾客留言:外卖还没到" * 300}] * 40)
        return session.execute(text("PRAGMA wal_autocheckpoint")).scalar()

    async def traffic():
        return [await writer.run(write) for _ in range(30)]

    outcomes = asyncio.run(traffic())
    assert {autocheckpoint for autocheckpoint, _ in outcomes} == {0}, "a group's commit never checkpoints"
    busy, log_pages, _ = writer.checkpoint()
    assert busy == 0 and log_pages > 1000, "the log held every group's pages: nobody checkpointed meanwhile"
    _, _, checkpointed = writer.checkpoint()
    assert checkpointed == log_pages, "the hub's checkpoint moved the whole log into the database"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 30 * 40
    engine.dispose()


def _notes_writer(tmp_path):
    from datetime import UTC, datetime

    from sqlalchemy import text

    from kefu.chat.hub import GroupWriter
    from kefu.core.clock import FrozenClock
    from kefu.core.db import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{tmp_path / 'chat.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    return engine, GroupWriter(make_sessionmaker(engine), FrozenClock(datetime(2026, 12, 5, 12, tzinfo=UTC)))


def test_a_message_is_written_on_the_event_loop_when_the_write_lock_is_free(tmp_path):
    """A chat message's write is cheaper than the hop to a worker thread and back: with the lock free it is written
    on the loop's own thread, committed, and its result returned."""
    import asyncio
    import threading

    from sqlalchemy import text

    engine, writer = _notes_writer(tmp_path)

    def write(session, now):
        session.execute(text("INSERT INTO notes (body) VALUES ('顾客:我的外卖还没到')"))
        return threading.get_ident()

    async def two():
        await writer.run(write)  # a first (heavy) unit opens the pool's connection in a thread
        return threading.get_ident(), (await writer.run(write, light=True))[0]

    loop_thread, wrote_in = asyncio.run(two())
    assert wrote_in == loop_thread
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar() == 2
    engine.dispose()


def test_a_message_waits_for_another_writer_in_a_thread_and_the_loop_goes_on(tmp_path):
    """Another connection holds SQLite's write lock (an API request, the timer worker): the message does not wait
    on the event loop — other sockets are served meanwhile — and is stored once the lock is released."""
    import asyncio
    import sqlite3

    from sqlalchemy import text

    engine, writer = _notes_writer(tmp_path)
    other = sqlite3.connect(tmp_path / "chat.db", isolation_level=None, check_same_thread=False)

    def write(session, now):
        session.execute(text("INSERT INTO notes (body) VALUES ('客服:您好,请问有什么可以帮您')"))
        return "stored"

    async def scene():
        await writer.run(lambda s, now: None)  # the pool has a connection
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO notes (body) VALUES ('工单:另一个写入者')")
        message = asyncio.ensure_future(writer.run(write, light=True))
        ticks = 0
        for _ in range(20):  # the loop keeps running while the lock is held
            await asyncio.sleep(0.01)
            ticks += 1
        waiting = not message.done()
        other.execute("COMMIT")
        return ticks, waiting, await message

    ticks, waiting, (result, _) = asyncio.run(scene())
    assert ticks == 20 and waiting, "the message waited in a thread, not on the event loop"
    assert result == "stored"
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT body FROM notes ORDER BY id"))] == [
            "工单:另一个写入者", "客服:您好,请问有什么可以帮您"]
    other.close()
    engine.dispose()


def test_a_message_that_fails_after_writing_leaves_nothing(tmp_path):
    """Written alone (no savepoint), a unit that fails halfway is rolled back whole, and its error reaches the
    socket; the next message is stored."""
    import asyncio

    import pytest
    from sqlalchemy import text

    engine, writer = _notes_writer(tmp_path)

    def half(session, now):
        session.execute(text("INSERT INTO notes (body) VALUES ('写了一半')"))
        raise ValueError("禁止发送:含有内部链接")

    def whole(session, now):
        session.execute(text("INSERT INTO notes (body) VALUES ('完整的消息')"))

    async def scene():
        await writer.run(lambda s, now: None)
        with pytest.raises(ValueError, match="内部链接"):
            await writer.run(half, light=True)
        with pytest.raises(ValueError, match="内部链接"):
            await writer.run(half)  # in a thread: the same
        await writer.run(whole, light=True)

    asyncio.run(scene())
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT body FROM notes"))] == ["完整的消息"]
    engine.dispose()
