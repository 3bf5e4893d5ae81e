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
