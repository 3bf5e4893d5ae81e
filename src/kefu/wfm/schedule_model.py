"""The CP-SAT models of a ``Plan`` (OR-Tools), solved in two stages.

1. **Shifts and breaks, counted** (per day, no names yet): ``n[d, o]`` agents work shift option ``o`` (a
   template at one start) and ``z[d, o, k, p]`` of them take break ``k`` at interval ``p`` inside its
   window. Coverage is counted in agent-minutes on the phones per interval (a 15-minute break takes half a
   half-hour), so shortfall is exact for any break length. Agents under the same rules form a class
   (``agent_classes``); each class caps the shifts it can work each day and each week (availability, days
   off, weekly caps). This is pyworkforce's MinAbsDifference model with breaks, solved for shortfall
   rather than absolute difference.
2. **Who works what**: the counted shifts become patterns (a start and its break times); ``y[a, d, j]``
   gives agent ``a`` pattern ``j`` on day ``d`` under every per-agent rule: one shift a day, the templates
   they may work, fixed days off, availability windows, the weekly day cap, consecutive working days
   (counting days worked before the plan), the cap on contacts a day.

The objective is lexicographic: first the peak-weighted shortfall (a short minute at the busiest interval
weighs ``1 + peak_weight`` times one at a quiet interval), then, holding it, the paid cost (holiday pay on
holidays). A single day is one search on ``shortfall × (cost ceiling + 1) + cost``; a joint week and the
assignment are two (shortfall, then cost at it), skipping the first when the start already has none.
Seeded; with one worker (the default) a run that ends before its time limit
gives the same schedule every time.
"""

from __future__ import annotations

import functools
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from ortools.sat.python import cp_model

from kefu.wfm.schedule import Plan, ShiftTemplate

MILLI = 1000
QUICK_WORK = 0.03  # deterministic seconds of CP-SAT work for a day's quick try
COVER_WORK = 0.01  # and for its try at the cost floor (a bank day at the floor takes ≤ 0.003)
_INT_MAX = 2**63 - 1  # a linear constraint's open upper end


@dataclass(frozen=True)
class Option:
    template: ShiftTemplate
    start: int  # minutes after midnight
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # options key every model's dicts: their hash worked out once
        object.__setattr__(self, "_hash", hash((id(self.template), self.start)))

    def __hash__(self) -> int:
        return self._hash

    def slots(self, interval: int) -> range:
        return range(self.start // interval, (self.start + self.template.minutes) // interval)

    def break_slots(self, k: int, interval: int) -> list[int]:
        return _break_slots(self, k, interval)


@dataclass(frozen=True)
class Pattern:
    option: Option
    breaks: tuple[int, ...]  # the interval each break starts in, in the template's order
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.option._hash, self.breaks)))

    def __hash__(self) -> int:
        return self._hash

    def on_phone(self, interval: int) -> dict[int, int]:
        """Agent-minutes on the phones per interval."""
        return _on_phone(self, interval)


@functools.cache
def _break_slots(o: Option, k: int, interval: int) -> list[int]:
    rule = o.template.breaks[k]
    return [p for p in o.slots(interval) if rule.earliest <= p * interval - o.start <= rule.latest
            and p * interval - o.start + rule.minutes <= o.template.minutes]


@functools.cache
def _on_phone(pattern: Pattern, interval: int) -> dict[int, int]:
    minutes = dict.fromkeys(pattern.option.slots(interval), interval)
    for rule, p in zip(pattern.option.template.breaks, pattern.breaks, strict=True):
        b0, b1 = p * interval, p * interval + rule.minutes
        for t in range(p, -(-b1 // interval)):
            minutes[t] -= _overlap(b0, b1, t * interval, (t + 1) * interval)
    return minutes


@functools.lru_cache(maxsize=1 << 14)
def _terms(o: Option, interval: int) -> tuple[tuple[int, ...], tuple[tuple[tuple[int, tuple], ...], ...]]:
    """An option's intervals on the phones (from its day's midnight), and for each break, each interval it
    may start in with the (interval, minutes) it takes off the phones."""
    windows = tuple(tuple((p, tuple((t, _overlap(p * interval, p * interval + rule.minutes, t * interval,
                                                 (t + 1) * interval))
                                    for t in range(p, -(-(p * interval + rule.minutes) // interval))))
                          for p in o.break_slots(k, interval))
                    for k, rule in enumerate(o.template.breaks))
    return tuple(o.slots(interval)), windows


def day_slot(plan: Plan, d: int, t: int) -> tuple[int, int]:
    """Day ``d``'s interval ``t`` counted from its midnight, as (day, interval of that day): a night shift's
    intervals past midnight fall on the next day."""
    return d + t // plan.slots, t % plan.slots


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


class OptionsTable(dict):
    """(agent index, day) → options, with the agent classes worked out from it once (``agent_classes``)."""

    classes: list[list[int]] | None = None


def options_table(plan: Plan) -> OptionsTable:
    """(agent index, day) → the shift options that agent may work that day; agents under the same rules
    share one list."""
    memo, table = {}, OptionsTable()
    for a, agent in enumerate(plan.agents):
        for d in range(len(plan.days)):
            key = (d, agent.shifts, d in agent.days_off, agent.available.get(d), d + 1 in agent.days_off,
                   agent.available.get(d + 1))
            if key not in memo:
                memo[key] = _options(plan, *key)
            table[a, d] = memo[key]
    return table


def _options(plan: Plan, d: int, shifts, off: bool, windows, off_next: bool = False, windows_next=None) -> list[Option]:
    """The shift options on day ``d`` for these rules (opening hours, days off, availability). A shift past
    midnight needs the center open through it (closing at 24:00, the next day opening at 00:00 and still
    open at the shift's end) and the agent free on the next day's part of it too (not a day off there)."""
    day = plan.days[d]
    if off:
        return []
    out = []
    for tpl in plan.shifts:
        if shifts is not None and tpl.name not in shifts:
            continue
        for s in tpl.starts:
            end = s + tpl.minutes
            if tpl.crosses_midnight(s):
                after = plan.days[d + 1] if d + 1 < len(plan.days) else None  # past the plan: not counted
                if s < day.open or day.close < 1440 or off_next or (after is not None and (
                        after.open > 0 or after.close < end - 1440)):
                    continue
                if windows is not None and not any(a <= s and b == 1440 for a, b in windows):
                    continue
                if windows_next is not None and not any(a == 0 and end - 1440 <= b for a, b in windows_next):
                    continue
                out.append(o := Option(tpl, s))
                if not all(o.break_slots(k, plan.rules.interval) for k in range(len(tpl.breaks))):
                    out.pop()
                continue
            if s < day.open or end > day.close:
                continue
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


def _shortfall(cp, plan: Plan, cover, days=None, rows: dict | None = None) -> tuple[dict, dict, cp_model.LinearExpr]:
    """Shortfall variables (agent-minutes) per interval with a requirement, and their weighted sum;
    ``rows``, if given, receives each interval's coverage row (its proto)."""
    iv = plan.rules.interval
    under = {}
    for d in range(len(plan.days)) if days is None else days:
        day = plan.days[d]
        for t in range(plan.slots):
            need = round(day.requirement[t] * iv)
            if need <= 0:
                continue
            u = cp.new_int_var(0, need, f"u{d}_{t}")
            terms = cover.get((d, t), [])
            row = _linear(cp, [u, *(v for _c, v in terms)], [1, *(c for c, _v in terms)], need)
            if rows is not None:
                rows[d, t] = row
            under[d, t] = u
    weights = _weights(plan, under)
    keys = list(under)
    total = cp_model.LinearExpr.weighted_sum([under[k] for k in keys], [weights[k] for k in keys])
    return under, weights, total


def _weights(plan: Plan, under: dict) -> dict:
    """Each interval's weight in the objective: a short minute at the busiest interval weighs
    ``1 + peak_weight`` times one where nobody is needed."""
    peak = max((v for day in plan.days for v in day.requirement), default=0.0) or 1.0
    return {(d, t): round(10 * (1 + plan.rules.peak_weight * plan.days[d].requirement[t] / peak)) for d, t in under}


def _linear(cp, variables: list, coeffs: list[int], lo: int, hi: int = _INT_MAX):
    """``lo ≤ Σ coeffs × variables ≤ hi``, written into the model's proto directly: a few times quicker than
    through linear expressions, for the rows the models have most of."""
    row = cp.proto.constraints.add().linear
    row.vars.extend([v.index for v in variables])
    row.coeffs.extend(coeffs)
    row.domain.extend([lo, hi])
    return row


class Model(cp_model.CpModel):
    """A CP-SAT model without the pre-PEP 8 method aliases ``CpModel`` sets up on each instance (a tenth of
    a millisecond a model; kefu calls the PEP 8 names)."""

    def _add_pre_pep8_methods(self) -> None:
        pass


def _solver(plan: Plan, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, seconds)
    solver.parameters.random_seed = plan.rules.seed
    solver.parameters.num_workers = plan.rules.workers
    solver.parameters.symmetry_level = 1  # identical agents: full symmetry detection costs more than it saves
    return solver


def _lexicographic(cp, shortfall, cost, variables, plan: Plan, seconds: float, start: dict | None = None,
                   least: int | None = None, ceiling: int | None = None,
                   fallback: dict | None = None, bounds: dict | None = None,
                   under: list | None = None, floor: tuple | None = None) -> tuple[dict, bool, bool]:
    """Least shortfall, then least cost at it: (values by name, shortfall proved least, cost proved least
    at it). ``start`` (values by name)
    is a feasible answer given as a hint, and kept if the solver finds nothing better in time; ``least`` is
    its shortfall when it is already known to be the least possible (the first solve is skipped);
    ``ceiling`` bounds the cost of any answer: given, one solve minimizes ``shortfall × (ceiling + 1) + cost``,
    the same order, in one search; ``fallback`` (a function giving values by name) is the answer when the
    search finds none in time and there is no start (else it raises). ``bounds``, if given, receives what
    the search proved: ``shortfall`` (no answer has less) and ``cost`` (no answer with that shortfall costs
    less). ``under`` (the shortfall variables), given with ``ceiling``, lets the search first try for no
    shortfall at all (``_covering``); ``floor`` is then the cost's terms (coefficient, variable), a cost
    no answer without shortfall can go below, the coverage rows (protos) and the most any interval can be
    covered beyond its requirement at that cost."""
    began = time.perf_counter()
    bounds = {} if bounds is None else bounds
    bounds.update(shortfall=least or 0, cost=0)  # a ``least`` given is known to be the least
    if start:
        for v in variables:
            if v.name in start:
                cp.add_hint(v, start[v.name])
    status = cp_model.OPTIMAL
    values = start
    if least is None and ceiling is not None:  # one solve: a short minute outweighs any cost
        cp.minimize(shortfall * (ceiling + 1) + cost)
        if under:
            covered, found_full = _covering(cp, under, floor, plan, seconds / 10, ceiling, variables, bounds)
            if covered is not None:
                return covered, True, True
            if found_full is not None:  # no shortfall, its cost not proved: where the full search starts
                cp.clear_hints()
                for v in variables:
                    cp.add_hint(v, found_full[v.name])
        # first a quick try that settles most days 2–4× sooner (bench/RESULTS.md): branching on the LP's
        # answer, without presolve (which finds nothing to remove in a day's model) or cuts, for a fixed amount
        # of deterministic work (a day of real requirements takes ≤ 0.012; the load does not change it)
        quick = _quick(plan, seconds / 10)  # and a tenth of the time: where it fails, it costs little
        status = quick.solve(cp)
        if status == cp_model.OPTIMAL:
            _split_bound(bounds, quick, ceiling, variables)
            return _values(quick, variables), True, True
        found = _values(quick, variables) if status == cp_model.FEASIBLE else None
        one = _solver(plan, seconds - (time.perf_counter() - began))  # then the default search
        status = one.solve(cp)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if found is not None:
                _split_bound(bounds, quick, ceiling, variables)
                return found, False, False
            if start is None and fallback is None:
                raise RuntimeError(f"the scheduler found no schedule in time ({one.status_name(status)})")
            return start or fallback(), False, False
        _split_bound(bounds, one, ceiling, variables)
        return _values(one, variables), status == cp_model.OPTIMAL, status == cp_model.OPTIMAL
    if least is None:
        first = _solver(plan, seconds * 0.6)
        cp.minimize(shortfall)
        status = first.solve(cp)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if start is None:
                raise RuntimeError(f"the scheduler found no schedule in time ({first.status_name(status)})")
            return start, False, False
        values = _values(first, variables)
        least = round(first.value(shortfall))
        bounds["shortfall"] = max(0, math.ceil(first.best_objective_bound - 1e-6))
        cp.clear_hints()
        for v in variables:
            cp.add_hint(v, values[v.name])
    cp.add(shortfall <= least)
    cp.minimize(cost)
    second = _solver(plan, seconds - (time.perf_counter() - began))
    second.parameters.relative_gap_limit = 0.005  # cost within 0.5% of the best possible is cost enough
    status2 = second.solve(cp)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = _values(second, variables)
        bounds["cost"] = max(0, math.ceil(second.best_objective_bound - 1e-6))
    return values, status == cp_model.OPTIMAL, status2 == cp_model.OPTIMAL


def _covering(cp, under: list, floor: tuple | None, plan: Plan, seconds: float, ceiling: int,
              variables, bounds: dict):
    """The least cost with no shortfall at all, if the agents can cover every interval: the model with each
    shortfall variable held at 0, searched like the quick try below. No shortfall is the least there is, so
    an answer proved the cheapest here is the lexicographic optimum. First an answer that costs exactly the
    ``floor`` (``_cover_floor``), which is then the least cost: on the bench's days there is one, and
    looking for it alone is about twice as quick as minimizing (bench/RESULTS.md). When that is proved
    impossible, the least cost above the floor; when it is only not found in ``COVER_WORK``, nothing more
    here. Returns (that answer, None) when proved; (None, an answer with no shortfall) when its cost is not
    proved in the time; (None, None) when the agents cannot cover everything (or nothing was found in time):
    then the full model is searched."""
    # the same model, changed in place and then put back (a copy costs more than the changes): each
    # shortfall held at 0, and the cost first held at the floor (which holds only without shortfall)
    domains = [cp.proto.variables[u.index].domain for u in under]
    tops = [d[len(d) - 1] for d in domains]
    for d in domains:
        d[len(d) - 1] = 0
    at, rows = None, []
    if floor is not None and floor[1] > 0:
        terms, least, rows, slack = floor
        at = cp.add(cp_model.LinearExpr.weighted_sum([v for _c, v in terms], [c for c, _v in terms]) == least)
        at = cp.proto.constraints[at.index].linear.domain
        # at the floor, the required minutes covered are at most the floor × the best reach: no interval is
        # covered more than its requirement plus that slack (a redundant bound that steers the search)
        for row in rows:
            row.domain[1] = row.domain[0] + slack
    try:
        quick = _quick(plan, seconds, COVER_WORK if at is not None else QUICK_WORK)
        status = quick.solve(cp)
        if at is not None and status == cp_model.INFEASIBLE:
            # proved that nothing costs the floor: the least cost above it (a day that is merely hard at the
            # floor goes to the full search, which does not spend this try's work again)
            at[0], at[1] = at[0] + 1, _INT_MAX
            for row in rows:
                row.domain[1] = _INT_MAX
            quick = _quick(plan, seconds)
            status = quick.solve(cp)
    finally:
        for d, top in zip(domains, tops, strict=True):
            d[len(d) - 1] = top
        for row in rows:
            row.domain[1] = _INT_MAX
        if at is not None:  # costs are never negative: the floor becomes "at least 0", no constraint
            at[0], at[1] = 0, _INT_MAX
    if status == cp_model.OPTIMAL:
        _split_bound(bounds, quick, ceiling, variables)
        return _values(quick, variables), None
    return None, _values(quick, variables) if status == cp_model.FEASIBLE else None


def _quick(plan: Plan, seconds: float, work: float = QUICK_WORK) -> cp_model.CpSolver:
    """Branching on the LP's answer, without presolve (which finds nothing to remove in a day's model) or
    cuts, for a fixed amount of deterministic work."""
    quick = _solver(plan, seconds)
    quick.parameters.search_branching = cp_model.LP_SEARCH
    quick.parameters.cp_model_presolve = False
    quick.parameters.cut_level = 0
    quick.parameters.max_deterministic_time = work
    return quick


def _split_bound(bounds: dict, solver: cp_model.CpSolver, ceiling: int, variables) -> None:
    """The bounds proved by one search on ``shortfall × (ceiling + 1) + cost``: the shortfall's, and the
    cost's at the shortfall of the answer when that shortfall is the least possible."""
    b = max(0, math.ceil(solver.best_objective_bound - 1e-6))
    bounds["shortfall"], bounds["cost"] = b // (ceiling + 1), b % (ceiling + 1)
    if solver.objective_value // (ceiling + 1) > bounds["shortfall"]:
        bounds["cost"] = 0  # the answer is short of its bound: nothing is proved of its cost


def _values(solver: cp_model.CpSolver, variables) -> dict:
    """The answer's values by variable name (read from the response at once, not one call per variable)."""
    solution = list(solver.response_proto.solution)
    return {v.name: solution[v.index] for v in variables}


def count_shifts(plan: Plan, seconds: float, table: dict) -> tuple[dict[int, list[Pattern]], tuple[bool, bool], int,
                                                                   tuple[int, int]]:
    """Stage 1: the shifts and break times each day needs, as patterns (one per shift worked); whether the
    shortfall and the cost are proved the least; that weighted shortfall; and the lower bounds proved on the
    weighted shortfall and (at that shortfall) on the cost in cents, which hold for any roster too (stage 1
    relaxes the per-agent rules).

    Days are solved one by one first: if together they fit the weekly capacity and each day's shortfall is
    proved, they are the answer (the objective is a sum over days); fitting but unproved, they are the start
    of the joint search. Otherwise the days are solved again one by one, each class of
    agents held to a fair share of what its week has left (an answer that fits by construction), and then
    jointly from that start."""
    began, days = time.perf_counter(), range(len(plan.days))
    counted, proved, least, bound, models = {}, (True, True), 0, (0, 0), {}
    # night shifts tie each day to the next (they cover its first hours): then the days are solved together
    night = any(o.template.crosses_midnight(o.start) for opts in _distinct(table) for o in opts)
    if len(days) > 1 and not night:
        for d in days:  # the days alone: a relaxation (no weekly caps), so the sum of their bounds is a bound
            part, ok, short, _used, (b_short, b_cost) = _count(plan, [d], seconds * 0.3 / len(days), table,
                                                               models=models)
            counted.update(part)
            proved, least = (proved[0] and ok[0], proved[1] and ok[1]), least + short
            bound = (bound[0] + b_short, bound[1] + b_cost if ok[0] and bound[1] >= 0 else -1)
        fits = _fits_weekly(plan, counted, table)
        if fits and proved[0]:
            return counted, proved, least, (max(bound[0], _capacity_bound(plan, table)), max(0, bound[1]))
        if not fits:
            counted = _rolling(plan, table, seconds * 0.3 / len(days))
        # else a day's shortfall is not proved (its search ran out of time): the week searched from the days
    left = seconds - (time.perf_counter() - began)
    counted_all, proved, least, _used, joint = _count(plan, list(days), max(left, 0.5), table, counted or None)
    # a cost bound holds at the least shortfall only: none while that is not proved
    return counted_all, proved, least, (max(bound[0], joint[0], _capacity_bound(plan, table)),
                                        joint[1] if proved[0] else 0)


def _distinct(table: dict) -> list[list[Option]]:
    """The table's option lists, each once (agents under the same rules share one)."""
    return list({id(opts): opts for opts in table.values()}.values())


def _capacity_bound(plan: Plan, table: dict) -> int:
    """A lower bound on the weighted shortfall from head count alone: in each 7-day block, the minutes
    every class of agents can spend on the phones (its members × the days it may work × its longest time
    on the phones in a shift) cannot cover more than that of the requirement, and the rest falls at best on
    the lightest-weighted minutes."""
    iv, total = plan.rules.interval, 0
    peak = max((v for day in plan.days for v in day.requirement), default=0.0) or 1.0
    for w in range(0, len(plan.days), 7):
        block = range(w, min(w + 7, len(plan.days)))
        capacity = 0
        for members in agent_classes(plan, table):
            best = max((_phone_minutes(o, iv) for opts in {id(table[members[0], d]): table[members[0], d]
                                                             for d in block}.values() for o in opts), default=0)
            capacity += _block_capacity(plan, members, block, table) * best
        minutes = sorted((round(10 * (1 + plan.rules.peak_weight * v / peak)), round(v * iv))
                         for d in block for v in plan.days[d].requirement if v > 0)
        short = sum(m for _w, m in minutes) - capacity
        for weight, m in minutes:
            if short <= 0:
                break
            total += weight * min(m, short)
            short -= m
    return total


@functools.lru_cache(maxsize=1 << 14)
def _phone_minutes(o: Option, interval: int) -> int:
    """Minutes on the phones in one of the option's shifts (its breaks mid-window)."""
    return sum(_on_phone(_default_pattern(o, interval), interval).values())


def _rolling(plan: Plan, table: dict, seconds: float) -> dict[int, list[Pattern]]:
    """Day by day, each class of agents held to its week's capacity left over the days left in the week
    on which it can work: shifts that can all be worked."""
    classes, counted = agent_classes(plan, table), {}
    for w in range(0, len(plan.days), 7):
        block = range(w, min(w + 7, len(plan.days)))
        left = [_block_capacity(plan, members, block, table) for members in classes]
        for d in block:
            limits = {}
            for c, members in enumerate(classes):
                days_left = sum(1 for e in block if e >= d and table[members[0], e])
                limits[c] = -(-left[c] // days_left) if days_left else 0
            part, _ok, _short, used, _bound = _count(plan, [d], seconds, table, limits=limits)
            counted.update(part)
            for c, k in used.items():
                left[c] -= k
    return counted


def agent_classes(plan: Plan, table: dict) -> list[list[int]]:
    """Agents under the same rules every day (the same options, the same weekly cap): within a class any
    agent can take any other's shift, so stage 1 counts shifts per class rather than per agent. Worked out
    once per options table (kept in it)."""
    if getattr(table, "classes", None) is not None:
        return table.classes
    groups: dict[tuple, list[int]] = defaultdict(list)
    for a, agent in enumerate(plan.agents):
        cap = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
        groups[(cap, *(id(table[a, d]) for d in range(len(plan.days))))].append(a)
    classes = list(groups.values())
    if isinstance(table, OptionsTable):
        table.classes = classes
    return classes


class _Built:
    """A counting model and its variables by (day, …) key, as ``_build`` makes it."""

    def __init__(self, **parts) -> None:
        self.__dict__.update(parts)

    def moved(self, plan: Plan, d: int) -> _Built:
        """The same model for day ``d`` alone, when its options and the intervals that need agents are this
        one's (``_signature``): the requirements put into the coverage rows and shortfall bounds, the keys
        moved to ``d`` (the variables keep their names)."""
        iv = plan.rules.interval
        self.cp.clear_hints()  # a start given to the last day's search
        under = {(d, t): u for (_e, t), u in self.under.items()}
        for (e, t), u in self.under.items():
            need = round(plan.days[d].requirement[t] * iv)
            self.rows[e, t].domain[0] = need
            self.cp.proto.variables[u.index].domain[1] = need
        rows = {(d, t): row for (_e, t), row in self.rows.items()}
        weights = _weights(plan, under)
        keys = list(under)
        shortfall = cp_model.LinearExpr.weighted_sum([under[k] for k in keys], [weights[k] for k in keys])
        moved = {"n": {(d, o): v for (_e, o), v in self.n.items()},
                 "z": {(d, o, k, p): v for (_e, o, k, p), v in self.z.items()},
                 "workable": {(d, o): cs for (_e, o), cs in self.workable.items()},
                 "share_of": {(d, o): parts for (_e, o), parts in self.share_of.items()},
                 "by_class": {c: [(d, v) for _e, v in terms] for c, terms in self.by_class.items()},
                 "under": under, "rows": rows, "weights": weights, "shortfall": shortfall}
        return _Built(**(self.__dict__ | moved))


def _signature(plan: Plan, d: int, table: dict) -> tuple:
    """What a day's counting model is built from, but for the requirement's values: each class's options,
    the intervals that need agents, the day's pay."""
    iv = plan.rules.interval
    return (tuple(tuple((id(o.template), o.start) for o in table[members[0], d])
                  for members in agent_classes(plan, table)),
            tuple(t for t, v in enumerate(plan.days[d].requirement) if round(v * iv) > 0), _pay(plan, d))


def _build(plan: Plan, days: list[int], table: dict, limits: dict[int, int] | None) -> _Built:
    cp, iv, per_day = Model(), plan.rules.interval, plan.slots
    classes = agent_classes(plan, table)
    cover, n, z, cost = defaultdict(list), {}, {}, []
    rate = sum(a.hourly_cost for a in plan.agents) / max(1, len(plan.agents))
    workable = defaultdict(list)  # (d, option) → the classes that may work it
    for c, members in enumerate(classes):
        for d in days:
            for o in table[members[0], d]:
                workable[d, o].append(c)
    by_class, day_vars, shares = defaultdict(list), defaultdict(list), []  # c → [(d, count)]; (c, d) → counts
    share_of = {}  # (d, option) → class → its share, where several classes may work the option
    for (d, o), cs in workable.items():
        cap = sum(len(classes[c]) for c in cs)
        v = n[d, o] = cp.new_int_var(0, cap, f"n{d}_{o.template.name}_{o.start}")
        if len(cs) == 1:  # one class may work it: its count is the option's (no extra variable)
            by_class[cs[0]].append((d, v))
            day_vars[cs[0], d].append(v)
        else:
            parts = [cp.new_int_var(0, len(classes[c]), f"m{d}_{o.template.name}_{o.start}_{c}") for c in cs]
            cp.add(v == sum(parts))
            shares.extend(parts)
            share_of[d, o] = dict(zip(cs, parts, strict=True))
            for c, m in zip(cs, parts, strict=True):
                by_class[c].append((d, m))
                day_vars[c, d].append(m)
        on, windows = _terms(o, iv)
        for t in on:
            cover[d + t // per_day, t % per_day].append((iv, v))  # day_slot, inline: the model's hot loop
        cost.append((round(o.template.paid_minutes * rate * _pay(plan, d) * 100 / 60), v))
        for k, window in enumerate(windows):
            placed = []
            for p, takes in window:
                b = z[d, o, k, p] = cp.new_int_var(0, cap, f"z{d}_{o.template.name}_{o.start}_{k}_{p}")
                placed.append(b)
                for t, minutes in takes:
                    cover[d + t // per_day, t % per_day].append((-minutes, b))
            _linear(cp, [*placed, v], [1] * len(placed) + [-1], 0, 0)
    for (c, _d), counts in day_vars.items():
        cp.add(sum(counts) <= min(len(classes[c]), len(classes[c]) if limits is None else limits[c]))
    if len(days) > 1:
        _weekly_capacity(cp, plan, classes, by_class, table)
    rows = {}
    under, weights, shortfall = _shortfall(cp, plan, cover, days, rows)
    # costs in units of their greatest common divisor: the objective's LP bound rounds up to a cost that
    # can be paid, and the coefficients stay small
    unit = math.gcd(*(c for c, _v in cost)) or 1
    cost = [(c // unit, v) for c, v in cost]
    total_cost = cp_model.LinearExpr.weighted_sum([v for _c, v in cost], [c for c, _v in cost])
    return _Built(cp=cp, n=n, z=z, shares=shares, share_of=share_of, by_class=dict(by_class), workable=workable,
                  classes=classes, under=under, rows=rows, weights=weights, shortfall=shortfall, cost=cost, unit=unit,
                  total_cost=total_cost)


def _count(plan: Plan, days: list[int], seconds: float, table: dict, start: dict | None = None,
           limits: dict[int, int] | None = None, models: dict | None = None):
    """Stage 1's model on ``days``, solved. ``models``, if given, keeps the single days' models by
    ``_signature``: a day like one solved before reuses its model (a week's days mostly are alike)."""
    if models is not None and len(days) == 1 and limits is None and start is None:
        key = _signature(plan, days[0], table)
        built = models[key] = (models[key].moved(plan, days[0]) if key in models
                               else _build(plan, days, table, limits))
    else:
        built = _build(plan, days, table, limits)
    cp, n, z, under, weights, cost, unit = (built.cp, built.n, built.z, built.under, built.weights, built.cost,
                                            built.unit)
    variables = [*n.values(), *z.values(), *built.shares]
    hint = None if start is None else _hint(plan, start, n, z)
    # one agent works one shift a day: a day's cost is at most its agents times the dearest shift
    ceiling = max((c for c, _v in cost), default=0) * len(plan.agents) if len(days) == 1 else None
    if hint is not None:
        hint |= _under_hint(plan, start, under)
    # a start (shifts that can all be worked) that leaves no shortfall: only the cost is left to search
    least = 0 if hint is not None and not any(hint[u.name] for u in under.values()) else None
    # a greedy cover is an answer, if a poorer one: a loaded machine may find nothing better in time
    idle = functools.partial(_greedy_values, plan, days[0], built.workable, n, z, built.share_of, under, weights,
                             built.classes, limits) if len(days) == 1 else None  # worked out only when needed
    bounds = {}
    floor = None
    if ceiling is not None:  # a day alone: it may first be searched for no shortfall at all
        if "reach" not in built.__dict__:  # the same for every day the model serves
            built.reach = _best_reach(plan, {key: c for key, (c, _v) in zip(n, cost, strict=True)}, under)
        least_cost = _cover_floor(plan, built.reach, under)
        slack = math.floor(least_cost * built.reach) - sum(row.domain[0] for row in built.rows.values()) \
            if least_cost else 0
        floor = (cost, least_cost, list(built.rows.values()), slack)
    values, *proved = _lexicographic(cp, built.shortfall, built.total_cost, variables + list(under.values()), plan,
                                     seconds, hint, least, ceiling, idle, bounds, list(under.values()), floor)
    least = sum(weights[k] * values[u.name] for k, u in under.items())
    used = {c: sum(values[m.name] for _d, m in terms) for c, terms in built.by_class.items()}
    return _patterns(plan, n, z, values), tuple(proved), least, used, (bounds["shortfall"], bounds["cost"] * unit)


def _best_reach(plan: Plan, prices: dict, under: dict) -> Fraction | None:
    """The most required minutes a unit of cost can cover, over the options (each one's intervals that have
    a requirement, less its breaks where they take the fewest of those); None when a shift that covers
    some costs nothing (no floor then)."""
    iv, per_day, best = plan.rules.interval, plan.slots, Fraction(0)
    for (d, o), price in prices.items():
        on, windows = _terms(o, iv)
        reach = iv * sum(1 for t in on if (d + t // per_day, t % per_day) in under)
        for window in windows:
            reach -= min(sum(m for t, m in takes if (d + t // per_day, t % per_day) in under) for _p, takes in window)
        if reach > 0 and price <= 0:
            return None
        if reach > 0:
            best = max(best, Fraction(reach, price))
    return best or None


def _cover_floor(plan: Plan, reach: Fraction | None, under: dict) -> int:
    """A cost (in the objective's units) no answer without shortfall can go below: every minute required
    must be covered, and no shift covers more of them per unit of cost than the best option (``reach``)."""
    if not reach:
        return 0
    need = sum(round(plan.days[d].requirement[t] * plan.rules.interval) for d, t in under)
    return math.ceil(need / reach)


def _greedy_values(plan: Plan, d: int, workable: dict, n: dict, z: dict, share_of: dict, under: dict,
                   weights: dict, classes: list[list[int]], limits: dict[int, int] | None) -> dict:
    """A day's model answered greedily (values by name): shift after shift, each breaks mid-window, the one
    covering the most weighted shortfall, while its class has agents left."""
    iv = plan.rules.interval
    deficit = {t: round(plan.days[d].requirement[t] * iv) for (_d, t) in under}
    left = {c: len(m) if limits is None else min(len(m), limits[c]) for c, m in enumerate(classes)}
    values = {v.name: 0 for v in (*n.values(), *z.values())}
    values |= {m.name: 0 for shares in share_of.values() for m in shares.values()}
    options = [(o, cs, _default_pattern(o, iv)) for (dd, o), cs in workable.items() if dd == d]
    while True:
        best = None
        for o, cs, pat in options:
            c = next((c for c in cs if left[c] > 0), None)
            if c is None:
                continue
            gain = sum(weights[d, t] * min(deficit.get(t, 0), m) for t, m in pat.on_phone(iv).items()
                       if (d, t) in weights)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, o, c, pat)
        if best is None:
            break
        _gain, o, c, pat = best
        left[c] -= 1
        values[n[d, o].name] += 1
        if (d, o) in share_of:
            values[share_of[d, o][c].name] += 1
        for k, p in enumerate(pat.breaks):
            values[z[d, o, k, p].name] += 1
        for t, m in pat.on_phone(iv).items():
            if t in deficit:
                deficit[t] = max(0, deficit[t] - m)
    return values | {u.name: deficit[t] for (_d, t), u in under.items()}


def _hint(plan: Plan, counted: dict, n: dict, z: dict) -> dict:
    """Variable values (by name) of counted patterns."""
    values = {v.name: 0 for v in (*n.values(), *z.values())}
    for d, pats in counted.items():
        for pat in pats:
            values[n[d, pat.option].name] += 1
            for k, p in enumerate(pat.breaks):
                values[z[d, pat.option, k, p].name] += 1
    return values


def _under_hint(plan: Plan, counted: dict, under: dict) -> dict:
    iv, cover = plan.rules.interval, defaultdict(int)
    for d, pats in counted.items():
        for pat in pats:
            for t, m in pat.on_phone(iv).items():
                cover[day_slot(plan, d, t)] += m
    return {u.name: max(0, round(plan.days[d].requirement[t] * iv) - cover[d, t]) for (d, t), u in under.items()}


def _fits_weekly(plan: Plan, counted: dict, table: dict) -> bool:
    """Whether the days' shifts, each solved alone, can be worked: per class of agents, per day and per
    7-day block (a class's members work each option, shift by shift, in the order they may)."""
    classes = agent_classes(plan, table)
    for w in range(0, len(plan.days), 7):
        block = range(w, min(w + 7, len(plan.days)))
        left = [_block_capacity(plan, members, block, table) for members in classes]
        for d in block:
            today = [len(members) if table[members[0], d] else 0 for members in classes]
            for pat in counted.get(d, []):
                c = next((c for c, members in enumerate(classes)
                          if today[c] and left[c] and pat.option in table[members[0], d]), None)
                if c is None:
                    return False
                today[c] -= 1
                left[c] -= 1
    return True


def _block_capacity(plan: Plan, members: list[int], block: range, table: dict) -> int:
    agent = plan.agents[members[0]]
    limit = agent.max_days_per_week if agent.max_days_per_week is not None else plan.rules.max_days_per_week
    return len(members) * min(limit, sum(1 for d in block if table[members[0], d]))


def _weekly_capacity(cp, plan: Plan, classes: list[list[int]], by_class: dict, table: dict) -> None:
    """Each class's shifts in each 7-day block at most what its agents can work in it."""
    for w in range(0, len(plan.days), 7):
        block = range(w, min(w + 7, len(plan.days)))
        for c, members in enumerate(classes):
            terms = [v for d, v in by_class[c] if d in block]
            if terms:
                cp.add(sum(terms) <= _block_capacity(plan, members, block, table))


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
