"""Stage 2 of the scheduler: the counted shifts (``kefu.wfm.schedule_model``) given to agents.

A greedy pass first: day by day, each counted shift to the agent with the fewest days so far who may work
it. When it places every counted shift, its shortfall and cost are stage 1's; if all agents cost the same,
the assignment model could only repeat that, and no further solve is run. Otherwise a CP-SAT model
``y[a, d, j]`` (agent ``a`` works pattern ``j`` on day ``d``, among the counted patterns and each allowed
option with its breaks mid-window) starts from the greedy answer under every per-agent rule.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from kefu.wfm.schedule import Agent, Plan
from kefu.wfm.schedule_model import (
    MILLI,
    Model,
    Option,
    Pattern,
    _default_pattern,
    _lexicographic,
    _pay,
    _shortfall,
    contacts_per_minute,
    count_shifts,
    day_slot,
    options_table,
)


@dataclass
class Solved:
    status: str
    roster: dict  # (agent index, day) → Pattern
    shortfall_weighted: int
    cost: int  # cents
    seconds: float
    shortfall_bound: int = 0  # no roster has a smaller weighted shortfall (proved by the search)
    cost_bound: int | None = None  # no roster with this shortfall costs less (cents); None: nothing proved

    @property
    def gap(self) -> float:
        """How far the answer may be from the best, as a share of it: of the weighted shortfall while that
        is above its bound, else of the cost (0: proved optimal; 1: nothing proved)."""
        if self.shortfall_weighted > self.shortfall_bound:
            return (self.shortfall_weighted - self.shortfall_bound) / self.shortfall_weighted
        if self.cost_bound is None:
            return 1.0 if self.cost else 0.0
        return max(0.0, self.cost - self.cost_bound) / self.cost if self.cost else 0.0


def solve(plan: Plan) -> Solved:
    began = time.perf_counter()
    table = options_table(plan)
    counted, (short_proved, cost_proved), least, (short_bound, cost_bound) = count_shifts(
        plan, plan.rules.time_limit * 0.7, table)
    roster = greedy(plan, counted, table)
    placed = len(roster) == sum(len(v) for v in counted.values())
    optimal = placed and short_proved and cost_proved
    # every counted shift placed and all agents cost the same: the roster is stage 1's answer, which the
    # assignment model (a larger search over the same choices) would only repeat in the time left
    if not (placed and len({a.hourly_cost for a in plan.agents}) <= 1):
        known = least if short_proved and placed else None
        left = plan.rules.time_limit - (time.perf_counter() - began)
        roster, *proved = _assign(plan, counted, table, roster, known, max(left, 1.0))
        optimal = all(proved) and optimal
    # stage 1's cost bound is in the agents' mean rate: it holds for the roster only when all cost the same
    same_rate = len({a.hourly_cost for a in plan.agents}) <= 1
    return Solved(status="optimal" if optimal else "feasible", roster=roster,
                  shortfall_weighted=_weighted_shortfall(plan, roster), cost=sum(_cost(plan, a, d, p)
                                                                              for (a, d), p in roster.items()),
                  seconds=time.perf_counter() - began, shortfall_bound=short_bound,
                  cost_bound=cost_bound if same_rate and cost_bound else None)


def _cost(plan: Plan, a: int, d: int, pattern: Pattern) -> int:
    return round(pattern.option.template.paid_minutes * plan.agents[a].hourly_cost * _pay(plan, d) * 100 / 60)


def _contacts(plan: Plan, d: int, pattern: Pattern) -> int:
    rates = {e: contacts_per_minute(plan, e) for e in (d, d + 1) if e < len(plan.days)}
    total = 0.0
    for t, m in pattern.on_phone(plan.rules.interval).items():
        e, u = day_slot(plan, d, t)
        total += m * (rates[e][u] if e in rates else rates[d][-1])  # past the plan: the day's last rate
    return round(MILLI * total)


def _span(plan: Plan, d: int, pattern: Pattern) -> tuple[int, int]:
    """The shift's start and end in minutes from the plan's first midnight."""
    o = pattern.option
    return d * 1440 + o.start, d * 1440 + o.start + o.template.minutes


def _rested(plan: Plan, before: tuple[int, int], after: tuple[int, int]) -> bool:
    """Whether two shifts (spans, in time order of their days) leave the rest the rules ask between them
    (and never overlap: a night shift ends the next morning)."""
    return after[0] - before[1] >= plan.rules.min_rest_minutes


def _weighted_shortfall(plan: Plan, roster: dict) -> int:
    iv = plan.rules.interval
    peak = max((v for day in plan.days for v in day.requirement), default=0.0) or 1.0
    cover = defaultdict(int)
    for (d, pat), k in Counter((d, pat) for (_a, d), pat in roster.items()).items():  # shared shifts once
        for t, m in pat.on_phone(iv).items():
            cover[day_slot(plan, d, t)] += m * k
    total = 0
    for d, day in enumerate(plan.days):
        for t, need in enumerate(day.requirement):
            gap = round(need * iv) - cover[d, t]
            if need > 0 and gap > 0:
                total += gap * round(10 * (1 + plan.rules.peak_weight * need / peak))
    return total


def greedy(plan: Plan, counted: dict[int, list[Pattern]], table: dict) -> dict:
    """(agent, day) → pattern: day by day, each counted shift to the agent with the fewest days so far who
    may work it (options, weekly cap, consecutive days, contacts cap)."""
    cap = plan.rules.max_contacts_per_day
    roster, worked = {}, [[] for _ in plan.agents]
    for d in range(len(plan.days)):
        free = [a for a in range(len(plan.agents))
                if table[a, d] and _calendar_allows(plan, plan.agents[a], worked[a], d)]
        free.sort(key=lambda i: (len(worked[i]), plan.agents[i].hourly_cost, i))
        sets = {}  # agents under the same rules share an option list: one set per list
        allowed = {a: sets.get(id(table[a, d])) or sets.setdefault(id(table[a, d]), set(table[a, d])) for a in free}
        for pat in sorted(counted.get(d, []), key=lambda p: (p.option.start, p.option.template.name, p.breaks)):
            if cap is not None and _contacts(plan, d, pat) > cap * MILLI:
                continue
            for i, a in enumerate(free):
                if pat.option in allowed[a] and (
                        (a, d - 1) not in roster or _rested(plan, _span(plan, d - 1, roster[a, d - 1]),
                                                            _span(plan, d, pat))):
                    roster[a, d] = pat
                    worked[a].append(d)
                    del free[i]
                    break
    return roster


def _calendar_allows(plan: Plan, agent: Agent, worked: list[int], d: int) -> bool:
    cap = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
    week = d - d % 7
    if sum(1 for w in worked if week <= w <= d) >= cap:
        return False
    run_cap = agent.max_consecutive_days or plan.rules.max_consecutive_days
    run, day = 0, d - 1
    while day >= 0 and day in worked:
        run, day = run + 1, day - 1
    if day < 0:
        run += agent.worked_before
    return run < run_cap


def _key(o: Option) -> tuple:
    return (o.template.name, o.start)


def _assign(plan: Plan, counted, table, start: dict, least: int | None,
            seconds: float) -> tuple[dict, bool, bool]:
    """The CP-SAT assignment, from the greedy ``start``; ``least`` is the shortfall known to be the least."""
    iv, cp = plan.rules.interval, Model()
    cover, y, cost = defaultdict(list), {}, []
    for a, agent in enumerate(plan.agents):
        works, before = [], []
        for d in range(len(plan.days)):
            allowed = set(table[a, d])
            pats = dict.fromkeys(p for p in counted.get(d, []) if p.option in allowed)
            pats.update(dict.fromkeys(_default_pattern(o, iv) for o in sorted(allowed, key=_key)))
            day_vars, contacts = [], []
            for j, pat in enumerate(pats):
                v = cp.new_bool_var(f"y{a}_{d}_{j}")
                y[v.name] = (a, d, pat, v)
                day_vars.append(v)
                for t, minutes in pat.on_phone(iv).items():
                    cover[day_slot(plan, d, t)].append((minutes, v))
                contacts.append((_contacts(plan, d, pat), v))
                cost.append((_cost(plan, a, d, pat), v))
            works.append(sum(day_vars) if day_vars else 0)
            today = [(_span(plan, d, pat), v) for pat, v in zip(pats, day_vars, strict=True)]
            if plan.rules.min_rest_minutes or any(s[1] > d * 1440 for s, _v in before):  # rest, no overlap
                for s1, v1 in before:
                    for s2, v2 in today:
                        if not _rested(plan, s1, s2):
                            cp.add_bool_or([v1.Not(), v2.Not()])
            before = today
            if day_vars:
                cp.add_at_most_one(day_vars)
                if plan.rules.max_contacts_per_day is not None:
                    cp.add(sum(c * v for c, v in contacts) <= plan.rules.max_contacts_per_day * MILLI)
        _calendar(cp, plan, agent, works)
    _under, _w, shortfall = _shortfall(cp, plan, cover)
    total_cost = cp_model.LinearExpr.weighted_sum([v for _c, v in cost], [c for c, _v in cost])
    variables = [v for *_k, v in y.values()]
    hint = {name: int(start.get((a, d)) == pat) for name, (a, d, pat, _v) in y.items()}
    values, *proved = _lexicographic(cp, shortfall, total_cost, variables, plan, seconds, hint, least)
    return {(a, d): pat for name, (a, d, pat, _v) in y.items() if values[name]}, *proved


def _calendar(cp, plan: Plan, agent: Agent, works: list) -> None:
    """Weekly day cap (per 7-day block from the first day) and consecutive working days."""
    cap = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
    for w in range(0, len(works), 7):
        block = [v for v in works[w:w + 7] if not isinstance(v, int)]
        if block:
            cp.add(sum(block) <= cap)
    run = agent.max_consecutive_days or plan.rules.max_consecutive_days
    seq = [1] * min(agent.worked_before, run + 1) + works
    for i in range(0, len(seq) - run):
        window = seq[i:i + run + 1]
        fixed = sum(v for v in window if isinstance(v, int))
        free = [v for v in window if not isinstance(v, int)]
        if free:
            cp.add(sum(free) <= run - fixed)
