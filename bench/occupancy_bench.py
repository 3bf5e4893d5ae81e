"""Logged-in time for occupancy over a month: from the state log's rollup (``kefu.wfm.state_store.logged_in``,
what ``GET /api/v1/reports/kpis`` reads) vs. from the raw spans, on SQLite.

A month (November 2026) of a center of --agents seats, each working 5 days in 7 on a 9-hour shift with
--spans state changes a day (login, calls, breaks, lunch, logout), stored as spans in one insert; the rollup
is built by kefu's own ``state_store.rebuild_rollup``, then checked equal to the raw spans' total. Measured,
best of --repeat, each a fresh session: the month's logged-in seconds per agent and per interval from the
rollup (+ the current spans up to now), and the month's total from the raw spans by one SQL aggregate (the
fastest raw way: no Python per row) and per interval in Python.

    .venv/bin/python bench/occupancy_bench.py --agents 1000 --sqlite /tmp/occupancy.db
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text

from kefu.accounts.models import User
from kefu.core.db import make_engine, make_sessionmaker
from kefu.migrate import upgrade
from kefu.wfm import state_store
from kefu.wfm.models import AgentState
from kefu.wfm.states import seconds_by_interval

START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 in Shanghai
END = START + timedelta(days=30)


def _spans(agents: int, per_day: int, rng: random.Random):
    for uid in range(1, agents + 1):
        events = []
        for d in range(30):
            if (d + uid) % 7 in (0, 1):
                continue
            t = START + timedelta(days=d, hours=1 + uid % 12, minutes=rng.randint(-5, 10))  # 09:00–20:00 local
            step = timedelta(hours=9) / per_day
            for k in range(per_day - 1):
                state = ("ready", "busy", "acw", "busy", "acw", "not_ready")[k % 6]
                events.append((t + step * k, state, "小休" if state == "not_ready" else ""))
            events.append((t + step * (per_day - 1) + timedelta(minutes=30), "logged_out", ""))
        for (start, state, why), nxt in zip(events, events[1:] + [None], strict=True):
            yield {"user_id": uid, "start": start, "end": nxt[0] if nxt else None, "state": state, "reason": why,
                   "source": "telephony", "event_id": None, "received_at": END}


def build(url: str, agents: int, per_day: int) -> dict:
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    out = {}
    with factory() as s:
        s.execute(text("DELETE FROM agent_states"))
        s.execute(text("DELETE FROM agent_state_rollups"))
        s.execute(text("DELETE FROM users"))
        s.execute(insert(User), [{"id": i, "username": f"u{i}", "display_name": f"坐席{i}", "password_hash": "x",
                                  "role": "agent", "is_active": True, "created_at": START}
                                 for i in range(1, agents + 1)])
        t = time.perf_counter()
        rows = list(_spans(agents, per_day, random.Random(7)))
        for i in range(0, len(rows), 50_000):
            s.execute(insert(AgentState), rows[i:i + 50_000])
        out["spans"], out["insert_s"] = len(rows), time.perf_counter() - t
        t = time.perf_counter()
        state_store.rebuild_rollup(s, range(1, agents + 1))
        out["rollup_s"] = time.perf_counter() - t
        out["rollup_rows"] = s.scalar(text("SELECT count(*) FROM agent_state_rollups"))
        s.commit()
    engine.dispose()
    return out


def measure(url: str, repeat: int) -> dict:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    now = END + timedelta(days=1)

    def best(fn):
        times, value = [], None
        for _ in range(repeat):
            with factory() as s:
                t = time.perf_counter()
                value = fn(s)
                times.append(time.perf_counter() - t)
        return min(times) * 1000, value

    r = {}
    r["by_agent_ms"], by_agent = best(lambda s: state_store.logged_in(s, start=START, end=END, now=now))
    r["by_interval_ms"], by_interval = best(lambda s: state_store.logged_in(s, start=START, end=END, now=now,
                                                                            by="interval"))
    raw_sql = ("SELECT SUM((julianday(MIN(\"end\", :e)) - julianday(MAX(start, :s))) * 86400) FROM agent_states "
               "WHERE state != 'logged_out' AND \"end\" IS NOT NULL AND start < :e AND \"end\" > :s")
    params = {"s": START.replace(tzinfo=None).isoformat(" "), "e": END.replace(tzinfo=None).isoformat(" ")}
    r["raw_sql_ms"], raw_total = best(lambda s: s.execute(text(raw_sql), params).scalar())

    def raw_python(s):
        rows = s.scalars(select(AgentState).where(AgentState.start < END, AgentState.end > START))
        return seconds_by_interval([state_store._span(x) for x in rows], start=START, end=END, now=now)

    r["raw_python_ms"], _ = best(raw_python)
    total = sum(by_agent.values())
    assert abs(total - sum(by_interval.values())) < 1 and abs(total - raw_total) < len(by_agent) + 1, \
        (total, raw_total)
    r["logged_in_hours"] = total / 3600
    engine.dispose()
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=1000)
    ap.add_argument("--spans", type=int, default=20, help="state changes per agent and worked day")
    ap.add_argument("--sqlite", default="/tmp/occupancy-bench.db")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    if os.path.exists(a.sqlite):
        os.remove(a.sqlite)
    built = build(f"sqlite:///{a.sqlite}", a.agents, a.spans)
    print(f"load {os.getloadavg()[0]:.1f}; {built['spans']:,} spans inserted in {built['insert_s']:.1f} s; rollup "
          f"({built['rollup_rows']:,} rows) built by rebuild_rollup in {built['rollup_s']:.1f} s")
    r = measure(f"sqlite:///{a.sqlite}", a.repeat)
    print(f"load {os.getloadavg()[0]:.1f}; month's logged-in time {r['logged_in_hours']:,.0f} h")
    for k in ("by_agent_ms", "by_interval_ms", "raw_sql_ms", "raw_python_ms"):
        print(f"  {k:16} {r[k]:9.1f} ms")
    print(f"  raw SQL / rollup by agent: {r['raw_sql_ms'] / r['by_agent_ms']:.1f}×; raw per interval (Python) / "
          f"rollup per interval: {r['raw_python_ms'] / r['by_interval_ms']:.1f}×")


if __name__ == "__main__":
    main()
