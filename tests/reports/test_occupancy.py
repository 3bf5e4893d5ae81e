"""Occupancy = handle time / logged-in time in GET /api/v1/reports/kpis: logged-in time from the agent state log
(its rollup of closed spans, plus the current spans up to now), against hand-computed values."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from conftest import SHANGHAI
from kefu.contacts.service import ingest

API = "/api/v1/reports/kpis"
FRI = datetime(2026, 11, 20, 0, 0, tzinfo=SHANGHAI)  # the clock says Monday 23 November 10:00


def call(n: int, at: datetime, agent: str, handle: int) -> dict:
    """An answered call whose talk + wrap is ``handle`` seconds."""
    talk, wrap = handle - 300, 300
    return {"call_id": f"CDR-占用-{n}", "channel": "phone", "customer_phone": "13812345678", "queue": "外卖热线",
            "offered_at": at.isoformat(), "answered_at": at.isoformat(), "outcome": "answered", "agent": agent,
            "talk_seconds": talk, "wrap_seconds": wrap, "ended_at": (at + timedelta(seconds=talk)).isoformat()}


def states(client, world, *events) -> None:
    body = {"events": [{"event_id": f"占用-{i}", "agent": a, "state": s, "at": t.isoformat(),
                        **({"reason": why} if why else {})} for i, (a, s, t, why) in enumerate(events)]}
    r = client.post("/api/v1/agents/states", headers=world.headers("admin"), json=body)
    assert r.status_code == 200, r.text


def h(hours: float, day: datetime = FRI) -> datetime:
    return day + timedelta(hours=hours)


@pytest.fixture
def friday(client, world, db, clock):
    """王小明 logged in 09:00–17:00 (8 h, a 15-minute 小休 inside) handling 8 calls of 30 minutes (4 h), each
    starting on a half hour; 刘二 logged in 23:00–01:00 across midnight, one 30-minute call at 23:30."""
    states(client, world, ("agent", "ready", h(9), None), ("agent", "not_ready", h(12.25), "小休"),
           ("agent", "ready", h(12.5), None), ("agent", "logged_out", h(17), None),
           ("agent2", "示闲", h(23), None), ("agent2", "签出", h(25), None))
    calls = [call(i, h(t), "agent", 1800) for i, t in enumerate((9, 10, 11, 12.5, 13, 14, 15, 16))]
    calls.append(call(9, h(23.5), "agent2", 1800))
    assert ingest(db, calls, now=clock.now()).created == 9
    db.commit()


def kpis(client, world, **params) -> dict:
    r = client.get(API, params={"from": "2026-11-20", "to": "2026-11-21"} | params,
                   headers=world.headers("analyst"))
    assert r.status_code == 200, r.text
    return r.json()


def test_occupancy_totals_and_per_agent(client, world, friday):
    assert kpis(client, world, to="2026-11-20")["totals"]["occupancy"] == pytest.approx(
        (8 * 1800 + 1800) / (8 * 3600 + 3600))
    # both days: 4.5 h handled over 10 h logged in
    assert kpis(client, world)["totals"]["occupancy"] == pytest.approx(4.5 / 10)
    rows = {r["label"]: r["occupancy"] for r in kpis(client, world, group_by="agent")["rows"]}
    assert rows == {"王小明": pytest.approx(0.5), "刘二": pytest.approx(0.25)}
    team = kpis(client, world, group_by="team")["rows"]
    assert [(r["label"], r["occupancy"]) for r in team] == [("一线客服一组", pytest.approx(0.45))]
    # filtered to one agent, and not split by channel (logged-in time is not)
    assert kpis(client, world, agent=world.users["agent2"].id)["totals"]["occupancy"] == pytest.approx(0.25)
    assert kpis(client, world, channel="phone")["totals"]["occupancy"] is None


def test_occupancy_by_day_and_interval_across_midnight(client, world, friday):
    days = {r["label"]: r["occupancy"] for r in kpis(client, world, group_by="day")["rows"]}
    # Friday: 4.5 h over 9 h; Saturday: 刘二's hour after midnight, no call (a row without contacts)
    assert days == {"2026-11-20": pytest.approx(0.5), "2026-11-21": pytest.approx(0.0)}
    rows = {r["label"]: r["occupancy"] for r in kpis(client, world, group_by="interval")["rows"]}
    assert rows["11-20 09:00"] == pytest.approx(1.0) and rows["11-20 09:30"] == pytest.approx(0.0)
    assert rows["11-20 12:00"] == pytest.approx(0.0)  # 12:00–12:15 ready, 12:15–12:30 小休: logged in, no call
    assert rows["11-20 23:30"] == pytest.approx(1.0) and rows["11-21 00:30"] == pytest.approx(0.0)
    assert "11-20 17:00" not in rows  # logged out


def test_an_agent_still_logged_in_counts_until_now(client, world, db, clock):
    today = datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)
    states(client, world, ("agent", "ready", h(8, today), None))
    assert ingest(db, [call(20, h(8.5, today), "agent", 1800)], now=clock.now()).created == 1
    db.commit()
    q = {"from": "2026-11-23", "to": "2026-11-23"}
    assert kpis(client, world, **q)["totals"]["occupancy"] == pytest.approx(1800 / (2 * 3600))  # 08:00–10:00
    clock.advance(hours=1)
    assert kpis(client, world, **q)["totals"]["occupancy"] == pytest.approx(1800 / (3 * 3600))
