"""Callbacks (回访): created with a due time, completed by their owner, surfaced when overdue."""

from __future__ import annotations

from datetime import timedelta

from kefu.timers.service import run_due


def _new(desk, clock, owner="complaint_specialist", hours=2, **extra):
    t = desk.ticket(subject="顾客要求回电说明退款进度")
    body = {
        "ticket_id": t["id"],
        "due_at": (clock.now() + timedelta(hours=hours)).isoformat(),
        "owner_id": desk.world.users[owner].id,
        "preferred_time": "今天下午",
        "note": "顾客着急",
        **extra,
    }
    return t, desk.post("agent", "/callbacks", json=body)


def test_callback_takes_the_customer_phone_masked_and_notifies_the_owner(desk, clock):
    t, r = _new(desk, clock)
    assert r.status_code == 201, r.text
    cb = r.json()
    assert cb["contact_name"] == "张伟" and cb["contact_phone"] == "138****5678"
    assert cb["status"] == "pending" and cb["overdue"] is False and cb["ticket_id"] == t["id"]
    assert cb["team_id"] == desk.world.teams["complaints"].id
    notes = desk.notifications("complaint_specialist", "callback.assigned")
    assert len(notes) == 1 and notes[0].body == "张伟"
    kinds = [e["kind"] for e in desk.get("agent", f"/tickets/{t['id']}/events").json()["data"]]
    assert "callback_created" in kinds


def test_due_time_in_the_past_or_naive_is_refused(desk, clock):
    _t, r = _new(desk, clock, hours=-1)
    assert r.status_code == 422 and r.json()["field"] == "due_at"
    t = desk.ticket()
    r = desk.post("agent", "/callbacks", json={"ticket_id": t["id"], "due_at": "2026-11-23T15:00:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "due_at"
    assert desk.get("team_lead", "/callbacks").json()["count"] == 0


def test_owner_completes_but_another_agent_may_not(desk, clock):
    _t, r = _new(desk, clock, owner="agent2")
    cb = r.json()
    r = desk.post("agent", f"/callbacks/{cb['id']}/complete", json={"outcome": "resolved"})
    assert r.status_code == 403
    r = desk.post("agent2", f"/callbacks/{cb['id']}/complete", json={"outcome": "resolved", "note": "已解释到账时间"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done" and r.json()["outcome_note"] == "已解释到账时间"
    r = desk.post("agent2", f"/callbacks/{cb['id']}/complete", json={"outcome": "resolved"})
    assert r.status_code == 409
    assert desk.audit("callback.complete")[-1].actor_id == desk.world.users["agent2"].id
    _t, r = _new(desk, clock, owner="agent2")
    r = desk.post("agent2", f"/callbacks/{r.json()['id']}/complete", json={"outcome": "no_answer"})
    assert r.json()["status"] == "failed"


def test_overdue_callbacks_are_flagged_listed_and_reported(desk, clock, factory):
    _t, r = _new(desk, clock, owner="agent2", hours=1)
    late = r.json()
    _t, r = _new(desk, clock, owner="agent2", hours=5)
    later = r.json()
    clock.advance(hours=2)
    assert run_due(factory, clock) >= 1
    r = desk.get("team_lead", "/callbacks", params={"overdue": "true"})
    assert [c["id"] for c in r.json()["data"]] == [late["id"]] and r.json()["data"][0]["overdue"] is True
    r = desk.get("team_lead", "/callbacks", params={"overdue": "false"})
    assert [c["id"] for c in r.json()["data"]] == [later["id"]]
    assert len(desk.notifications("team_lead", "callback.overdue")) == 1  # leader of agent2's team
    assert len(desk.notifications("agent2", "callback.overdue")) == 1
    r = desk.get("agent2", "/callbacks", params={"mine": "true", "status": "pending"})
    assert r.json()["count"] == 2


def test_completed_callback_never_goes_overdue(desk, clock, factory):
    _t, r = _new(desk, clock, owner="agent2", hours=1)
    desk.post("agent2", f"/callbacks/{r.json()['id']}/complete", json={"outcome": "resolved"})
    clock.advance(hours=3)
    run_due(factory, clock)
    assert desk.notifications("team_lead", "callback.overdue") == []
    assert desk.get("team_lead", "/callbacks", params={"overdue": "true"}).json()["count"] == 0


def test_reveal_shows_the_number_and_is_audited(desk, clock):
    _t, r = _new(desk, clock)
    cb = r.json()
    r = desk.post("complaint_specialist", f"/callbacks/{cb['id']}/reveal", json={"reason": "拨打回访电话"})
    assert r.status_code == 200 and r.json()["contact_phone"] == "13812345678"
    entry = desk.audit("pii.reveal")[-1]
    assert entry.target_type == "callback" and entry.target_id == str(cb["id"])
    assert entry.detail["reason"] == "拨打回访电话"
    assert desk.post("agent", f"/callbacks/{cb['id']}/reveal", json={"reason": "想看"}).status_code == 403
