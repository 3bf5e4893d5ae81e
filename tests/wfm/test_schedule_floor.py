"""The quick path of a day's search (排班): a cover at the proved cost floor first, and a week's alike days
sharing one model. Each answer must be the same as the full search's and pass the independent check."""

from __future__ import annotations

import random

import pytest

from kefu.wfm import schedule_model
from kefu.wfm.schedule import parse_plan
from kefu.wfm.schedule_check import violations
from kefu.wfm.schedule_output import schedule

from .plans import day_requirement, plan


def _paid_by_date(out: dict) -> dict[str, int]:
    paid: dict[str, int] = {}
    for agent in out["agents"]:
        for d in agent["days"]:
            paid[d["date"]] = paid.get(d["date"], 0) + d["paid_minutes"]
    return paid


def test_a_week_of_alike_days_gives_each_day_its_own_optimum():
    # the same open hours and busy intervals every day, at different volumes: one model serves the week,
    # and a day must come out as it does when scheduled alone (no requirement left over from the day before)
    scales = [1.0, 2.0, 1.5, 3.0, 1.0, 2.5, 2.0]
    data = plan(days=7, agents=40)
    for day, scale in zip(data["days"], scales, strict=True):
        day["requirement"] = day_requirement(scale)
    out = schedule(parse_plan(data))
    assert out["status"] == "optimal"
    assert out["summary"]["shortfall"] == 0
    assert violations(parse_plan(data), out) == []
    assert {a["name"] for a in out["agents"] if a["days"]} >= {"张伟", "王芳"}  # the roster names the agents
    week = _paid_by_date(out)
    for i, scale in enumerate(scales):
        alone = plan(days=1, agents=40)
        alone["start"] = out["coverage"]["dates"][i]
        alone["days"][0]["requirement"] = day_requirement(scale)
        one = schedule(parse_plan(alone))
        assert one["status"] == "optimal" and one["summary"]["shortfall"] == 0
        assert week[alone["start"]] == _paid_by_date(one)[alone["start"]], f"day {i} (×{scale})"


def test_a_cover_that_cannot_cost_the_floor_is_still_the_cheapest():
    # one agent 08:00–12:00 and one at 21:30: by required minutes alone two 4-hour shifts could do, but every
    # shift's first break falls in the morning, so the morning takes two shifts and the evening a third
    data = plan(days=1, agents=6)
    req = [0.0] * 48
    for t in range(16, 24):
        req[t] = 1.0
    req[43] = 1.0
    data["days"][0]["requirement"] = req
    out = schedule(parse_plan(data))
    assert out["status"] == "optimal"
    assert out["summary"]["under_covered_intervals"] == 0
    assert out["cost"] == pytest.approx(12.0)  # three 4-hour shifts at hourly cost 1
    assert out["bounds"]["cost"] == pytest.approx(12.0)  # and proved the least
    assert violations(parse_plan(data), out) == []


def _random_day(rng: random.Random) -> list[float]:
    req = [0.0] * 48
    level = rng.randint(1, 4)
    for t in range(16, 44):
        level = max(0, min(9, level + rng.choice((-2, -1, 0, 0, 1, 2))))
        req[t] = float(level)
    return req


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_quick_path_costs_what_the_full_search_costs(seed, monkeypatch):
    rng = random.Random(seed)
    data = plan(days=1, agents=rng.choice((6, 12, 30)))  # six agents: short at the peaks, no cover possible
    data["days"][0]["requirement"] = _random_day(rng)
    quick = schedule(parse_plan(data))
    monkeypatch.setattr(schedule_model, "_covering", lambda *args, **kwargs: (None, None))
    full = schedule(parse_plan(data))
    assert quick["status"] == full["status"] == "optimal"
    assert quick["summary"]["weighted_shortfall_minutes"] == full["summary"]["weighted_shortfall_minutes"]
    assert quick["cost"] == pytest.approx(full["cost"])
    assert violations(parse_plan(data), quick) == []
