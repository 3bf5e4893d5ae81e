"""kefu.wfm.planning: the planning page's computations as plain functions."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kefu.wfm import planning, staffing
from kefu.wfm.schedule import parse_plan
from kefu.wfm.schedule_output import schedule

MONDAY = date(2026, 12, 7)


def test_the_requirement_follows_the_what_if_inputs():
    calls = [0.0, 40.0, 120.0, 80.0]
    base = planning.requirement(calls, 30, planning.WhatIf(aht=240, shrinkage=0.3))
    want = staffing.requirement(calls=calls, interval_minutes=30, aht=240, service_level=0.8, target_time=20,
                                shrinkage=0.3, max_occupancy=0.85)
    assert base["raw"] == want.raw_positions.tolist() and base["positions"] == want.positions.tolist()
    assert base["raw"][0] == 0
    longer = planning.requirement(calls, 30, planning.WhatIf(aht=360, shrinkage=0.3))
    assert all(b >= a for a, b in zip(base["raw"], longer["raw"], strict=True))
    assert sum(longer["raw"]) > sum(base["raw"])
    stricter = planning.requirement(calls, 30, planning.WhatIf(aht=240, service_level=0.95, target_time=10))
    assert sum(stricter["raw"]) > sum(base["raw"])


def test_customer_patience_computes_the_requirement_with_erlang_a():
    calls = [0.0, 40.0, 120.0, 80.0]
    base = planning.requirement(calls, 30, planning.WhatIf(aht=240))
    patient = planning.requirement(calls, 30, planning.WhatIf(aht=240, patience=60))
    want = staffing.requirement(calls=calls, interval_minutes=30, aht=240, service_level=0.8, target_time=20,
                                shrinkage=0.3, max_occupancy=0.85, patience=60)
    assert patient["raw"] == want.raw_positions.tolist() and patient["positions"] == want.positions.tolist()
    # callers who hang up after a minute on average take no agent's time: never more agents than Erlang C
    assert all(a <= b for a, b in zip(patient["raw"], base["raw"], strict=True)) and patient["raw"][0] == 0
    assert sum(patient["raw"]) < sum(base["raw"])


@pytest.mark.parametrize(("field", "w"), [("aht", planning.WhatIf(aht=0)), ("patience", planning.WhatIf(patience=0)),
                                          ("shrinkage", planning.WhatIf(shrinkage=1)),
                                          ("service_level", planning.WhatIf(service_level=1.2)),
                                          ("max_occupancy", planning.WhatIf(max_occupancy=float("nan")))])
def test_out_of_range_inputs_are_named(field, w):
    with pytest.raises(ValueError, match=f"^{field}:"):
        planning.requirement([10.0], 30, w)


def test_intervals_are_laid_out_per_day_from_midnight():
    days = planning.week_days(MONDAY)
    rows = planning.by_day([datetime(2026, 12, 7, 9, 0), datetime(2026, 12, 9, 20, 30)], [3, 5], days, 30)
    assert len(rows) == 7 and all(len(r) == 48 for r in rows)
    assert rows[0][18] == 3 and rows[2][41] == 5 and sum(map(sum, rows)) == 8
    assert planning.monday_of(date(2026, 12, 13)) == MONDAY


def test_default_shifts_start_on_the_hour_within_the_busy_hours():
    full, part = planning.default_shifts(30, 9 * 60, 21 * 60)
    assert full["starts"] == ["09:00", "10:00", "11:00", "12:00"]
    assert part["starts"][0] == "09:00" and part["starts"][-1] == "17:00"
    paid = full["minutes"] - sum(b["minutes"] for b in full["breaks"] if not b["paid"])
    assert paid == 480 and [b["name"] for b in full["breaks"]] == ["小休1", "午餐", "小休2"]
    assert planning.default_shifts(30, 9 * 60, 12 * 60)[0]["starts"] == ["09:00"]  # longer than the day


def test_a_week_plan_schedules_and_reads_back_as_roster_and_series():
    day = [0.0] * 18 + [2.0] * 4 + [4.0] * 8 + [2.0] * 10 + [0.0] * 8  # 09:00–20:00
    raw = [day] * 6 + [[0.0] * 48]  # closed on Sunday
    agents = planning.suggested_agents(raw, 30)
    assert agents == 7  # 180 agent-hours / (5 × (0.75 × 7.5 + 0.25 × 3.75)) × 1.15 = 6.3
    plan = planning.week_plan(planning.week_days(MONDAY), raw, agents, time_limit=5)
    assert plan["days"][6] == {"date": "2026-12-13", "requirement": raw[6], "closed": True}
    assert plan["days"][0]["open"] == "09:00" and plan["days"][0]["close"] == "20:00"
    assert [a["shifts"] for a in plan["agents"]].count(["半天班"]) == 2
    result = schedule(parse_plan(plan))
    roster = planning.roster_table(result)
    assert [r["name"] for r in roster["rows"]] == [f"客服{i:02d}" for i in range(1, 8)]
    assert all(r["days"] <= 5 for r in roster["rows"]) and all(r["cells"][6] is None for r in roster["rows"])
    worked = [c for r in roster["rows"] for c in r["cells"] if c]
    assert worked and all(c["shift"] in ("全天班", "半天班") for c in worked)
    series = planning.coverage_series(result)
    assert len(series["labels"]) == 7 * 48 and series["labels"][18] == "12-07 09:00"
    assert series["requirement"] == [v for d in raw for v in d]
    assert max(series["scheduled"]) > 0 and series["scheduled"][-48:] == [0.0] * 48
