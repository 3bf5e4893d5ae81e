"""The chat assignment engine (在线分配): which waiting customer goes to which agent. Pure: plain data in,
assignments out; no database, no web framework.

Rules, from SPEC M3 and the online-seat rules of seed 004:

* Assignment is automatic. An agent never picks a customer out of the waiting queue (不能在未接入访客中选择性
  接入用户) — except new hires (新入职人员): with ``Engine(trainees_pick=True)`` trainees are left out of
  automatic assignment and take customers themselves (``Engine.may_pick``). Off by default, so trainees are
  assigned like everyone else.
* An agent is *eligible* for a customer when ready (not away, not in a disconnect grace period), under their
  concurrency limit, holding the queue's skill (if the queue names one) and in the team the chat was transferred
  to (if any).
* Waiting customers are served in queue order: chats sent back to the queue (their agent's disconnect grace
  ran out, a transfer to a team) first, then the longest-waiting. Each goes to the least-loaded eligible agent
  (load / limit, then load, then agent id).
* 熟客优先: a returning customer goes to the agent who last served them when that agent is eligible. When that
  agent is ready and has the skill but is full, the customer is held for them for at most ``returning_hold``
  from when they started waiting — the one documented exception below. Past the hold, or when the last agent is
  not ready at all, they are assigned like anyone else.

**The invariant** (checked by a property test after every round): no customer is left waiting while an agent
eligible for them has room, unless held for their last agent within the hold; and no customer is assigned to
an agent while an earlier customer in queue order who could have gone to that agent is still waiting (FIFO),
with the same exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RETURNING_HOLD = timedelta(seconds=30)


@dataclass(frozen=True)
class Waiting:
    """A customer waiting in a queue."""

    chat_id: int
    since: datetime  # when they started waiting (a requeued chat keeps its first offered time)
    skill: str | None = None  # the queue's required skill
    last_agent_id: int | None = None  # who served this customer last (熟客)
    front: bool = False  # sent back to the queue: goes ahead of the rest
    team_id: int | None = None  # transferred to this team: only its agents

    def order(self) -> tuple:
        return (not self.front, self.since, self.chat_id)


@dataclass(frozen=True)
class Agent:
    """An agent's seat as the engine sees it."""

    agent_id: int
    ready: bool
    limit: int
    load: int = 0
    skills: frozenset[str] = frozenset()
    team_id: int | None = None
    disconnected: bool = False  # in the grace period: keeps their chats, gets no new ones
    trainee: bool = False


@dataclass(frozen=True)
class Assignment:
    chat_id: int
    agent_id: int
    returning: bool = False  # went to the agent who served them last


@dataclass(frozen=True)
class Engine:
    returning_hold: timedelta = DEFAULT_RETURNING_HOLD
    trainees_pick: bool = False  # seed 004: new hires may choose customers from the queue themselves

    def auto(self, agent: Agent) -> bool:
        """Whether automatic assignment gives this agent customers."""
        return not (self.trainees_pick and agent.trainee)

    def suits(self, agent: Agent, customer: Waiting) -> bool:
        """Ready, connected, skilled and in the right team — capacity aside."""
        return (agent.ready and not agent.disconnected
                and (customer.skill is None or customer.skill in agent.skills)
                and (customer.team_id is None or customer.team_id == agent.team_id))

    def eligible(self, agent: Agent, customer: Waiting, load: int | None = None) -> bool:
        load = agent.load if load is None else load
        return self.auto(agent) and self.suits(agent, customer) and load < agent.limit

    def held(self, customer: Waiting, agents: dict[int, Agent], now: datetime) -> bool:
        """Held for their last agent: that agent is ready and skilled (but full) and the hold has not run out."""
        last = agents.get(customer.last_agent_id) if customer.last_agent_id is not None else None
        return (last is not None and self.auto(last) and self.suits(last, customer)
                and now - customer.since < self.returning_hold)

    def hold_ends(self, customer: Waiting) -> datetime:
        return customer.since + self.returning_hold

    def may_pick(self, agent: Agent, customer: Waiting) -> bool:
        """An agent choosing a customer out of the queue: trainees only, and only when the engine allows it."""
        return self.trainees_pick and agent.trainee and self.suits(agent, customer) and agent.load < agent.limit

    def assign(self, waiting: Iterable[Waiting], agents: Iterable[Agent], now: datetime) -> list[Assignment]:
        """One assignment round. Returns the assignments in the order they were made."""
        by_id = {a.agent_id: a for a in agents}
        load = {a.agent_id: a.load for a in by_id.values()}
        out: list[Assignment] = []
        for customer in sorted(waiting, key=Waiting.order):
            last = by_id.get(customer.last_agent_id) if customer.last_agent_id is not None else None
            if last is not None and self.eligible(last, customer, load[last.agent_id]):
                out.append(Assignment(customer.chat_id, last.agent_id, returning=True))
                load[last.agent_id] += 1
                continue
            if self.held(customer, by_id, now):
                continue
            best = _least_loaded([a for a in by_id.values() if self.eligible(a, customer, load[a.agent_id])], load)
            if best is not None:
                out.append(Assignment(customer.chat_id, best.agent_id))
                load[best.agent_id] += 1
        return out


def _least_loaded(candidates: Sequence[Agent], load: dict[int, int]) -> Agent | None:
    if not candidates:
        return None
    return min(candidates, key=lambda a: (load[a.agent_id] / a.limit, load[a.agent_id], a.agent_id))
