"""The planning page's schedule on a busy round-the-clock week: 24 h open, 2–17 agents a half hour with a
daily swing (the same week as ``tests/wfm/test_schedule.py``), ``week_plan``'s shifts and head count (a
quarter part-timers, five days each). Prints, per head count, the time, status, shifts worked, shortfall
and the capacity lower bound on it (agent-half-hours). No peer: pyworkforce has no agents to run out of.

    .venv/bin/python bench/wfm_busy_week.py --agents 48 60 --time-limit 15
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from datetime import date, timedelta

from kefu.wfm.planning import week_plan
from kefu.wfm.schedule import parse_plan
from kefu.wfm.schedule_output import schedule


def busy_week(agents: int, time_limit: float) -> dict:
    days = [date(2026, 12, 7) + timedelta(days=i) for i in range(7)]
    raw = [[max(2, round(9 + 6 * math.sin((t - 14) / 48 * 2 * math.pi) + d % 3)) for t in range(48)]
           for d in range(7)]
    return week_plan(days, raw, agents, time_limit=time_limit)


def lower_bound(data: dict) -> float:
    on_phone = {s["name"]: s["minutes"] - sum(b["minutes"] for b in s["breaks"]) for s in data["shifts"]}
    capacity = sum(5 * on_phone[a["shifts"][0]] for a in data["agents"]) / 30
    return max(0.0, sum(map(sum, (d["requirement"] for d in data["days"]))) - capacity)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, nargs="+", default=[48, 60])
    ap.add_argument("--time-limit", type=float, default=15.0)
    args = ap.parse_args()
    print(f"load average at start: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)
    rows = []
    for agents in args.agents:
        data = busy_week(agents, args.time_limit)
        began = time.perf_counter()
        out = schedule(parse_plan(data))
        rows.append({"agents": agents, "seconds": round(time.perf_counter() - began, 2), "status": out["status"],
                     "lower_bound": lower_bound(data), "gap": out.get("gap"), "bounds": out.get("bounds")}
                    | out["summary"])
    json.dump({"runs": rows, "load_average_end": os.getloadavg()}, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
