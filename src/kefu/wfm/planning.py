"""The planning page's computations (计划排班), free of web and database: a week's forecast turned into the
Erlang requirement per interval under what-if inputs, the scheduling plan for that week with default shift
templates, and the schedule read back as chart series and an agent × day roster."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kefu.wfm import staffing
from kefu.wfm.schedule_output import clock


@dataclass(frozen=True)
class WhatIf:
    """The planner's inputs: service level (share answered within ``target_time`` seconds), average handle
    time (seconds), shrinkage and maximum occupancy (shares); ``patience``, the callers' mean patience in
    seconds, computes the requirement with Erlang A (callers hang up) instead of Erlang C (None: they wait)."""

    service_level: float = 0.8
    target_time: float = 20.0
    aht: float = 300.0
    shrinkage: float = 0.3
    max_occupancy: float = 0.85
    patience: float | None = None

    def check(self) -> None:
        """``ValueError`` naming the input at fault."""
        for name, ok in (("service_level", 0 < self.service_level < 1), ("target_time", 0 <= self.target_time <= 3600),
                         ("aht", 1 <= self.aht <= 7200), ("shrinkage", 0 <= self.shrinkage < 1),
                         ("max_occupancy", 0 < self.max_occupancy <= 1)):
            if not ok or not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name}: out of range ({getattr(self, name)})")
        if self.patience is not None and not (math.isfinite(self.patience) and 1 <= self.patience <= 3600):
            raise ValueError(f"patience: out of range ({self.patience})")


def week_days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def requirement(forecast: list[float], interval_minutes: int, w: WhatIf) -> dict:
    """Agents per interval for the forecast calls: ``raw`` on the phones, ``positions`` with shrinkage,
    and the service level the raw staffing gives (0 calls → 0 agents)."""
    w.check()
    if not forecast:
        return {"raw": [], "positions": [], "service_level": []}
    r = staffing.requirement(calls=[max(0.0, v) for v in forecast], interval_minutes=interval_minutes, aht=w.aht,
                             service_level=w.service_level, target_time=w.target_time, shrinkage=w.shrinkage,
                             max_occupancy=w.max_occupancy, patience=w.patience).as_lists()
    return {"raw": r["raw_positions"], "positions": r["positions"], "service_level": r["service_level"]}


def by_day(intervals: list[datetime], values: list[float], days: list[date], interval_minutes: int) -> list[list]:
    """Per-interval values (local starts) as day × slot-from-midnight rows (0 where nothing is given)."""
    slots = 1440 // interval_minutes
    rows = {d: [0.0] * slots for d in days}
    for t, v in zip(intervals, values, strict=True):
        if t.date() in rows:
            rows[t.date()][(t.hour * 60 + t.minute) // interval_minutes] = float(v or 0)
    return [rows[d] for d in days]


def default_shifts(interval: int = 30, opens: int = 0, closes: int = 1440) -> list[dict]:
    """全天班: 9 hours on site, 8 paid, with an unpaid hour for lunch and two paid 15-minute breaks; 半天班:
    four hours with one 15-minute break. Starts on the hour (or every interval, if longer) from ``opens``
    that end the shift by ``closes`` (minutes after midnight; a shift longer than the opening hours starts at
    the opening): few enough starts for the solver to settle a week in seconds."""
    step = max(60, interval)
    def starts(minutes: int) -> list[str]:
        last = max(opens, min(closes, 1440) - minutes)
        return [clock(m) for m in range(opens, min(last, 1440 - minutes) + 1, step)] or [clock(1440 - minutes)]

    return [
        {"name": "全天班", "minutes": 540, "starts": starts(540), "breaks": [
            {"name": "小休1", "minutes": 15, "paid": True, "earliest": 90, "latest": 150},
            {"name": "午餐", "minutes": 60, "paid": False, "earliest": 210, "latest": 300},
            {"name": "小休2", "minutes": 15, "paid": True, "earliest": 390, "latest": 450}]},
        {"name": "半天班", "minutes": 240, "starts": starts(240), "breaks": [
            {"name": "小休", "minutes": 15, "paid": True, "earliest": 90, "latest": 150}]},
    ]


def suggested_agents(raw_by_day: list[list[float]], interval_minutes: int, part_time_share: float = 0.25) -> int:
    """Head count whose five days a week on the phones (7.5 hours a full day, 3.75 a part-time one) cover
    the week's agent-hours on the phones, plus 15% for the shifts' granularity."""
    hours = sum(sum(row) for row in raw_by_day) * interval_minutes / 60
    per_agent = 5 * (7.5 * (1 - part_time_share) + 3.75 * part_time_share)
    return max(1, math.ceil(hours / per_agent * 1.15))


def week_plan(days: list[date], raw_by_day: list[list[float]], agents: int, *, interval: int = 30,
              time_limit: float = 10.0, part_time_share: float = 0.25) -> dict:
    """The scheduling plan (``kefu.wfm.schedule`` JSON) for the week: the raw requirement, open from the
    first to the last interval that needs anyone (closed days without demand); ``agents`` agents 客服01…,
    a quarter of them part-timers on 半天班, everyone at most five days."""
    plan_days = []
    for d, row in zip(days, raw_by_day, strict=True):
        busy = [i for i, v in enumerate(row) if v > 0]
        entry = {"date": d.isoformat(), "requirement": row}
        if busy:
            entry |= {"open": clock(busy[0] * interval), "close": clock((busy[-1] + 1) * interval)}
        else:
            entry["closed"] = True
        plan_days.append(entry)
    busy = [i for row in raw_by_day for i, v in enumerate(row) if v > 0]
    opens, closes = (min(busy) * interval, (max(busy) + 1) * interval) if busy else (0, 1440)
    part = round(agents * part_time_share)
    people = [{"id": f"A{i + 1:02d}", "name": f"客服{i + 1:02d}",
               "shifts": ["半天班"] if i >= agents - part else ["全天班"]} for i in range(agents)]
    return {"start": days[0].isoformat(), "days": plan_days, "shifts": default_shifts(interval, opens, closes),
            "agents": people,
            "rules": {"interval": interval, "max_days_per_week": 5, "max_contacts_per_day": None,
                      "time_limit": time_limit}}


def coverage_series(result: dict) -> dict:
    """The schedule's requirement and agents on the phones as one series over the week (chart data)."""
    cov = result["coverage"]
    labels, need, have = [], [], []
    for d, day in enumerate(cov["dates"]):
        for t, hhmm in enumerate(cov["times"]):
            labels.append(f"{day[5:]} {hhmm}")
            need.append(cov["requirement"][d][t])
            have.append(cov["scheduled"][d][t])
    return {"labels": labels, "requirement": need, "scheduled": have}


def roster_table(result: dict) -> dict:
    """Agent × day: each cell the shift, its hours and its breaks, or None for a day off."""
    dates = result["coverage"]["dates"]
    rows = []
    for agent in result["agents"]:
        worked = {w["date"]: w for w in agent["days"]}
        cells = []
        for d in dates:
            w = worked.get(d)
            cells.append(None if w is None else {
                "shift": w["shift"], "hours": f"{w['start']}–{w['end']}",
                "breaks": " ".join(f"{b['name']} {b['start']}" for b in w["breaks"])})
        rows.append({"id": agent["id"], "name": agent["name"], "cells": cells, "days": len(worked)})
    return {"dates": dates, "rows": rows}
