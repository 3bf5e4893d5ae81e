"""Compensation grants (红包, 免单, 退款): limited per role and audited."""

from __future__ import annotations


def _grant(desk, who, ticket_id, amount, kind="refund", reason="unused_7_days"):
    return desk.post(
        who,
        f"/tickets/{ticket_id}/compensations",
        json={"kind": kind, "reason": reason, "amount": amount, "note": "7天未消费,按规则退款"},
    )


def test_trainee_may_not_grant_anything(desk):
    t = desk.ticket()
    assert _grant(desk, "trainee", t["id"], 1).status_code == 403
    assert desk.get("agent", f"/tickets/{t['id']}/compensations").json()["count"] == 0


def test_agent_is_limited_to_twenty_yuan(desk):
    t = desk.ticket()
    r = _grant(desk, "agent", t["id"], 20.01)
    assert r.status_code == 403 and r.json()["field"] == "amount"
    r = _grant(desk, "agent", t["id"], 20, kind="red_packet", reason="service_failure")
    assert r.status_code == 201 and r.json()["amount"] == 20
    listed = desk.get("agent", f"/tickets/{t['id']}/compensations").json()
    assert listed["count"] == 1 and listed["data"][0]["kind"] == "red_packet"


def test_specialist_grants_three_hundred_and_it_is_audited(desk):
    t = desk.ticket()
    r = _grant(desk, "complaint_specialist", t["id"], 300)
    assert r.status_code == 201, r.text
    comp = r.json()
    assert comp["amount"] == 300 and comp["granted_by_id"] == desk.world.users["complaint_specialist"].id
    (entry,) = desk.audit("compensation.grant")
    assert entry.actor_id == desk.world.users["complaint_specialist"].id
    assert entry.detail["amount_fen"] == 30000 and entry.detail["reason"] == "unused_7_days"
    assert entry.target_id == str(t["id"])
    kinds = [e["kind"] for e in desk.get("agent", f"/tickets/{t['id']}/events").json()["data"]]
    assert "compensation" in kinds
    assert _grant(desk, "complaint_specialist", t["id"], 500.01).status_code == 403


def test_closed_ticket_takes_no_compensation(desk):
    t = desk.ticket()
    desk.patch("agent", f"/tickets/{t['id']}", json={"status": "resolved"})
    desk.patch("agent", f"/tickets/{t['id']}", json={"status": "closed"})
    r = _grant(desk, "supervisor", t["id"], 10)
    assert r.status_code == 409 and desk.audit("compensation.grant") == []


def test_compensations_of_a_missing_ticket_are_404(desk):
    assert desk.get("agent", "/tickets/999999/compensations").status_code == 404
    assert _grant(desk, "agent", 999999, 5).status_code == 404
