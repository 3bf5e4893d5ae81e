"""POST /api/v1/wfm/erlang and /wfm/schedule through HTTP: single values and per-interval arrays, bad bodies
refused naming the field. Which roles may call them is in tests/api/test_authz.py."""

from __future__ import annotations

import pytest

from kefu.wfm import erlang

from .plans import plan

API = "/api/v1/wfm"


def post(client, world, path, body, who="analyst"):
    return client.post(f"{API}/{path}", headers=world.headers(who), json=body)


def test_the_worked_example_over_http(client, world):
    r = post(client, world, "erlang", {"calls": 100, "interval_minutes": 30, "aht": 180, "service_level": 0.8,
                                       "target_time": 20, "shrinkage": 0.3, "max_occupancy": 0.85})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["raw_positions"], body["positions"], body["model"]) == (14, 20, "erlang_c")
    for key in ("service_level", "occupancy", "asa", "waiting_probability"):
        assert 0 < body[key] < 10
    assert "abandonment" not in body


def test_per_interval_arrays_come_back_per_interval(client, world):
    calls, aht = [0, 45, 100, 320, 12], [200, 200, 180, 240, 300]
    r = post(client, world, "erlang", {"calls": calls, "aht": aht, "service_level": 0.9, "target_time": 15,
                                       "patience": 120}, who="supervisor")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "erlang_a" and len(body["raw_positions"]) == 5 == len(body["abandonment"])
    assert body["raw_positions"][0] == 0 and body["asa"][0] == 0
    from kefu.wfm import erlang_a

    one = erlang_a.requirement(320, 1800, 240, 0.9, 15, patience=120)
    assert body["raw_positions"][3] == int(one.raw_positions)


def test_without_a_service_level_erlang_c_still_staffs_above_the_load(client, world):
    # 10 Erlangs: with 10 agents the queue never clears (ASA infinite), so even a 0% target needs 11
    r = post(client, world, "erlang", {"calls": [100], "aht": [180], "target_time": 0, "service_level": 0.0})
    assert r.status_code == 200 and r.json()["raw_positions"] == [11]
    assert erlang.erlang_c(10, 100, 1800, 180, 20).asa == float("inf")


@pytest.mark.parametrize("body, field", [
    ({"calls": -5, "aht": 180}, "calls"),
    ({"calls": 100, "aht": 0}, "aht"),
    ({"calls": 100, "aht": 180, "service_level": 1}, "service_level"),
    ({"calls": 100, "aht": 180, "shrinkage": 1.2}, "shrinkage"),
    ({"calls": [1, 2, 3], "aht": [180, 200]}, "aht"),
    ({"calls": 100, "aht": 180, "max_abandonment": 0.05}, "max_abandonment"),
])
def test_bad_erlang_input_is_a_422_naming_the_field(client, world, body, field):
    r = post(client, world, "erlang", body)
    assert r.status_code == 422
    assert field in r.text


def test_schedule_over_http(client, world):
    data = plan(days=1, agents=8, time_limit=5)
    r = post(client, world, "schedule", data, who="admin")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["summary"]["under_covered_intervals"] == 0 and len(out["agents"]) == 8
    assert out["coverage"]["dates"] == ["2026-12-07"] and len(out["coverage"]["scheduled"][0]) == 48
    worked = [d for a in out["agents"] for d in a["days"]]
    assert worked and all(d["breaks"] for d in worked)
    assert out["status"] == "optimal" and out["gap"] == 0 and out["bounds"]["cost"] == out["cost"]


@pytest.mark.parametrize("change, field", [
    (lambda p: p["agents"][0].update(days_off=["明天"]), "agents[0].days_off[0]"),
    (lambda p: p["rules"].update(time_limit=600), "rules.time_limit"),
    (lambda p: p.update(agents=[{"id": f"A{i}"} for i in range(501)]), "agents"),
])
def test_a_bad_plan_is_a_422_naming_the_field(client, world, change, field):
    data = plan(days=1, agents=3)
    change(data)
    r = post(client, world, "schedule", data)
    assert r.status_code == 422 and r.json()["field"] == field
