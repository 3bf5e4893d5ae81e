"""The agent state log in the store: fed by the chat seat (示闲/示忙, and the end of the disconnect grace) and by
the telephony system through POST /api/v1/agents/states (idempotent, late events split spans, bad input
named); read through GET /api/v1/agents/states; its per-interval rollup equals the raw spans."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kefu.chat import service as chat_service
from kefu.timers.service import run_due
from kefu.wfm import state_store
from kefu.wfm.models import AgentState, AgentStateRollup
from kefu.wfm.states import seconds_by_interval

URL = "/api/v1/agents/states"
SH = ZoneInfo("Asia/Shanghai")


def _log(db, user) -> list[tuple]:
    db.expire_all()
    rows = db.scalars(select(AgentState).where(AgentState.user_id == user.id).order_by(AgentState.start,
                                                                                       AgentState.id))
    return [(r.start, r.end, r.state, r.reason, r.source) for r in rows]


def test_the_chat_seat_logs_ready_away_and_the_end_of_the_grace(db, factory, clock, world):
    agent = world.users["agent"]
    t0 = clock.now()
    chat_service.set_ready(db, user=agent, now=t0)
    chat_service.set_ready(db, user=agent, now=t0 + timedelta(minutes=1))  # again: no new span
    t1 = clock.advance(minutes=30)
    chat_service.set_away(db, user=agent, now=t1)
    t2 = clock.advance(minutes=10)
    chat_service.set_ready(db, user=agent, now=t2)
    t3 = clock.advance(minutes=5)
    chat_service.disconnect(db, user=agent, now=t3)
    db.commit()
    clock.advance(minutes=10)  # the timer runs late: the agent is logged out when the 60 s grace ran out
    run_due(factory, clock)
    out = t3 + timedelta(seconds=60)
    assert _log(db, agent) == [(t0, t1, "ready", "", "chat"), (t1, t2, "not_ready", "", "chat"),
                               (t2, out, "ready", "", "chat"), (out, None, "logged_out", "", "chat")]


def _ev(eid, agent, state, at, reason=None):
    return {"event_id": eid, "agent": agent, "state": state, "at": at, **({"reason": reason} if reason else {})}


def _hm(t) -> str | None:
    return t and t.astimezone(SH).strftime("%H:%M")


def test_telephony_events_are_stored_once_and_late_ones_split_the_span(client, world, db, clock):
    day = "2026-11-23T"  # the clock says 10:00 in Shanghai
    batch = {"source": "telephony", "events": [
        _ev("e1", "agent", "示闲", day + "06:00:00+08:00"),
        _ev("e3", "agent", "not_ready", day + "08:00:00+08:00", "就餐"),
        _ev("e4", "agent", "logged_out", day + "08:30:00"),  # local time without an offset
    ]}
    r = client.post(URL, headers=world.headers("admin"), json=batch)
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": 3, "duplicates": 0}
    # the same batch again (a resend) plus a late event: the 07:00 call cuts the ready span
    batch["events"].append(_ev("e2", "agent", "busy", day + "07:00:00+08:00"))
    r = client.post(URL, headers=world.headers("admin"), json=batch)
    assert r.json() == {"stored": 1, "duplicates": 3}
    agent = world.users["agent"]
    assert [(_hm(s), _hm(e), st, why, src) for s, e, st, why, src in _log(db, agent)] == [
        ("06:00", "07:00", "ready", "", "telephony"), ("07:00", "08:00", "busy", "", "telephony"),
        ("08:00", "08:30", "not_ready", "就餐", "telephony"), ("08:30", None, "logged_out", "", "telephony")]
    # the rollup: 2.5 h logged in, per half hour, equal to the raw spans
    rows = db.scalars(select(AgentStateRollup).where(AgentStateRollup.user_id == agent.id)).all()
    assert sum(r.logged_in_seconds for r in rows) == 2.5 * 3600
    assert sorted((_hm(r.interval_start), r.busy_seconds) for r in rows if r.busy_seconds) == [
        ("07:00", 1800), ("07:30", 1800)]
    raw = seconds_by_interval([state_store._span(r) for r in db.scalars(
        select(AgentState).where(AgentState.user_id == agent.id, AgentState.end.is_not(None)))])
    assert {k: round(sum(v.values())) for k, v in raw.items()} == {r.interval_start: r.logged_in_seconds
                                                                    for r in rows}


def test_bad_events_are_a_422_naming_the_field_and_nothing_is_stored(client, world, db):
    good = _ev("g1", "agent", "ready", "2026-11-23T08:00:00+08:00")
    cases = [
        (_ev("b1", "无此人", "ready", "2026-11-23T08:00:00+08:00"), "events[1].agent"),
        (_ev("b2", "agent", "睡觉", "2026-11-23T08:00:00+08:00"), "events[1].state"),
        (_ev("b3", "agent", "ready", "2026-11-24T08:00:00+08:00"), "events[1].at"),  # tomorrow: in the future
        ({"event_id": "b4", "state": "ready", "at": "2026-11-23T08:00:00+08:00"}, "events.1"),
        (_ev("b5", "agent", "ready", "昨天"), "events.1.at"),
    ]
    for bad, field in cases:
        r = client.post(URL, headers=world.headers("admin"), json={"events": [good, bad]})
        assert r.status_code == 422, r.text
        assert field in r.text, (field, r.text)
    r = client.post(URL, headers=world.headers("admin"), json={"source": "传真", "events": [good]})
    assert r.status_code == 422 and "source" in r.text
    assert _log(db, world.users["agent"]) == []
    assert client.post(URL, headers=world.headers("agent"), json={"events": [good]}).status_code == 403


def test_reading_spans_own_or_as_a_lead(client, world, db, clock):
    client.post(URL, headers=world.headers("admin"), json={"events": [
        _ev("r1", "agent", "ready", "2026-11-23T08:00:00+08:00"),
        _ev("r2", "agent2", "not_ready", "2026-11-23T08:30:00+08:00", "培训")]})
    q = {"from": "2026-11-23", "to": "2026-11-23"}
    mine = client.get(URL, headers=world.headers("agent"), params=q).json()
    assert [(s["agent"], s["state"], s["end"]) for s in mine["data"]] == [("王小明", "ready", None)]
    other = client.get(URL, headers=world.headers("agent"), params=q | {"agent": world.users["agent2"].id})
    assert other.status_code == 403 and "agent" in other.text
    team = client.get(URL, headers=world.headers("team_lead"), params=q | {"team": world.teams["front"].id}).json()
    assert sorted((s["agent"], s["label"], s["reason"]) for s in team["data"]) == [
        ("刘二", "示忙", "培训"), ("王小明", "示闲", "")]
    assert client.get(URL, headers=world.headers("agent"), params=q | {"team": 1}).status_code == 403
    none = client.get(URL, headers=world.headers("agent"), params={"from": "2026-11-22", "to": "2026-11-22"})
    assert none.json()["count"] == 0


def test_a_change_before_every_stored_span_lasts_until_the_first(db, world, clock):
    agent = world.users["agent"]
    t = clock.now()
    state_store.record(db, state_store.Change(user_id=agent.id, state="ready", at=t - timedelta(hours=1)), now=t)
    state_store.record(db, state_store.Change(user_id=agent.id, state="not_ready", reason="会议",
                                              at=t - timedelta(hours=2)), now=t)
    assert _log(db, agent) == [(t - timedelta(hours=2), t - timedelta(hours=1), "not_ready", "会议", "api"),
                               (t - timedelta(hours=1), None, "ready", "", "api")]
    # the closed hour is in the rollup; the current one counts up to now when read
    assert state_store.logged_in(db, start=t - timedelta(days=1), end=t + timedelta(days=1), now=t) == {
        agent.id: 2 * 3600}


def test_chat_going_offline_does_not_log_out_a_telephony_agent(db, factory, world, clock):
    agent = world.users["agent"]
    t0 = clock.now()
    chat_service.set_ready(db, user=agent, now=t0)
    state_store.record(db, state_store.Change(user_id=agent.id, state="busy", source="telephony",
                                              at=t0 + timedelta(minutes=5)), now=t0)
    chat_service.disconnect(db, user=agent, now=t0 + timedelta(minutes=6))
    db.commit()
    clock.advance(minutes=10)
    run_due(factory, clock)
    assert [(s, st) for _, _, st, _, s in _log(db, agent)] == [("chat", "ready"), ("telephony", "busy")]
