"""The CP-SAT models of a ``Plan`` (OR-Tools), solved in two stages.

1. **Shifts and breaks, counted** (per day, no names yet): ``n[d, o]`` agents work shift option ``o`` (a
   template at one start) and ``z[d, o, k, p]`` of them take break ``k`` at interval ``p`` inside its
   window. Coverage is counted in agent-minutes on the phones per interval (a 15-minute break takes half a
   half-hour), so shortfall is exact for any break length. Capped by how many agents can work each option
   and each day (availability, days off, weekly caps). This is pyworkforce's MinAbsDifference model with
   breaks, solved for shortfall rather than absolute difference.
2. **Who works what**: the counted shifts become patterns (a start and its break times); ``y[a, d, j]``
   gives agent ``a`` pattern ``j`` on day ``d`` under every per-agent rule: one shift a day, the templates
   they may work, fixed days off, availability windows, the weekly day cap, consecutive working days
   (counting days worked before the plan), the cap on contacts a day.

Each stage is lexicographic in two solves: first the peak-weighted shortfall (a short minute at the
busiest interval weighs ``1 + peak_weight`` times one at a quiet interval), then, holding it, the paid cost
(holiday pay on holidays). Seeded; with one worker (the default) a run that ends before its time limit
gives the same schedule every time.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from kefu.wfm.schedule import Agent, Plan, ShiftTemplate

MILLI = 1000


@dataclass(frozen=True)
class Option:
    template: ShiftTemplate
    start: int  # minutes after midnight

    def slots(self, interval: int) -> range:
        return range(self.start // interval, (self.start + self.template.minutes) // interval)

    def break_slots(self, k: int, interval: int) -> list[int]:
        rule = self.template.breaks[k]
        return [p for p in self.slots(interval) if rule.earliest <= p * interval - self.start <= rule.latest
                and p * interval - self.start + rule.minutes <= self.template.minutes]


@dataclass(frozen=True)
class Pattern:
    option: Option
    breaks: tuple[int, ...]  # the interval each break starts in, in the template's order

    def on_phone(self, interval: int) -> dict[int, int]:
        """Agent-minutes on the phones per interval."""
        minutes = dict.fromkeys(self.option.slots(interval), interval)
        for rule, p in zip(self.option.template.breaks, self.breaks, strict=True):
            b0, b1 = p * interval, p * interval + rule.minutes
            for t in range(p, -(-b1 // interval)):
                minutes[t] -= _overlap(b0, b1, t * interval, (t + 1) * interval)
        return minutes


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def options_for(plan: Plan, agent: Agent, d: int) -> list[Option]:
    """The shift options ``agent`` may work on day ``d`` (opening hours, days off, availability)."""
    day = plan.days[d]
    if d in agent.days_off:
        return []
    out = []
    for tpl in plan.shifts:
        if agent.shifts is not None and tpl.name not in agent.shifts:
            continue
        for s in tpl.starts:
            end = s + tpl.minutes
            if s < day.open or end > day.close:
                continue
            windows = agent.available.get(d)
            if windows is not None and not any(a <= s and end <= b for a, b in windows):
                continue
            o = Option(tpl, s)
            if all(o.break_slots(k, plan.rules.interval) for k in range(len(tpl.breaks))):
                out.append(o)
    return out


def contacts_per_minute(plan: Plan, d: int) -> list[float]:
    """Contacts an agent on the phones takes per minute in each interval: the day's calls spread over the
    required agents, else the rules' occupancy over the handle time."""
    day, r = plan.days[d], plan.rules
    flat = r.occupancy * 60.0 / r.aht
    if day.calls is None:
        return [flat] * plan.slots
    return [c / (q * r.interval) if q > 0 else flat for c, q in zip(day.calls, day.requirement, strict=True)]


def _pay(plan: Plan, d: int) -> float:
    return plan.rules.holiday_pay if plan.days[d].holiday else 1.0


def _shortfall(cp, plan: Plan, cover) -> tuple[dict, dict, cp_model.LinearExpr]:
    """Shortfall variables (agent-minutes) per interval with a requirement, and their weighted sum."""
    iv = plan.rules.interval
    peak = max((v for day in plan.days for v in day.requirement), default=0.0) or 1.0
    under, weights = {}, {}
    for d, day in enumerate(plan.days):
        for t in range(plan.slots):
            need = round(day.requirement[t] * iv)
            if need <= 0:
                continue
            u = cp.new_int_var(0, need, f"u{d}_{t}")
            terms = cover.get((d, t), [])
            cp.add(u + cp_model.LinearExpr.weighted_sum([v for _c, v in terms], [c for c, _v in terms]) >= need)
            under[d, t] = u
            weights[d, t] = round(10 * (1 + plan.rules.peak_weight * day.requirement[t] / peak))
    keys = list(under)
    total = cp_model.LinearExpr.weighted_sum([under[k] for k in keys], [weights[k] for k in keys])
    return under, weights, total


def _solver(plan: Plan, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.random_seed = plan.rules.seed
    solver.parameters.num_workers = plan.rules.workers
    solver.parameters.symmetry_level = 1  # identical agents: full symmetry detection costs more than it saves
    return solver


def _lexicographic(cp, shortfall, cost, variables, plan: Plan, seconds: float,
                   start: dict | None = None) -> tuple[dict, bool]:
    """Least shortfall, then least cost at it: (values by name, proved optimal). ``start`` (values by name)
    is a feasible answer given as a hint, and kept if the solver finds nothing better in time."""
    began = time.perf_counter()
    if start:
        for v in variables:
            cp.add_hint(v, start[v.name])
    first = _solver(plan, seconds * 0.6)
    cp.minimize(shortfall)
    status = first.solve(cp)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        if start is None:
            raise RuntimeError(f"the scheduler found no schedule in time ({first.status_name(status)})")
        return start, False
    values = {v.name: first.value(v) for v in variables}
    cp.clear_hints()
    for v in variables:
        cp.add_hint(v, values[v.name])
    cp.add(shortfall <= round(first.value(shortfall)))
    cp.minimize(cost)
    second = _solver(plan, seconds - (time.perf_counter() - began))
    second.parameters.relative_gap_limit = 0.002  # cost within 0.2% of the best possible is cost enough
    status2 = second.solve(cp)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = {v.name: second.value(v) for v in variables}
    return values, status == cp_model.OPTIMAL and status2 == cp_model.OPTIMAL


def count_shifts(plan: Plan, seconds: float) -> dict[int, list[Pattern]]:
    """Stage 1: the shifts and break times each day needs, as patterns (one per shift worked)."""
    cp, iv = cp_model.CpModel(), plan.rules.interval
    able = defaultdict(int)  # (d, option) → agents who can work it
    day_cap = [0] * len(plan.days)
    for agent in plan.agents:
        for d in range(len(plan.days)):
            opts = options_for(plan, agent, d)
            day_cap[d] += bool(opts)
            for o in opts:
                able[d, o] += 1
    cover, n, z, cost = defaultdict(list), {}, {}, []
    rate = sum(a.hourly_cost for a in plan.agents) / max(1, len(plan.agents))
    for (d, o), cap in able.items():
        v = n[d, o] = cp.new_int_var(0, cap, f"n{d}_{o.template.name}_{o.start}")
        for t in o.slots(iv):
            cover[d, t].append((iv, v))
        cost.append((round(o.template.paid_minutes * rate * _pay(plan, d) * 100 / 60), v))
        for k, rule in enumerate(o.template.breaks):
            placed = []
            for p in o.break_slots(k, iv):
                b = z[d, o, k, p] = cp.new_int_var(0, cap, f"z{d}_{o.template.name}_{o.start}_{k}_{p}")
                placed.append(b)
                for t in range(p, -(-(p * iv + rule.minutes) // iv)):
                    cover[d, t].append((-_overlap(p * iv, p * iv + rule.minutes, t * iv, (t + 1) * iv), b))
            cp.add(sum(placed) == v)
    for d, cap in enumerate(day_cap):
        cp.add(sum(v for (dd, _o), v in n.items() if dd == d) <= cap)
    _weekly_capacity(cp, plan, n)
    _under, _w, shortfall = _shortfall(cp, plan, cover)
    total_cost = cp_model.LinearExpr.weighted_sum([v for _c, v in cost], [c for c, _v in cost])
    values, _optimal = _lexicographic(cp, shortfall, total_cost, [*n.values(), *z.values()], plan, seconds)
    return _patterns(plan, n, z, values)


def _weekly_capacity(cp, plan: Plan, n) -> None:
    """Shifts in each 7-day block at most what the agents can work in it."""
    for w in range(0, len(plan.days), 7):
        block = range(w, min(w + 7, len(plan.days)))
        cap = 0
        for agent in plan.agents:
            limit = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
            cap += min(limit, sum(1 for d in block if options_for(plan, agent, d)))
        cp.add(sum(v for (d, _o), v in n.items() if d in block) <= cap)


def _patterns(plan: Plan, n, z, values) -> dict[int, list[Pattern]]:
    """Split each counted option into its shifts: the i-th shift takes the i-th earliest time of each break
    (windows follow each other, so the times never collide)."""
    out = defaultdict(list)
    for (d, o), v in n.items():
        count = values[v.name]
        if not count:
            continue
        times = []
        for k in range(len(o.template.breaks)):
            slots = []
            for p in o.break_slots(k, plan.rules.interval):
                slots += [p] * values[z[d, o, k, p].name]
            times.append(slots)
        for i in range(count):
            out[d].append(Pattern(o, tuple(t[i] for t in times)))
    return out


def _default_pattern(o: Option, interval: int) -> Pattern:
    """Each break in the middle of its window."""
    return Pattern(o, tuple(s[len(s) // 2] for s in (o.break_slots(k, interval)
                                                       for k in range(len(o.template.breaks)))))


@dataclass
class Solved:
    status: str
    roster: dict  # (agent index, day) → Pattern
    shortfall_weighted: int
    cost: int
    seconds: float


def solve(plan: Plan) -> Solved:
    """Stage 1 counts the shifts and breaks, stage 2 gives them to agents."""
    began = time.perf_counter()
    counted = count_shifts(plan, plan.rules.time_limit * 0.4)
    iv = plan.rules.interval
    cp = cp_model.CpModel()
    cover, y, cost = defaultdict(list), {}, []
    for a, agent in enumerate(plan.agents):
        works = []
        for d in range(len(plan.days)):
            allowed = set(options_for(plan, agent, d))
            pats = dict.fromkeys(p for p in counted.get(d, []) if p.option in allowed)
            pats.update(dict.fromkeys(_default_pattern(o, iv) for o in sorted(allowed, key=_key)))
            rate = contacts_per_minute(plan, d)
            day_vars, contacts = [], []
            for j, pat in enumerate(pats):
                v = cp.new_bool_var(f"y{a}_{d}_{j}")
                y[a, d, j] = (v, pat)
                day_vars.append((v, pat))
                on = pat.on_phone(iv)
                for t, minutes in on.items():
                    cover[d, t].append((minutes, v))
                contacts.append((round(MILLI * sum(m * rate[t] for t, m in on.items())), v))
                cost.append((round(pat.option.template.paid_minutes * agent.hourly_cost * _pay(plan, d) * 100 / 60),
                             v))
            works.append(sum(v for v, _p in day_vars) if day_vars else 0)
            if day_vars:
                cp.add_at_most_one(v for v, _p in day_vars)
                cap = plan.rules.max_contacts_per_day
                if cap is not None:
                    cp.add(sum(c * v for c, v in contacts) <= cap * MILLI)
        _calendar(cp, plan, agent, works)
    _under, _w, shortfall = _shortfall(cp, plan, cover)
    total_cost = cp_model.LinearExpr.weighted_sum([v for _c, v in cost], [c for c, _v in cost])
    variables = [v for v, _p in y.values()]
    left = plan.rules.time_limit - (time.perf_counter() - began)
    start = greedy(plan, counted, y)
    values, optimal = _lexicographic(cp, shortfall, total_cost, variables, plan, max(left, 1.0), start)
    roster = {(a, d): pat for (a, d, _j), (v, pat) in y.items() if values[v.name]}
    spent = sum(c for c, v in cost if values[v.name])
    short = sum(w * max(0, _need(plan, d, t) - sum(m * values[v.name] for m, v in cover[d, t]))
                for (d, t), w in _w.items())
    return Solved(status="optimal" if optimal else "feasible", roster=roster, shortfall_weighted=short, cost=spent,
                  seconds=time.perf_counter() - began)


def _need(plan: Plan, d: int, t: int) -> int:
    return round(plan.days[d].requirement[t] * plan.rules.interval)


def greedy(plan: Plan, counted: dict[int, list[Pattern]], y: dict) -> dict:
    """A feasible start for stage 2: day by day, each counted shift to the agent with the fewest days so far
    who may work it (options, weekly cap, consecutive days, contacts cap). Values by variable name."""
    iv, cap = plan.rules.interval, plan.rules.max_contacts_per_day
    var = {(a, d, pat): v for (a, d, _j), (v, pat) in y.items()}
    values = {v.name: 0 for v, _p in y.values()}
    worked = [[] for _ in plan.agents]  # day indexes worked
    for d in range(len(plan.days)):
        rate = contacts_per_minute(plan, d)
        busy = set()
        for pat in sorted(counted.get(d, []), key=lambda p: (p.option.start, p.option.template.name)):
            contacts = sum(m * rate[t] for t, m in pat.on_phone(iv).items())
            if cap is not None and round(MILLI * contacts) > cap * MILLI:
                continue
            fit = [a for a in range(len(plan.agents)) if a not in busy and (a, d, pat) in var
                   and _calendar_allows(plan, plan.agents[a], worked[a], d)]
            if fit:
                a = min(fit, key=lambda i: (len(worked[i]), i))
                values[var[a, d, pat].name] = 1
                worked[a].append(d)
                busy.add(a)
    return values


def _calendar_allows(plan: Plan, agent: Agent, worked: list[int], d: int) -> bool:
    cap = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
    week = d - d % 7
    if sum(1 for w in worked if week <= w < d + 1) >= cap:
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
