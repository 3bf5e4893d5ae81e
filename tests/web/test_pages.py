"""The web UI through its forms (TestClient): sign in, list, create, escalate, CSRF, permissions, English."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from kefu.accounts.models import User
from kefu.callbacks.models import Callback
from kefu.compensation.models import Compensation
from kefu.notifications.models import Notification
from kefu.tickets.models import Ticket, TicketEvent
from web.helpers import CSRF, login, new_ticket, post


def _count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_pages_need_a_sign_in(client, world):
    r = client.get("/tickets", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/tickets"
    assert "用户名" in client.get("/login").text
    r = client.post("/login", data={"username": "agent", "password": "wrong-password"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_agent_creates_a_ticket_through_the_form_and_finds_it_in_the_list(client, world, db):
    csrf = login(client, "agent")
    page = client.get("/tickets/new").text
    assert "新建工单" in page and "张伟" in page and "138****5678" in page and "13812345678" not in page
    tid = new_ticket(
        client,
        csrf,
        customer_id=str(world.customers[0].id),
        category_id=str(world.categories["delivery.late"].id),
    )
    detail = client.get(f"/tickets/{tid}").text
    assert "外卖超时未送达,要求退款" in detail and "王小明 创建工单" in detail
    assert "配送问题 / 超时未送达" in detail and "138****5678" in detail and "13812345678" not in detail
    listing = client.get("/tickets", params={"q": "超时未送达"}).text
    assert f'href="/tickets/{tid}"' in listing and "共 1 条" in listing and "138****5678" in listing
    assert "2026-11-26 10:00" in listing  # 72 h later, in Shanghai time
    assert "共 0 条" in client.get("/tickets", params={"q": "登录失败"}).text
    assert "共 1 条" in client.get("/tickets", params={"mine": "1", "status": "open", "tier": "1"}).text
    assert "共 0 条" in client.get("/tickets", params={"overdue": "1"}).text


def test_customer_search_returns_options_for_htmx(client, world):
    login(client, "agent")
    r = client.get("/tickets/new/customers", params={"cq": "王芳"})
    assert r.status_code == 200 and "王芳" in r.text and "张伟" not in r.text and "139****5432" in r.text


def test_an_empty_subject_re_renders_the_form_with_the_message_and_the_typed_text(client, world, db):
    csrf = login(client, "agent")
    before = _count(db, Ticket)
    r = post(client, "/tickets/new", csrf, subject="  ", description="顾客说骑手态度差")
    assert r.status_code == 422
    assert "此项必填" in r.text and "顾客说骑手态度差" in r.text
    r = post(client, "/tickets/new", csrf, subject="分类不存在", category_id="99999")
    assert r.status_code == 422 and "分类编号 99999 不存在" in r.text and "分类不存在" in r.text
    assert _count(db, Ticket) == before


def test_escalation_through_the_forms_twice_shows_in_the_history(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    r = post(client, f"/tickets/{tid}/escalate", csrf, reason="")
    assert r.status_code == 422 and "升级工单必须填写原因" in r.text
    assert post(client, f"/tickets/{tid}/escalate", csrf, reason="客户要求组长处理").status_code == 303
    page = client.get(f"/tickets/{tid}").text
    assert "王小明 升级 一线 → 组长:原因 客户要求组长处理" in page
    assert f'action="/tickets/{tid}/deescalate"' not in page  # agents cannot send back down
    csrf = login(client, "team_lead")
    page = client.get(f"/tickets/{tid}").text
    assert "升级至投诉专员" in page and "退回至一线" in page
    assert post(client, f"/tickets/{tid}/escalate", csrf, reason="涉及赔付,转投诉处理").status_code == 303
    page = client.get(f"/tickets/{tid}").text
    assert "李组长 升级 组长 → 投诉专员:原因 涉及赔付,转投诉处理" in page
    assert page.index("王小明 升级") < page.index("李组长 升级")
    db.expire_all()
    assert db.get(Ticket, tid).tier == 3


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    before = (_count(db, Ticket), _count(db, TicketEvent))
    r = client.post("/tickets/new", data={"subject": "伪造的工单"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(f"/tickets/{tid}/escalate", data={"reason": "伪造", "csrf_token": "forged"})
    assert r.status_code == 403
    r = client.post(f"/tickets/{tid}/reply", data={"body": "伪造"})
    assert r.status_code == 403
    assert (_count(db, Ticket), _count(db, TicketEvent)) == before
    db.expire_all()
    assert db.get(Ticket, tid).tier == 1


def test_admin_pages_are_for_admins_only(client, world, db):
    for role in ("agent", "team_lead", "supervisor"):
        csrf = login(client, role)
        for path in ("/admin/users", "/admin/categories", "/admin/sla"):
            assert client.get(path).status_code == 403, (role, path)
        assert "管理" not in client.get("/tickets").text.split("<main>")[0]
    users = _count(db, User)
    r = post(client, "/admin/users", csrf, username="sneaky", password="long-enough-1", role="admin")
    assert r.status_code == 403 and _count(db, User) == users


def test_admin_manages_users_categories_and_sla(client, world, db):
    csrf = login(client, "admin")
    assert "李组长" in client.get("/admin/users").text
    r = post(client, "/admin/users", csrf, username="newbie", password="短", role="agent")
    assert r.status_code == 422 and "密码至少需要 8 个字符" in r.text
    r = post(
        client,
        "/admin/users",
        csrf,
        username="newbie",
        password="long-enough-1",
        role="agent",
        display_name="新同事",
        team_id=str(world.teams["front"].id),
    )
    assert r.status_code == 303
    newbie = db.scalar(select(User).where(User.username == "newbie"))
    assert newbie.display_name == "新同事" and newbie.team_id == world.teams["front"].id
    assert post(client, f"/admin/users/{newbie.id}/deactivate", csrf).status_code == 303
    db.expire_all()
    assert db.get(User, newbie.id).is_active is False

    page = client.get("/admin/categories").text
    assert "超时未送达" in page and "严重" in page and "间歇" in page
    r = post(
        client,
        "/admin/categories",
        csrf,
        code="delivery.rude",
        name="骑手态度",
        parent_id=str(world.categories["delivery"].id),
        severity_class="general",
    )
    assert r.status_code == 303
    late = world.categories["delivery.late"]
    r = post(
        client, f"/admin/categories/{late.id}", csrf, name="超时送达", parent_id="", severity_class="severe"
    )
    assert r.status_code == 303
    db.expire_all()
    assert (late.name, late.parent_id, late.severity_class) == ("超时送达", None, "severe")
    assert post(client, f"/admin/categories/{late.id}/active", csrf, active="0").status_code == 303
    db.expire_all()
    assert late.is_active is False

    assert "外部投诉24小时" in client.get("/admin/sla").text
    calendar_id = CSRF.pattern and world_calendar(db)
    r = post(
        client,
        "/admin/sla",
        csrf,
        name="紧急4小时",
        priority="urgent",
        first_response_hours="0.5",
        resolution_hours="4",
        calendar_id=str(calendar_id),
        rank="5",
    )
    assert r.status_code == 303
    assert "紧急4小时" in client.get("/admin/sla").text
    r = post(
        client,
        "/admin/sla",
        csrf,
        name="紧急4小时",
        first_response_hours="1",
        resolution_hours="4",
        calendar_id=str(calendar_id),
    )
    assert r.status_code == 409 and "「名称」紧急4小时 已存在,请换一个" in r.text


def world_calendar(db) -> int:
    from kefu.sla.models import SlaCalendar

    return db.scalar(select(SlaCalendar.id).order_by(SlaCalendar.id))


def test_english_switch_shows_english_labels(client, world):
    new_ticket(client, login(client, "agent"))
    r = client.get("/lang/en", params={"next": "/tickets"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/tickets"
    page = client.get("/tickets").text
    assert "Tickets" in page and "New ticket" in page and "Subject" in page and "工单列表" not in page
    assert "Create ticket" in client.get("/tickets/new").text
    client.get("/lang/zh-CN")
    assert "工单列表" in client.get("/tickets").text


def test_replies_and_notes_are_shown_differently(client, world):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    assert post(client, f"/tickets/{tid}/reply", csrf, body="您好,已为您催促骑手").status_code == 303
    assert post(client, f"/tickets/{tid}/note", csrf, body="骑手电话打不通").status_code == 303
    page = client.get(f"/tickets/{tid}").text
    reply_at, note_at = page.index("您好,已为您催促骑手"), page.index("骑手电话打不通")
    assert page.rfind("msg-reply", 0, reply_at) > page.rfind("msg-note", 0, reply_at)
    assert page.rfind("msg-note", 0, note_at) > page.rfind("msg-reply", 0, note_at)
    assert "王小明 回复客户" in page and "王小明 添加内部备注" in page


def test_status_form_offers_only_allowed_targets(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    page = client.get(f"/tickets/{tid}").text
    form = page[page.index(f'action="/tickets/{tid}/status"') :]
    form = form[: form.index("</form>")]
    assert 'value="pending"' in form and 'value="resolved"' in form and 'value="escalated"' not in form
    assert 'value="closed"' not in form
    r = post(client, f"/tickets/{tid}/status", csrf, status="closed")
    assert r.status_code == 409 and "「处理中」的工单不能直接改为「已关闭」" in r.text
    assert post(client, f"/tickets/{tid}/status", csrf, status="resolved").status_code == 303
    assert "将状态由「处理中」改为「已解决」" in client.get(f"/tickets/{tid}").text


def test_callback_form_reads_local_time_and_never_shows_the_full_phone(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf, customer_id=str(world.customers[0].id))
    page = client.get(f"/tickets/{tid}").text
    assert "2026-11-23T12:00" in page  # default: two hours from now, Shanghai time
    r = post(
        client,
        f"/tickets/{tid}/callback",
        csrf,
        due_at="2026-11-23T15:30",
        owner_id=str(world.users["agent"].id),
        note="客户下午方便",
    )
    assert r.status_code == 303
    callback = db.scalar(select(Callback).where(Callback.ticket_id == tid))
    assert callback.due_at == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert callback.contact_phone == "13812345678"
    page = client.get(f"/tickets/{tid}").text
    assert "回访时间 2026-11-23 15:30,负责人 王小明" in page
    mine = client.get("/callbacks").text
    assert "138****5678" in mine and "13812345678" not in mine and "客户下午方便" in mine
    r = post(client, f"/tickets/{tid}/callback", csrf, due_at="2020-01-01T10:00")
    assert r.status_code == 422 and "回访时间必须晚于现在" in r.text
    assert post(client, f"/callbacks/{callback.id}/complete", csrf, outcome="resolved").status_code == 303
    db.expire_all()
    assert db.get(Callback, callback.id).status == "done"
    assert f"完成回访 #{callback.id}:已解决" in client.get(f"/tickets/{tid}").text


def test_team_lead_sees_overdue_callbacks_of_the_team(client, world, db, clock):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf, customer_id=str(world.customers[1].id))
    post(
        client,
        f"/tickets/{tid}/callback",
        csrf,
        due_at="2026-11-23T11:00",
        owner_id=str(world.users["agent"].id),
    )
    clock.advance(hours=2)
    login(client, "team_lead")
    page = client.get("/callbacks").text
    assert "本组逾期回访" in page and "139****5432" in page and "王小明" in page


def test_compensation_within_the_roles_limit(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    r = post(
        client,
        f"/tickets/{tid}/compensation",
        csrf,
        kind="red_packet",
        reason="service_failure",
        amount="10",
        note="骑手超时",
    )
    assert r.status_code == 303
    assert "王小明 发放补偿:红包 ¥10.00(服务失误)" in client.get(f"/tickets/{tid}").text
    r = post(
        client, f"/tickets/{tid}/compensation", csrf, kind="refund", reason="unused_7_days", amount="500"
    )
    assert r.status_code == 403 and "您的角色单笔最多可发放 ¥20.00,超出请升级处理" in r.text
    assert _count(db, Compensation) == 1


def test_merge_attachments_and_notifications(client, world, db):
    csrf = login(client, "agent")
    first, dup = new_ticket(client, csrf), new_ticket(client, csrf, subject="重复反馈:外卖超时")
    page = client.get(f"/tickets/{first}").text
    assert f'action="/tickets/{first}/merge"' not in page
    r = client.post(
        f"/tickets/{first}/attachments",
        data={"csrf_token": csrf},
        files={"file": ("截图说明.txt", "订单号 123".encode(), "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/tickets/{first}").text
    assert "截图说明.txt" in page and "/api/v1/attachments/" in page
    href = page.split('href="/api/v1/attachments/')[1].split('"')[0]
    assert client.get(f"/api/v1/attachments/{href}").content == "订单号 123".encode()
    post(client, f"/tickets/{first}/escalate", csrf, reason="需要组长处理")

    csrf = login(client, "team_lead")
    notes = client.get("/notifications").text
    assert f"工单 #{first} 升级至" in notes and "未读" in notes
    note = db.scalar(select(Notification).where(Notification.user_id == world.users["team_lead"].id))
    assert post(client, f"/notifications/{note.id}/read", csrf).status_code == 303
    db.expire_all()
    assert db.get(Notification, note.id).read_at is not None
    assert (
        post(client, f"/tickets/{dup}/merge", csrf, target_id=str(first), reason="同一订单").status_code
        == 303
    )
    assert f"李组长 将本工单合并至 #{first}" in client.get(f"/tickets/{dup}").text
    assert f"李组长 将工单 #{dup} 合并到本工单" in client.get(f"/tickets/{first}").text


def test_read_only_roles_see_no_actions_and_are_refused(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    csrf = login(client, "analyst")
    page = client.get(f"/tickets/{tid}").text
    assert "外卖超时未送达" in page and "/reply" not in page and "/escalate" not in page
    assert "新建工单" not in client.get("/tickets").text
    assert post(client, f"/tickets/{tid}/reply", csrf, body="越权回复").status_code == 403
    assert post(client, f"/tickets/{tid}/escalate", csrf, reason="越权").status_code == 403
    assert client.get("/callbacks").status_code == 403


def test_user_text_is_escaped(client, world):
    csrf = login(client, "agent")
    tid = new_ticket(
        client, csrf, subject="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>"
    )
    page = client.get(f"/tickets/{tid}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>alert(1)" not in client.get("/tickets").text
