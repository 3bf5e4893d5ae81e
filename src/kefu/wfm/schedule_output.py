"""A solved schedule read back as plain data: per agent (the roster, 排班表) and per interval (requirement
against agents on the phones), with the day × interval arrays a chart wants, and as CSV."""

from __future__ import annotations

import csv
import io
from collections import Counter

from kefu.wfm.schedule import Plan
from kefu.wfm.schedule_assign import Solved, solve


def clock(minutes: int) -> str:
    """``HH:MM`` from minutes after midnight (1440 is ``24:00``, a closing time)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_end(minutes: int) -> int:
    """An end time as read on its day: 24:00 stays, 30:00 (a night shift's) is 06:00 the next day."""
    return minutes - 1440 if minutes > 1440 else minutes


def _shift(plan: Plan, d: int, pat) -> dict:
    """One worked shift as the roster shows it."""
    iv, o, day = plan.rules.interval, pat.option, plan.days[d]
    # times past midnight (a night shift's) read as the next day's clock
    breaks = [{"name": rule.name, "start": clock(p * iv - 1440 if p * iv >= 1440 else p * iv),
               "end": clock(_day_end(p * iv + rule.minutes)), "paid": rule.paid}
              for rule, p in zip(o.template.breaks, pat.breaks, strict=True)]
    return {"date": day.date.isoformat(), "holiday": day.holiday, "shift": o.template.name,
            "start": clock(o.start), "end": clock(_day_end(o.start + o.template.minutes)),
            "ends_next_day": o.template.crosses_midnight(o.start),
            "breaks": breaks, "paid_minutes": o.template.paid_minutes}


def _rosters(plan: Plan, s: Solved) -> list[list[dict]]:
    """Each agent's worked days. Many agents work the same shift and breaks on a day: each such shift is
    formatted once and copied (every agent gets dicts of their own)."""
    shown, days = {}, [[] for _ in plan.agents]
    for (a, d), pat in sorted(s.roster.items(), key=lambda item: item[0]):
        base = shown.get((d, pat))
        if base is None:
            base = shown[d, pat] = _shift(plan, d, pat)
        shift = base.copy()
        shift["breaks"] = [b.copy() for b in base["breaks"]]
        days[a].append(shift)
    return days


def _on_phone(plan: Plan, s: Solved) -> list[list[float]]:
    """Agents on the phones per day and interval, from the roster's shifts and break times (the output's
    roster and this grid are checked against each other by ``kefu.wfm.schedule_check``)."""
    iv, slots = plan.rules.interval, plan.slots
    grid = [[0] * slots for _ in plan.days]
    for (d, pat), k in Counter((d, pat) for (_a, d), pat in s.roster.items()).items():
        for t, m in pat.on_phone(iv).items():  # a night shift's hours past midnight count on the next day
            if d + t // slots < len(grid):
                grid[d + t // slots][t % slots] += m * k
    return [[v / iv for v in row] for row in grid]


def result(plan: Plan, s: Solved) -> dict:
    roster = _rosters(plan, s)
    scheduled = _on_phone(plan, s)
    requirement = [list(day.requirement) for day in plan.days]
    intervals, short_count, shortfall, over = [], 0, 0.0, 0.0
    for d, day in enumerate(plan.days):
        for t in range(plan.slots):
            need, have = requirement[d][t], scheduled[d][t]
            gap = max(0.0, need - have)
            if need == 0 and have == 0:
                continue
            short_count += gap > 1e-9
            shortfall += gap
            over += max(0.0, have - need)
            intervals.append({"date": day.date.isoformat(), "time": clock(t * plan.rules.interval),
                              "requirement": need, "scheduled": round(have, 4), "shortfall": round(gap, 4)})
    return {
        "status": s.status, "seconds": round(s.seconds, 3), "cost": s.cost / 100, "gap": round(s.gap, 4),
        "bounds": {"weighted_shortfall_minutes": s.shortfall_bound,
                   "cost": None if s.cost_bound is None else s.cost_bound / 100},
        "summary": {"under_covered_intervals": short_count, "shortfall": round(shortfall, 4),
                    "over_coverage": round(over, 4), "weighted_shortfall_minutes": s.shortfall_weighted,
                    "shifts": sum(len(r) for r in roster)},
        "agents": [{"id": ag.id, "name": ag.name, "days": roster[a]} for a, ag in enumerate(plan.agents)],
        "intervals": intervals,
        "coverage": {"dates": [day.date.isoformat() for day in plan.days],
                     "times": [clock(t * plan.rules.interval) for t in range(plan.slots)],
                     "requirement": requirement, "scheduled": [[round(v, 4) for v in row] for row in scheduled]},
    }


def schedule(plan: Plan) -> dict:
    """Solve the plan and read the answer back."""
    return result(plan, solve(plan))


def roster_csv(out: dict) -> str:
    """One row per agent and worked day: the roster a team lead prints."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["agent_id", "name", "date", "shift", "start", "end", "breaks", "paid_minutes"])
    for ag in out["agents"]:
        for d in ag["days"]:
            breaks = " ".join(f"{b['name']} {b['start']}-{b['end']}" for b in d["breaks"])
            w.writerow([ag["id"], ag["name"], d["date"], d["shift"], d["start"], d["end"], breaks, d["paid_minutes"]])
    return buf.getvalue()


def intervals_csv(out: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["date", "time", "requirement", "scheduled", "shortfall"])
    for row in out["intervals"]:
        w.writerow([row["date"], row["time"], row["requirement"], row["scheduled"], row["shortfall"]])
    return buf.getvalue()
