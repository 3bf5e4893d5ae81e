"""Agents' sockets in the store (``kefu.chat.seats``): an agent with a socket open in any server process is
connected; the last one closing starts the disconnect grace, whose end sends their chats back to the queue; a
process that died leaves rows that go stale and are swept."""

from __future__ import annotations

from tests.chat.test_service import _fire, _start
from tests.chat.test_service import center as center  # noqa: F401  (fixture)

from kefu.chat import seats
from kefu.chat import service as chat_service
from kefu.chat.models import AgentPresence, AgentSocket, Chat


def _presence(db, user) -> AgentPresence:
    db.expire_all()
    return db.get(AgentPresence, user.id)


def test_an_agent_stays_connected_while_a_socket_is_open_in_any_process(db, center, clock, factory):  # noqa: F811
    agent = center.users["agent"]
    seats.opened(db, socket_id="s-worker1", user_id=agent.id, node="worker1", now=clock.now())
    seats.opened(db, socket_id="s-worker2", user_id=agent.id, node="worker2", now=clock.now())
    chat_service.set_ready(db, user=agent, now=clock.now())
    chat = _start(db, clock)
    assert chat.agent_id == agent.id

    assert seats.closed(db, socket_id="s-worker1", user_id=agent.id, now=clock.now()) is False
    db.commit()
    assert _presence(db, agent).disconnected_at is None, "the other worker's socket is still open"
    assert seats.closed(db, socket_id="s-worker2", user_id=agent.id, now=clock.now()) is True
    db.commit()
    assert _presence(db, agent).disconnected_at == clock.now()

    clock.advance(seconds=5)  # back within the grace, through another worker: the chat stays theirs
    seats.opened(db, socket_id="s-worker1b", user_id=agent.id, node="worker1", now=clock.now())
    _fire(db, factory, clock, minutes=10)
    assert _presence(db, agent).disconnected_at is None
    assert db.get(Chat, chat.id).agent_id == agent.id


def test_a_dead_processs_sockets_are_swept_and_the_grace_runs_out(db, center, clock, factory):  # noqa: F811
    agent = center.users["agent"]
    seats.opened(db, socket_id="s-dead", user_id=agent.id, node="worker-killed", now=clock.now())
    chat_service.set_ready(db, user=agent, now=clock.now())
    chat = _start(db, clock)
    db.commit()

    clock.advance(seconds=30)
    assert seats.sweep(db, now=clock.now()) == [], "refreshed recently enough"
    seats.refresh(db, socket_ids=["s-dead"], now=clock.now())
    clock.advance(seconds=59)
    assert seats.sweep(db, now=clock.now()) == [], "the refresh keeps it fresh"
    clock.advance(seconds=2)
    assert seats.sweep(db, now=clock.now()) == [agent.id]
    db.commit()
    assert db.get(AgentSocket, "s-dead") is None
    assert _presence(db, agent).disconnected_at == clock.now()

    _fire(db, factory, clock, minutes=10)  # past the grace: the chat goes back to the front of the queue
    chat = db.get(Chat, chat.id)
    assert (chat.status, chat.agent_id, chat.front) == ("waiting", None, True)
    assert _presence(db, agent).status == "offline"
