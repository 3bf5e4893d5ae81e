"""POST /api/v1/wfm/rosters publishes a schedule's roster to named agents; GET /api/v1/wfm/adherence compares it
with the stored state log (the pure kefu.wfm.adherence, fed from the store)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.wfm.models import RosterShift

DAY = {"date": "2026-11-20", "shift": "兼职4小时", "start": "08:00", "end": "12:00", "paid_minutes": 240,
       "breaks": [{"name": "小休", "start": "09:30", "end": "09:45", "paid": True},
                  {"name": "午餐", "start": "10:30", "end": "11:00", "paid": False}]}
ROSTER = {"agents": [{"id": "A01", "name": "一号", "days": [DAY]}, {"id": "A02", "name": "二号", "days": [DAY]}],
          "assign": {"A01": "agent", "A02": "agent2"}}


def post_states(client, world, events) -> None:
    body = {"events": [{"event_id": f"遵从-{a}-{t}", "agent": a, "state": s, "at": f"2026-11-20T{t}:00+08:00",
                        **({"reason": why} if why else {})} for a, s, t, why in events]}
    r = client.post("/api/v1/agents/states", headers=world.headers("admin"), json=body)
    assert r.status_code == 200, r.text


@pytest.fixture
def friday(client, world):
    r = client.post("/api/v1/wfm/rosters", headers=world.headers("analyst"), json=ROSTER)
    assert r.status_code == 200, r.text
    assert r.json() == {"published": 2, "agents": 2}
    # 王小明 follows the roster; 刘二 logs in 10 minutes late and takes 15 minutes too many of 小休
    post_states(client, world, [
        ("agent", "ready", "07:58", None), ("agent", "not_ready", "09:30", "小休"), ("agent", "ready", "09:45", None),
        ("agent", "not_ready", "10:30", "就餐"), ("agent", "busy", "11:00", None), ("agent", "签出", "12:00", None),
        ("agent2", "ready", "08:10", None), ("agent2", "not_ready", "09:30", "小休"),
        ("agent2", "ready", "10:00", None), ("agent2", "not_ready", "10:30", "就餐"),
        ("agent2", "ready", "11:00", None), ("agent2", "logged_out", "12:00", None)])


def test_adherence_from_the_stored_roster_and_state_log(client, world, friday):
    r = client.get("/api/v1/wfm/adherence", params={"from": "2026-11-20", "to": "2026-11-20"},
                   headers=world.headers("supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    a, b = body["agents"]["agent"], body["agents"]["agent2"]
    assert (a["name"], a["adherence"], a["out_of_adherence_minutes"]) == ("王小明", 1.0, 0)
    assert b["name"] == "刘二" and b["scheduled_minutes"] == 240 and b["out_of_adherence_minutes"] == 25
    assert b["adherence"] == pytest.approx(215 / 240, abs=1e-4)
    assert [(s["start"][11:16], s["end"][11:16], s["scheduled"], s["logged"]) for s in b["out_of_adherence"]] == [
        ("08:00", "08:10", "phone", "off"), ("09:45", "10:00", "phone", "break")]
    assert body["adherence"] == pytest.approx(455 / 480, abs=1e-4)
    one = client.get("/api/v1/wfm/adherence", headers=world.headers("analyst"), params={
        "from": "2026-11-20", "to": "2026-11-20", "agent": world.users["agent2"].id}).json()
    assert list(one["agents"]) == ["agent2"]


def test_republishing_replaces_and_today_is_judged_up_to_now(client, world, db, friday):
    today = DAY | {"date": "2026-11-23", "breaks": []}  # the clock says 10:00
    r = client.post("/api/v1/wfm/rosters", headers=world.headers("supervisor"),
                    json={"agents": [{"id": "agent", "days": [today, DAY | {"start": "09:00"}]}]})
    assert r.status_code == 200, r.text
    shifts = db.scalars(select(RosterShift).where(RosterShift.user_id == world.users["agent"].id)
                        .order_by(RosterShift.day)).all()
    assert [(s.day.isoformat(), s.start.hour) for s in shifts] == [("2026-11-20", 1), ("2026-11-23", 0)]  # UTC
    out = client.get("/api/v1/wfm/adherence", headers=world.headers("supervisor"),
                     params={"from": "2026-11-23", "to": "2026-11-23"}).json()
    assert out["agents"]["agent"]["scheduled_minutes"] == 120  # 08:00–10:00 so far; not logged in today
    assert out["agents"]["agent"]["adherence"] == 0


def test_publishing_names_what_is_wrong(client, world):
    bad = ROSTER | {"assign": {"A01": "agent", "A02": "无此人"}}
    r = client.post("/api/v1/wfm/rosters", headers=world.headers("analyst"), json=bad)
    assert r.status_code == 422 and "assign.A02" in r.text
    r = client.post("/api/v1/wfm/rosters", headers=world.headers("analyst"),
                    json={"agents": [{"id": "agent", "days": [DAY | {"end": "07:00"}]}]})
    assert r.status_code == 422 and "agents[0].days[0].end" in r.text
    r = client.post("/api/v1/wfm/rosters", headers=world.headers("analyst"),
                    json={"agents": [{"id": "agent", "days": [DAY | {"start": "25:00"}]}]})
    assert r.status_code == 422 and "agents.0.days.0.start" in r.text
    assert client.post("/api/v1/wfm/rosters", headers=world.headers("agent"), json=ROSTER).status_code == 403
