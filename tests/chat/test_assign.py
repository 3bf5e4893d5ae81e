"""The assignment engine under random traffic: arrivals, readiness changes, disconnects with grace periods,
chat ends and abandonment. After every step a round runs, and the invariant (nobody waits while an eligible agent
has room, outside the 熟客 hold) and FIFO fairness are checked by code independent of the engine's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.chat.assign import Agent, Engine, Waiting

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SKILLS = (None, "waimai", "reading")
HOLD = timedelta(seconds=30)
GRACE = timedelta(seconds=60)


class Center:
    """The world the engine is asked about, kept by the test."""

    def __init__(self, engine: Engine, agents: list[tuple[frozenset, int, bool, bool]]) -> None:
        self.engine = engine
        self.now = T0
        self.next_chat = 1
        self.agents = {i: {"skills": s, "limit": limit, "ready": ready, "disconnected_at": None, "trainee": trainee}
                       for i, (s, limit, trainee, ready) in enumerate(agents, start=1)}
        self.waiting: dict[int, Waiting] = {}
        self.active: dict[int, tuple[int, Waiting]] = {}  # chat -> (agent, how it waited)
        self.last_agent: dict[int, int] = {}  # customer -> agent who served them last
        self.customer_of: dict[int, int] = {}

    # -- the engine's view
    def load(self, agent_id: int) -> int:
        return sum(1 for a, _ in self.active.values() if a == agent_id)

    def seats(self) -> list[Agent]:
        return [Agent(agent_id=i, ready=a["ready"], limit=a["limit"], load=self.load(i), skills=a["skills"],
                      disconnected=a["disconnected_at"] is not None, trainee=a["trainee"])
                for i, a in self.agents.items()]

    # -- steps
    def arrive(self, customer: int, skill: str | None, served_before_by: int | None = None) -> None:
        """A customer opens a chat; ``served_before_by`` is history from before the test (a 熟客)."""
        if customer in self.customer_of.values():
            return  # one open chat per customer
        chat = self.next_chat
        self.next_chat += 1
        self.customer_of[chat] = customer
        last = self.last_agent.get(customer)
        if last is None and served_before_by is not None:
            last = served_before_by % len(self.agents) + 1
        self.waiting[chat] = Waiting(chat, self.now, skill, last)

    def ready(self, agent_id: int, ready: bool) -> None:
        self.agents[agent_id]["ready"] = ready

    def disconnect(self, agent_id: int) -> None:
        if self.agents[agent_id]["disconnected_at"] is None:
            self.agents[agent_id]["disconnected_at"] = self.now

    def reconnect(self, agent_id: int) -> None:
        self.agents[agent_id]["disconnected_at"] = None

    def end(self, pick: int) -> None:
        if self.active:
            chat = sorted(self.active)[pick % len(self.active)]
            self.active.pop(chat)
            self.customer_of.pop(chat)

    def revisit(self, pick: int, skill: str | None) -> None:
        """A served customer ends their chat and comes straight back (熟客)."""
        if self.active:
            customer = self.customer_of[sorted(self.active)[pick % len(self.active)]]
            self.end(pick)
            self.arrive(customer, skill)

    def abandon(self, pick: int) -> None:
        if self.waiting:
            chat = sorted(self.waiting)[pick % len(self.waiting)]
            self.waiting.pop(chat)
            self.customer_of.pop(chat)

    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        for agent_id, a in self.agents.items():  # grace over: their chats go back to the front of the queue
            if a["disconnected_at"] is not None and self.now - a["disconnected_at"] >= GRACE:
                a["disconnected_at"], a["ready"] = None, False
                for chat, (owner, how) in list(self.active.items()):
                    if owner == agent_id:
                        del self.active[chat]
                        self.waiting[chat] = Waiting(chat, how.since, how.skill, None, front=True)

    # -- a round and its checks
    def round(self) -> None:
        before = dict(self.waiting)
        made = self.engine.assign(self.waiting.values(), self.seats(), self.now)
        assert len({m.chat_id for m in made}) == len(made), "a customer assigned twice"
        for m in made:
            how = self.waiting.pop(m.chat_id)
            assert self._fits(m.agent_id, how, before=True), "assigned to an agent who could not take them"
            self.active[m.chat_id] = (m.agent_id, how)
            self.last_agent[self.customer_of[m.chat_id]] = m.agent_id
        for agent_id, a in self.agents.items():
            assert self.load(agent_id) <= a["limit"]
        self._invariant()
        self._fifo(made, before)

    def _fits(self, agent_id: int, w: Waiting, *, before: bool = False) -> bool:
        a = self.agents[agent_id]
        room = self.load(agent_id) < a["limit"] if not before else True
        return (a["ready"] and a["disconnected_at"] is None and not (self.engine.trainees_pick and a["trainee"])
                and (w.skill is None or w.skill in a["skills"]) and room)

    def _held(self, w: Waiting) -> bool:
        if w.last_agent_id is None or self.now - w.since >= HOLD:
            return False
        a = self.agents[w.last_agent_id]
        return (a["ready"] and a["disconnected_at"] is None and not (self.engine.trainees_pick and a["trainee"])
                and (w.skill is None or w.skill in a["skills"]))

    def _invariant(self) -> None:
        for w in self.waiting.values():
            free = [i for i in self.agents if self._fits(i, w)]
            assert not free or self._held(w), f"chat {w.chat_id} waits while agents {free} have room"

    def _fifo(self, made, before) -> None:
        for m in made:
            later = before[m.chat_id]
            for w in self.waiting.values():
                if _queue_order(w) < _queue_order(later) and self._fits(m.agent_id, w, before=True):
                    assert self._held(w), f"chat {later.chat_id} went to agent {m.agent_id} before {w.chat_id}"


def _queue_order(w: Waiting) -> tuple:
    """Sent-back chats first, then the longest-waiting (the test's own statement of the rule)."""
    return (not w.front, w.since, w.chat_id)


agents_st = st.lists(
    st.tuples(st.frozensets(st.sampled_from(SKILLS[1:])), st.integers(1, 2), st.booleans(), st.booleans()),
    min_size=1, max_size=3)
arrive_st = st.tuples(st.just("arrive"), st.integers(1, 10), st.sampled_from(SKILLS), st.none() | st.integers(0, 4))
steps_st = st.lists(st.one_of(
    arrive_st, arrive_st, arrive_st,  # arrivals outnumber the rest, so queues build up
    st.tuples(st.just("ready"), st.integers(0, 4), st.booleans()),
    st.tuples(st.just("disconnect"), st.integers(0, 4)),
    st.tuples(st.just("reconnect"), st.integers(0, 4)),
    st.tuples(st.just("end"), st.integers(0, 50)),
    st.tuples(st.just("revisit"), st.integers(0, 50), st.sampled_from(SKILLS)),
    st.tuples(st.just("abandon"), st.integers(0, 50)),
    st.tuples(st.just("tick"), st.integers(1, 45)),
), min_size=20, max_size=80)


def _run(engine: Engine, agents, steps) -> None:
    center = Center(engine, agents)
    n = len(center.agents)
    for step in steps:
        kind, *args = step
        if kind in ("ready", "disconnect", "reconnect"):
            args[0] = args[0] % n + 1
        getattr(center, kind)(*args)
        center.round()


@settings(max_examples=300, deadline=None)
@given(agents=agents_st, steps=steps_st)
def test_nobody_waits_while_an_eligible_agent_has_room(agents, steps):
    _run(Engine(returning_hold=HOLD), agents, steps)


@settings(max_examples=150, deadline=None)
@given(agents=agents_st, steps=steps_st)
def test_invariant_holds_when_trainees_pick_themselves(agents, steps):
    _run(Engine(returning_hold=HOLD, trainees_pick=True), agents, steps)


def test_longest_waiting_goes_next_when_capacity_frees_up():
    engine = Engine()
    waiting = [Waiting(2, T0 + timedelta(seconds=5)), Waiting(1, T0), Waiting(3, T0 + timedelta(seconds=9))]
    made = engine.assign(waiting, [Agent(agent_id=7, ready=True, limit=1)], T0 + timedelta(seconds=10))
    assert [(m.chat_id, m.agent_id) for m in made] == [(1, 7)]


def test_requeued_chats_go_to_the_front():
    engine = Engine()
    waiting = [Waiting(1, T0), Waiting(2, T0 + timedelta(seconds=30), front=True)]
    made = engine.assign(waiting, [Agent(agent_id=7, ready=True, limit=1)], T0 + timedelta(minutes=1))
    assert [m.chat_id for m in made] == [2]


def test_returning_customer_held_for_their_last_agent_only_within_the_hold():
    engine = Engine(returning_hold=HOLD)
    full = Agent(agent_id=1, ready=True, limit=1, load=1)
    free = Agent(agent_id=2, ready=True, limit=3)
    back = Waiting(5, T0, last_agent_id=1)
    assert engine.assign([back], [full, free], T0 + timedelta(seconds=10)) == []
    made = engine.assign([back], [full, free], T0 + HOLD)
    assert [(m.chat_id, m.agent_id) for m in made] == [(5, 2)]
    made = engine.assign([back], [Agent(agent_id=1, ready=True, limit=2, load=1), free], T0)
    assert made[0].agent_id == 1 and made[0].returning


def test_returning_customer_of_an_absent_agent_is_not_held():
    engine = Engine(returning_hold=HOLD)
    away = Agent(agent_id=1, ready=False, limit=3)
    made = engine.assign([Waiting(5, T0, last_agent_id=1)], [away, Agent(agent_id=2, ready=True, limit=1)], T0)
    assert [m.agent_id for m in made] == [2]


def test_skill_and_load_decide():
    engine = Engine()
    agents = [Agent(agent_id=1, ready=True, limit=3, load=2, skills=frozenset({"waimai"})),
              Agent(agent_id=2, ready=True, limit=3, load=0, skills=frozenset({"reading"})),
              Agent(agent_id=3, ready=True, limit=3, load=1, skills=frozenset({"waimai"}))]
    made = engine.assign([Waiting(1, T0, skill="waimai"), Waiting(2, T0, skill="waimai")], agents, T0)
    assert [(m.chat_id, m.agent_id) for m in made] == [(1, 3), (2, 1)]


def test_only_trainees_pick_and_only_when_allowed():
    w = Waiting(1, T0)
    trainee = Agent(agent_id=1, ready=True, limit=2, trainee=True)
    agent = Agent(agent_id=2, ready=True, limit=2)
    assert not Engine().may_pick(trainee, w) and not Engine().may_pick(agent, w)
    assert Engine(trainees_pick=True).may_pick(trainee, w) and not Engine(trainees_pick=True).may_pick(agent, w)
    assert [m.agent_id for m in Engine(trainees_pick=True).assign([w], [trainee, agent], T0)] == [2]
