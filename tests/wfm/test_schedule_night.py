"""Night shifts (夜班) across midnight in a round-the-clock hotline: coverage on the next day, rest between
shifts, days off and days worked counted on the day the shift starts, and the roster read back."""

from __future__ import annotations

import copy

import pytest

from kefu.wfm.schedule import PlanError, parse_plan
from kefu.wfm.schedule_check import violations
from kefu.wfm.schedule_output import roster_csv, schedule

from .plans import NAMES, minutes

EARLY = {"name": "早班", "minutes": 480, "starts": ["06:00"]}
LATE = {"name": "中班", "minutes": 480, "starts": ["14:00"]}
NIGHT = {"name": "夜班", "minutes": 480, "starts": ["22:00"],
         "breaks": [{"name": "夜宵", "minutes": 30, "paid": False, "earliest": 180, "latest": 300}]}


def night_plan(days: int = 3, agents: int = 12, **rules) -> dict:
    """2 agents on the phones all day and night; the night shift's half-hour break is unpaid and a third
    night agent is allowed for it."""
    return {
        "start": "2026-12-07",
        "rules": {"interval": 30, "time_limit": 8, "max_days_per_week": 5, "min_rest_minutes": 600} | rules,
        "days": [{"requirement": [2] * 48} for _ in range(days)],
        "shifts": copy.deepcopy([EARLY, LATE, NIGHT]),
        "agents": [{"id": f"A{i:02d}", "name": NAMES[i % len(NAMES)]} for i in range(agents)],
    }


def _nights(out: dict, date: str) -> list[dict]:
    return [d for a in out["agents"] for d in a["days"] if d["date"] == date and d["shift"] == "夜班"]


def test_a_night_shift_covers_the_next_morning():
    data = night_plan()
    out = schedule(parse_plan(data))
    cov = out["coverage"]
    two = cov["times"].index("02:00")
    # the first night of the plan has nobody from the evening before: only 00:00–06:00 of day one is short
    short = [(r["date"], r["time"]) for r in out["intervals"] if r["shortfall"] > 0]
    assert {d for d, _t in short} == {"2026-12-07"} and all(t < "06:00" for _d, t in short)
    assert out["summary"]["under_covered_intervals"] == 12 and out["summary"]["shortfall"] == 24
    # 02:00 on the 8th is covered by the night shift that began on the 7th
    nights = _nights(out, "2026-12-07")
    assert nights and all(n["start"] == "22:00" and n["end"] == "06:00" and n["ends_next_day"] for n in nights)
    on_break = sum(1 for n in nights for b in n["breaks"] if minutes(b["start"]) <= 120 < minutes(b["end"]))
    assert cov["scheduled"][1][two] == len(nights) - on_break >= 2
    for n in nights:  # the break falls after midnight, inside its window (01:00–03:00 from 22:00)
        (b,) = n["breaks"]
        assert "01:00" <= b["start"] <= "03:00" and not b["paid"] and n["paid_minutes"] == 450
    assert violations(parse_plan(data), out) == []


def test_rest_between_shifts_and_days_off_count_the_night():
    data = night_plan(days=4, agents=12)
    data["agents"][0] |= {"shifts": ["夜班"], "days_off": ["2026-12-09"]}  # off on the 9th
    out = schedule(parse_plan(data))
    assert violations(parse_plan(data), out) == []
    mine = {d["date"]: d for d in out["agents"][0]["days"]}
    # a night from the 8th would run into the day off: it is not given, nor the night of the 9th itself
    assert "2026-12-08" not in mine and "2026-12-09" not in mine
    for agent in out["agents"]:
        days = agent["days"]
        for a, b in zip(days, days[1:], strict=False):
            if int(b["date"][-2:]) - int(a["date"][-2:]) == 1:
                end = minutes(a["end"]) + (1440 if a["ends_next_day"] else 0)
                assert 1440 + minutes(b["start"]) - end >= 600, (agent["id"], a, b)  # ten hours of rest
    # the night shift is a day worked on the day it starts: the weekly cap counts it once
    assert all(len(a["days"]) <= 5 for a in out["agents"])


def test_without_a_rest_rule_shifts_still_never_overlap():
    data = night_plan(days=3, agents=5, min_rest_minutes=0)
    out = schedule(parse_plan(data))
    assert violations(parse_plan(data), out) == []
    csv = roster_csv(out)
    assert "夜班,22:00,06:00" in csv


def test_a_night_shift_needs_the_center_open_through_midnight():
    data = night_plan(days=2, agents=8)
    data["days"][1] |= {"open": "07:00", "close": "24:00"}  # opens at 07:00 on the 8th
    out = schedule(parse_plan(data))
    assert not _nights(out, "2026-12-07")  # it would end at 06:00 on the 8th, before the center opens
    assert _nights(out, "2026-12-08")


def test_a_start_must_be_a_time_of_the_day():
    data = night_plan()
    data["shifts"][2]["starts"] = ["24:00"]
    with pytest.raises(PlanError) as info:
        parse_plan(data)
    assert info.value.path == "shifts[2].starts[0]"


def test_a_shift_ending_at_midnight_stays_on_its_day():
    data = night_plan(days=2, agents=10)
    data["shifts"][1] = {"name": "晚班", "minutes": 480, "starts": ["16:00"]}  # 16:00–24:00
    out = schedule(parse_plan(data))
    evenings = [d for a in out["agents"] for d in a["days"] if d["shift"] == "晚班"]
    assert evenings and all(d["end"] == "24:00" and not d["ends_next_day"] for d in evenings)
    eleven = out["coverage"]["times"].index("23:30")
    assert out["coverage"]["scheduled"][0][eleven] >= 2
    assert violations(parse_plan(data), out) == []
