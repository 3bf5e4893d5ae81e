"""Shift scheduling (排班) with CP-SAT: the roster covers the requirement, breaks sit inside their windows, and
every per-agent rule holds in the answer."""

from __future__ import annotations

import pytest

from kefu.wfm.schedule import PlanError, parse_plan
from kefu.wfm.schedule_output import schedule

from .plans import EARLY, LATE, PART, day_requirement, minutes, plan


def run(data: dict) -> dict:
    return schedule(parse_plan(data))


def _worked(result: dict) -> dict[str, list[dict]]:
    return {a["id"]: a["days"] for a in result["agents"]}


def test_a_roster_that_covers_the_requirement_with_breaks_in_their_windows():
    out = run(plan(days=2, agents=10))
    assert out["summary"]["under_covered_intervals"] == 0 and out["summary"]["shortfall"] == 0
    templates = {t["name"]: t for t in (EARLY, LATE, PART)}
    for agent in out["agents"]:
        assert len({d["date"] for d in agent["days"]}) == len(agent["days"])  # one shift a day
        for d in agent["days"]:
            tpl = templates[d["shift"]]
            start = minutes(d["start"])
            assert d["start"] in tpl["starts"] and minutes(d["end"]) - start == tpl["minutes"]
            assert [b["name"] for b in d["breaks"]] == [b["name"] for b in tpl["breaks"]]
            for b, rule in zip(d["breaks"], tpl["breaks"], strict=True):
                assert rule["earliest"] <= minutes(b["start"]) - start <= rule["latest"]
                assert minutes(b["end"]) - minutes(b["start"]) == rule["minutes"]
                assert b["paid"] == rule.get("paid", True)
    # the per-interval arrays agree with the interval rows and with the roster
    cov = out["coverage"]
    assert len(cov["times"]) == 48 and cov["requirement"][0] == day_requirement()
    for row in out["intervals"]:
        d, t = cov["dates"].index(row["date"]), cov["times"].index(row["time"])
        assert cov["scheduled"][d][t] == row["scheduled"] >= row["requirement"]
    ten = cov["times"].index("10:00")
    on_phone = sum(1 for a in out["agents"] for d in a["days"] if d["date"] == cov["dates"][0]
                   and minutes(d["start"]) <= 600 < minutes(d["end"])
                   and not any(minutes(b["start"]) <= 600 < minutes(b["end"]) for b in d["breaks"]))
    assert on_phone == pytest.approx(cov["scheduled"][0][ten], abs=0.5)


def test_lunch_is_unpaid_and_the_cost_counts_paid_time():
    out = run(plan(days=1, agents=8))
    paid = sum(d["paid_minutes"] for a in out["agents"] for d in a["days"])
    assert out["cost"] == pytest.approx(paid / 60, abs=0.05)  # hourly cost 1 by default
    early = [d for a in out["agents"] for d in a["days"] if d["shift"] == "早班"]
    assert all(d["paid_minutes"] == 480 for d in early)


def test_days_off_weekly_cap_and_consecutive_days():
    data = plan(days=9, agents=12, max_days_per_week=5, max_consecutive_days=3)
    data["agents"][0]["days_off"] = ["2026-12-08", "sat"]  # a date and a weekday (12-12 is a Saturday)
    data["agents"][1] |= {"worked_before": 3}  # already three days in a row before the plan
    data["agents"][2] |= {"max_consecutive_days": 2}
    out = run(data)
    worked = _worked(out)
    assert not {"2026-12-08", "2026-12-12"} & {d["date"] for d in worked["A00"]}
    assert "2026-12-07" not in {d["date"] for d in worked["A01"]}
    for agent, days in worked.items():
        idx = sorted(int(d["date"][-2:]) - 7 for d in days)
        assert sum(1 for i in idx if i < 7) <= 5
        limit = 2 if agent == "A02" else 3
        run_len = best = 0
        for i in range(9):
            run_len = run_len + 1 if i in idx else 0
            best = max(best, run_len)
        assert best <= limit, (agent, idx)


def test_availability_and_allowed_shifts():
    data = plan(days=2, agents=10)
    data["agents"][0] |= {"available": {"mon": [["08:00", "13:00"]], "tue": []}, "shifts": ["兼职4小时"]}
    out = run(data)
    mine = _worked(out)["A00"]
    assert all(d["shift"] == "兼职4小时" for d in mine)
    assert all(d["date"] == "2026-12-07" and minutes(d["end"]) <= 13 * 60 for d in mine)


def test_a_closed_holiday_gets_no_shifts_and_a_holiday_costs_triple():
    data = plan(days=3, agents=10)
    data["days"][1] |= {"holiday": "元旦", "closed": True}
    data["days"][2] |= {"holiday": "元旦假期"}
    out = run(data)
    dates = [d for a in out["agents"] for d in a["days"]]
    assert not [d for d in dates if d["date"] == "2026-12-08"]
    cost = sum(d["paid_minutes"] / 60 * (3 if d["date"] == "2026-12-09" else 1) for d in dates)
    assert out["cost"] == pytest.approx(cost, abs=0.05)
    assert out["summary"]["shortfall"] > 0  # the closed day's requirement is not met, and says so


def test_the_contacts_cap_keeps_agents_off_long_busy_shifts():
    data = plan(days=1, agents=12, max_contacts_per_day=120)
    calls = [v * 15 for v in day_requirement()]  # 15 calls a half hour per required agent: 0.5 a minute
    data["days"][0]["calls"] = calls
    out = run(data)
    for a in out["agents"]:
        for d in a["days"]:
            on_phone = minutes(d["end"]) - minutes(d["start"]) - sum(
                minutes(b["end"]) - minutes(b["start"]) for b in d["breaks"])
            assert on_phone * 0.5 <= 120 + 1e-6
    assert {d["shift"] for a in out["agents"] for d in a["days"]} == {"兼职4小时"}


def test_short_staffed_the_peak_is_covered_first():
    data = plan(days=1, agents=1)
    data["shifts"] = [{"name": "兼职4小时", "minutes": 240, "starts": ["08:00", "14:00"]}]
    data["days"][0]["requirement"] = [0] * 16 + [1] * 8 + [0] * 4 + [3] * 8 + [0] * 12
    out = run(data)
    (day,) = out["agents"][0]["days"]
    assert day["start"] == "14:00"
    assert out["summary"]["under_covered_intervals"] == 16 and out["summary"]["shortfall"] == 8 + 8 * 2
    # proved: the search's bound on the weighted shortfall is the shortfall found, no gap
    assert out["status"] == "optimal" and out["gap"] == 0
    assert out["bounds"]["weighted_shortfall_minutes"] == out["summary"]["weighted_shortfall_minutes"] > 0


def test_same_plan_same_schedule():
    assert run(plan(days=2, agents=8)) | {"seconds": 0} == run(plan(days=2, agents=8)) | {"seconds": 0}


@pytest.mark.parametrize("change, path", [
    (lambda p: p["shifts"][0].update(minutes=500), "shifts[0].minutes"),
    (lambda p: p["shifts"][0]["starts"].append("25:00"), "shifts[0].starts[4]"),
    (lambda p: p["shifts"][0]["breaks"][1].update(earliest=100), "shifts[0].breaks[1]"),
    (lambda p: p["agents"][3].update(days_off=["下周一"]), "agents[3].days_off[0]"),
    (lambda p: p["agents"][1].update(shifts=["夜班"]), "agents[1].shifts[0]"),
    (lambda p: p["days"][0]["requirement"].__setitem__(3, -1), "days[0].requirement[3]"),
    (lambda p: p["rules"].update(interval=7), "rules.interval"),
    (lambda p: p["rules"].update(weekly_hours=40), "rules.weekly_hours"),
    (lambda p: p.pop("agents"), "agents"),
])
def test_a_bad_plan_names_the_field(change, path):
    data = plan(days=1, agents=4)
    change(data)
    with pytest.raises(PlanError) as info:
        parse_plan(data)
    assert info.value.path == path


def _busy_week(agents: int) -> dict:
    """A round-the-clock hotline (24 h, 2–17 agents a half hour with a daily swing), a week, the planning
    page's plan: full-timers on 全天班, a quarter part-timers on 半天班, at most five days each."""
    import math
    from datetime import date, timedelta

    from kefu.wfm.planning import week_plan

    days = [date(2026, 12, 7) + timedelta(days=i) for i in range(7)]
    raw = [[max(2, round(9 + 6 * math.sin((t - 14) / 48 * 2 * math.pi) + d % 3)) for t in range(48)]
           for d in range(7)]
    return week_plan(days, raw, agents, time_limit=15)  # the solver stops at wall time: room for a loaded machine


def _lower_bound(data: dict) -> float:
    """Agent-half-hours short at the least: the week's requirement less what every agent working five
    days of their shift can spend on the phones."""
    on_phone = {s["name"]: s["minutes"] - sum(b["minutes"] for b in s["breaks"]) for s in data["shifts"]}
    capacity = sum(5 * on_phone[a["shifts"][0]] for a in data["agents"]) / 30
    return max(0.0, sum(map(sum, (d["requirement"] for d in data["days"]))) - capacity)


@pytest.mark.parametrize("agents", [48, 60])
def test_a_busy_week_is_staffed_close_to_its_lower_bound(agents):
    data = _busy_week(agents)
    out = run(data)
    bound = _lower_bound(data)
    # what is proved is reported: a lower bound on the weighted shortfall and the gap to it
    proved = out["bounds"]["weighted_shortfall_minutes"]
    found = out["summary"]["weighted_shortfall_minutes"]
    assert proved <= found
    if out["status"] == "feasible" and found:
        assert out["gap"] == pytest.approx((found - proved) / found, abs=1e-4) and out["gap"] > 0
    if agents == 48:  # too few: every agent works all five days and the shortfall stays near the bound
        assert bound > 100
        assert proved >= 10 * bound * 30  # at least the head-count bound, each short minute weighing ≥ 10
        assert out["summary"]["shifts"] >= 0.98 * 5 * agents
        assert bound <= out["summary"]["shortfall"] <= 1.5 * bound
    else:  # enough agents: the week is covered
        assert bound == 0 and out["summary"]["shortfall"] == 0
    for a in _worked(out).values():
        assert len(a) <= 5


def _rules_plan() -> dict:
    data = plan(days=9, agents=12, max_days_per_week=5, max_consecutive_days=3)
    data["agents"][0]["days_off"] = ["2026-12-08", "sat"]
    data["agents"][1] |= {"worked_before": 3}
    data["agents"][2] |= {"available": {"mon": [["08:00", "13:00"]]}, "shifts": ["兼职4小时"]}
    data["days"][4] |= {"holiday": "元旦"}
    return data


@pytest.mark.parametrize("make", [lambda: plan(days=1, agents=8), lambda: plan(days=3, agents=10), _rules_plan])
def test_every_schedule_passes_the_independent_validity_check(make):
    from kefu.wfm.schedule_check import violations

    data = make()
    out = run(data)
    assert violations(parse_plan(data), out) == []


def test_the_validity_check_catches_a_broken_roster():
    import copy

    from kefu.wfm.schedule_check import violations

    data = plan(days=2, agents=10)
    parsed, out = parse_plan(data), run(data)
    moved = copy.deepcopy(out)
    shift = next(d for a in moved["agents"] for d in a["days"] if d["shift"] == "早班")
    shift["breaks"][1]["start"] = shift["start"]  # 午餐 at the shift's first minute: outside its window
    problems = violations(parsed, moved)
    assert any("午餐" in p and "window" in p for p in problems)
    doubled = copy.deepcopy(out)
    worker = next(a for a in doubled["agents"] if a["days"])
    worker["days"].append(dict(worker["days"][0]))  # the same agent twice on one day
    assert any("two shifts on one day" in p for p in violations(parsed, doubled))
