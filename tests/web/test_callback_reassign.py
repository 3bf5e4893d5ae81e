"""Reassigning callbacks (回访) from /callbacks: team leads and above, as PATCH /api/v1/callbacks/{id}."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from kefu.audit.models import AuditEntry
from kefu.callbacks.models import Callback
from kefu.notifications.models import Notification
from web.helpers import login, new_ticket, post


def _callback(client, world, db, due_at: str = "2026-11-23T15:30") -> tuple[int, int]:
    """An agent's ticket for 张伟 with a callback the agent owns."""
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf, customer_id=str(world.customers[0].id))
    r = post(client, f"/tickets/{tid}/callback", csrf, due_at=due_at, owner_id=str(world.users["agent"].id),
             note="顾客希望下午回电")
    assert r.status_code == 303
    return tid, db.scalar(select(Callback.id).where(Callback.ticket_id == tid))


def test_team_lead_reassigns_a_callback_to_another_agent(client, world, db):
    tid, cid = _callback(client, world, db)
    csrf = login(client, "team_lead")
    listing = client.get("/callbacks").text
    assert "本组其他待回访" in listing and f'href="/callbacks/{cid}/reassign"' in listing
    form = client.get(f"/callbacks/{cid}/reassign").text
    assert "138****5678" in form and "13812345678" not in form and 'value="2026-11-23T15:30"' in form
    assert "一线客服一组" in form and "刘二" in form
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id=str(world.users["agent2"].id),
             due_at="2026-11-24T09:30")
    assert r.status_code == 303 and r.headers["location"] == "/callbacks"
    db.expire_all()
    callback = db.get(Callback, cid)
    assert callback.owner_id == world.users["agent2"].id
    assert callback.due_at == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    row = client.get("/callbacks").text.split(f'id="callback-{cid}"')[1].split("</tr>")[0]
    assert "刘二" in row and "2026-11-24 09:30" in row
    assert f"李组长 将回访 #{cid} 改派给 刘二,回访时间 2026-11-24 09:30" in client.get(f"/tickets/{tid}").text
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "callback.reassign"))
    assert entry.actor_id == world.users["team_lead"].id and entry.target_id == str(cid)
    assert entry.detail["before"]["owner_id"] == world.users["agent"].id
    assert db.scalar(select(Notification).where(Notification.user_id == world.users["agent2"].id,
                                                Notification.kind == "callback.assigned")) is not None
    login(client, "agent2")
    assert "顾客希望下午回电" in client.get("/callbacks").text.split('id="my-callbacks"')[1]


def test_an_overdue_callback_changes_hands_keeping_its_due_time(client, world, db, clock):
    tid, cid = _callback(client, world, db, due_at="2026-11-23T11:00")
    clock.advance(hours=2)
    csrf = login(client, "team_lead")
    assert f'href="/callbacks/{cid}/reassign"' in client.get("/callbacks").text.split('id="team-overdue"')[1]
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id=str(world.users["agent2"].id),
             due_at="2026-11-23T11:00")
    assert r.status_code == 303
    db.expire_all()
    assert (db.get(Callback, cid).owner_id, db.get(Callback, cid).due_at) == (
        world.users["agent2"].id, datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id=str(world.users["agent"].id),
             due_at="2026-11-23T11:30")
    assert r.status_code == 422 and "回访时间必须晚于现在" in r.text
    assert 'value="2026-11-23T11:30"' in r.text  # what was typed stays in the form
    db.expire_all()
    assert db.get(Callback, cid).owner_id == world.users["agent2"].id


def test_bad_reassignments_name_the_field_and_change_nothing(client, world, db):
    _tid, cid = _callback(client, world, db)
    csrf = login(client, "supervisor")
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id="某人", due_at="2026-11-24T09:30")
    assert r.status_code == 422 and "负责人编号 某人 不存在" in r.text
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id="999999", due_at="2026-11-24T09:30")
    assert r.status_code == 422 and "负责人编号 999999 不存在" in r.text
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id=str(world.users["agent2"].id), due_at="明天")
    assert r.status_code == 422 and "请填写有效的回访时间" in r.text
    assert post(client, f"/callbacks/{cid}/complete", csrf, outcome="resolved").status_code == 303
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id=str(world.users["agent2"].id),
             due_at="2026-11-24T09:30")
    assert r.status_code == 409 and f"回访 #{cid} 已是「已完成」状态" in r.text
    db.expire_all()
    assert db.get(Callback, cid).owner_id == world.users["agent"].id
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "callback.reassign")) is None


def test_agents_cannot_reassign(client, world, db):
    _tid, cid = _callback(client, world, db)
    csrf = login(client, "agent")
    assert "/reassign" not in client.get("/callbacks").text
    assert client.get(f"/callbacks/{cid}/reassign").status_code == 403
    r = post(client, f"/callbacks/{cid}/reassign", csrf, owner_id=str(world.users["agent2"].id),
             due_at="2026-11-24T09:30")
    assert r.status_code == 403
    db.expire_all()
    assert db.get(Callback, cid).owner_id == world.users["agent"].id
