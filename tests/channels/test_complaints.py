"""Regulator complaints (12315, 市场监管) and internal feedback: the intake, the stricter SLA, duplicate
case numbers, the reply sent back to the regulator, and the warnings before its due time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kefu.audit.models import AuditEntry
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.notifications.models import Notification
from kefu.sla.models import SlaPolicy
from kefu.tickets.models import Ticket, TicketEvent
from kefu.timers.service import run_due

API = "/api/v1"
HOUR = timedelta(hours=1)


def regulator_case(clock, **fields) -> dict:
    return {"source": "12315", "case_number": "1231520261123000457",
            "received_at": (clock.now() - 2 * HOUR).isoformat(),
            "reply_due_at": (clock.now() + timedelta(days=3)).isoformat(),
            "customer_name": "张伟", "phone": "138 1234 5678",
            "content": "消费者反映:在平台点的外卖超时两小时未送达,申请退款被拒,要求平台处理并赔偿。",
            "category_code": "delivery.late", "business_line_code": "waimai", **fields}


def file(client, world, clock, who: str = "complaint_specialist", **fields):
    return client.post(f"{API}/complaints/regulator", headers=world.headers(who), json=regulator_case(clock, **fields))


def relogin(db, world, clock) -> None:
    """Fresh tokens after the clock moved past their 12 h life."""
    from kefu.accounts.service import login
    from kefu.core.context import Actor

    for name, user in world.users.items():
        world.tokens[name] = login(db, actor=Actor.system(clock.now()), user=user, kind="api", ip="10.0.0.1",
                                   user_agent="pytest", hours=12).token
    db.commit()


def _events(db, ticket_id: int) -> list[TicketEvent]:
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def test_a_12315_case_becomes_a_high_priority_external_complaint_for_the_complaints_team(client, db, world, clock):
    r = file(client, world, clock)
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["source"], case["case_number"], case["status"]) == ("12315", "1231520261123000457", "open")
    ticket = db.get(Ticket, case["ticket_id"])
    assert (ticket.channel, ticket.complaint_type, ticket.priority, ticket.tier) == ("regulator", "external", "high", 3)
    assert ticket.team_id == world.teams["complaints"].id
    assert ticket.customer_id == world.customers[0].id  # 张伟, matched by his phone
    assert ticket.category_id == world.categories["delivery.late"].id
    assert ticket.business_line_id == world.lines["waimai"].id
    assert ticket.subject.startswith("[12315] 1231520261123000457 消费者反映")
    assert ticket.created_by_id == world.users["complaint_specialist"].id
    contact = db.scalar(select(Contact).where(Contact.ticket_id == ticket.id))
    assert (contact.channel, contact.offered_at) == ("regulator", clock.now() - 2 * HOUR)
    assert "regulator_case" in [e.kind for e in _events(db, ticket.id)]
    # the complaints team hears of it at once
    notes = db.scalars(select(Notification.user_id).where(Notification.kind == "complaint.regulator")).all()
    assert set(notes) == {world.users["complaint_specialist"].id, world.users["lead2"].id}
    assert client.get(f"{API}/tickets/{ticket.id}", headers=world.headers("agent")).json()["channel"] == "regulator"


def test_complaints_get_the_stricter_sla_without_a_policy_for_them_and_policies_for_them_win(client, db, world,
                                                                                             clock, monkeypatch):
    db.execute(update(SlaPolicy).values(is_active=False))  # no policy at all: the settings decide
    db.commit()
    ext = db.get(Ticket, file(client, world, clock).json()["ticket_id"])
    assert ext.resolution_due_at == clock.now() + 24 * HOUR  # not the 72 h default
    r = client.post(f"{API}/complaints/internal", headers=world.headers("agent"),
                    json={"content": "顾客第三次来电,一线无法处理退款争议", "customer_id": world.customers[1].id})
    internal = db.get(Ticket, r.json()["ticket_id"])
    assert internal.resolution_due_at == clock.now() + 48 * HOUR
    plain = client.post(f"{API}/tickets", headers=world.headers("agent"),
                        json={"subject": "咨询优惠券", "customer_id": world.customers[0].id}).json()
    assert db.get(Ticket, plain["id"]).resolution_due_at == clock.now() + 72 * HOUR

    # the world's policies again: the catch-all 72 h one does not slow complaints down, the one for external
    # complaints is what the center configured and wins over the setting
    db.execute(update(SlaPolicy).values(is_active=True))
    db.commit()
    monkeypatch.setattr(get_settings(), "external_complaint_resolution_hours", 12)
    ext2 = db.get(Ticket, file(client, world, clock, case_number="1231520261123000458").json()["ticket_id"])
    assert ext2.resolution_due_at == clock.now() + 24 * HOUR
    r = client.post(f"{API}/complaints/internal", headers=world.headers("agent"),
                    json={"content": "商家拒绝退款,一线协调未果", "customer_id": world.customers[1].id})
    assert db.get(Ticket, r.json()["ticket_id"]).resolution_due_at == clock.now() + 48 * HOUR


def test_a_case_number_is_filed_once_per_source(client, db, world, clock):
    assert file(client, world, clock).status_code == 201
    again = file(client, world, clock, phone="13998765432")
    assert again.status_code == 409 and again.json()["field"] == "case_number"
    assert file(client, world, clock, source="amr").status_code == 201  # the same number at another regulator
    assert client.get(f"{API}/complaints/regulator", headers=world.headers("agent")).json()["count"] == 2


@pytest.mark.parametrize("fields,field", [
    ({"reply_due_at": "2026-11-22T09:00:00+08:00"}, "reply_due_at"),
    ({"category_code": "no-such-category"}, "category_code"),
    ({"business_line_code": "spaceflight"}, "business_line_code"),
    ({"source": "consumer_association"}, "source"),
    ({"case_number": "   "}, "case_number"),
])
def test_bad_cases_are_refused_naming_the_field(fields, field, client, world, clock):
    r = file(client, world, clock, **fields)
    assert r.status_code == 422 and field in r.text, r.text


def test_the_reply_to_the_regulator_is_recorded_once_audited_and_in_the_history(client, db, world, clock):
    case = file(client, world, clock).json()
    clock.advance(hours=10)
    reply = "经核实,骑手配送超时属实,已为消费者全额退款并补偿20元红包,消费者表示满意。"
    r = client.post(f"{API}/complaints/regulator/{case['id']}/reply", headers=world.headers("complaint_specialist"),
                    json={"body": reply})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["status"], got["reply_body"], got["replied_by_id"]) == (
        "replied", reply, world.users["complaint_specialist"].id)
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.regulator.reply")).all()
    assert entry.actor_id == world.users["complaint_specialist"].id and entry.detail["case_number"] == case[
        "case_number"]
    events = client.get(f"{API}/tickets/{case['ticket_id']}/events", headers=world.headers("agent")).json()
    kinds = [e["kind"] for e in (events["data"] if isinstance(events, dict) else events)]
    assert "regulator_reply" in kinds
    second = client.post(f"{API}/complaints/regulator/{case['id']}/reply",
                         headers=world.headers("complaint_specialist"), json={"body": "补充说明"})
    assert second.status_code == 409 and second.json()["field"] == "replied_at"
    assert client.post(f"{API}/complaints/regulator/999999/reply", headers=world.headers("admin"),
                       json={"body": "x"}).status_code == 404


def test_the_complaints_team_is_warned_before_the_reply_is_due_and_when_it_is_overdue(client, db, world, clock,
                                                                                      factory):
    case = file(client, world, clock, reply_due_at=(clock.now() + 48 * HOUR).isoformat()).json()
    team = {world.users["complaint_specialist"].id, world.users["lead2"].id}

    def notes(kind: str) -> set[int]:
        return set(db.scalars(select(Notification.user_id).where(Notification.kind == kind)))

    clock.advance(hours=23)
    run_due(factory, clock)
    assert notes("complaint.regulator.due_soon") == set()
    clock.advance(hours=1, minutes=1)  # 24 h before the due time (KEFU_REGULATOR_REPLY_WARNING_HOURS)
    run_due(factory, clock)
    assert notes("complaint.regulator.due_soon") == team
    clock.advance(hours=24)
    run_due(factory, clock)
    assert notes("complaint.regulator.overdue") == team
    relogin(db, world, clock)
    listed = client.get(f"{API}/complaints/regulator", params={"status": "overdue"},
                        headers=world.headers("supervisor")).json()
    assert [c["id"] for c in listed["data"]] == [case["id"]] and listed["data"][0]["status"] == "overdue"
    assert client.get(f"{API}/complaints/regulator", params={"status": "open"},
                      headers=world.headers("supervisor")).json()["count"] == 0


def test_a_reply_cancels_the_warnings(client, db, world, clock, factory):
    case = file(client, world, clock, reply_due_at=(clock.now() + 30 * HOUR).isoformat()).json()
    client.post(f"{API}/complaints/regulator/{case['id']}/reply", headers=world.headers("supervisor"),
                json={"body": "已处理完毕,消费者撤诉。"})
    clock.advance(hours=40)
    run_due(factory, clock)
    kinds = set(db.scalars(select(Notification.kind)))
    assert not kinds & {"complaint.regulator.due_soon", "complaint.regulator.overdue"}


def test_internal_feedback_is_linked_to_the_front_line_ticket(client, db, world, clock):
    original = client.post(f"{API}/tickets", headers=world.headers("agent"), json={
        "subject": "商家拒绝退款", "customer_id": world.customers[1].id,
        "category_id": world.categories["refund"].id}).json()
    r = client.post(f"{API}/complaints/internal", headers=world.headers("agent"), json={
        "content": "顾客多次来电,商家坚持不退款,一线无法解决,请投诉处理组介入。", "original_ticket_id": original["id"]})
    assert r.status_code == 201, r.text
    case = r.json()
    assert (case["source"], case["status"], case["original_ticket_id"], case["raised_by_id"]) == (
        "internal", "internal", original["id"], world.users["agent"].id)
    ticket = db.get(Ticket, case["ticket_id"])
    assert (ticket.channel, ticket.complaint_type, ticket.customer_id) == ("internal", "internal",
                                                                           world.customers[1].id)
    assert ticket.category_id == world.categories["refund"].id and ticket.id != original["id"]
    assert [e.data for e in _events(db, original["id"]) if e.kind == "internal_feedback_raised"] == [
        {"feedback_ticket_id": ticket.id}]
    listed = client.get(f"{API}/complaints/internal", params={"original_ticket_id": original["id"]},
                        headers=world.headers("team_lead")).json()
    assert [c["ticket_id"] for c in listed["data"]] == [ticket.id]
    # an internal case has no regulator to answer
    r = client.post(f"{API}/complaints/regulator/{case['id']}/reply", headers=world.headers("admin"),
                    json={"body": "已处理"})
    assert r.status_code == 422
    r = client.post(f"{API}/complaints/internal", headers=world.headers("agent"), json={
        "content": "无法解决", "original_ticket_id": 987654})
    assert r.status_code == 422 and r.json()["field"] == "original_ticket_id"
