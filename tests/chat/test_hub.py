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
