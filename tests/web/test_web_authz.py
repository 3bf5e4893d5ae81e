"""The pages that change customers, tickets, callbacks and SLA calendars let through exactly the roles the
matching API endpoint lets through: every role × every such page route, the guard read from the API's
authorization matrix (tests/api/test_authz.py), so the UI can never allow more or less than the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import count

import pytest
from fastapi.routing import iter_route_contexts

from api.test_authz import ENDPOINTS
from kefu.callbacks import service as callbacks
from kefu.core.context import Actor
from kefu.core.roles import PERMISSIONS
from kefu.tickets import service as tickets
from web.helpers import login

ROLES = ["trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "analyst", "qa", "listener", "admin"]
API_GUARDS = {(e.method, e.path): e.guard for e in ENDPOINTS}


@dataclass
class Page:
    method: str
    path: str  # the web route template
    api: tuple[str, str]  # the API endpoint whose guard it shares
    build: object  # (world, db, clock) -> (url, form data)
    ok: int = 200


def _actor(world, clock, who: str = "agent") -> Actor:
    u = world.users[who]
    return Actor(user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=clock.now(),
                 display_name=u.display_name)


def _ticket(world, db, clock) -> int:
    t = tickets.create_ticket(db, actor=_actor(world, clock), data={
        "subject": "骑手态度恶劣,要求投诉", "customer_id": world.customers[0].id})
    db.commit()
    return t.id


def _callback(world, db, clock) -> int:
    cb = callbacks.create_callback(db, actor=_actor(world, clock), ticket_id=_ticket(world, db, clock),
                                   customer_id=None, due_at=clock.now() + timedelta(hours=2),
                                   owner_id=world.users["agent"].id)
    db.commit()
    return cb.id


_dead = count(1)


def _dead_letter(db, clock) -> int:
    from kefu.channels import intake

    row = intake.dead_letter(db, channel="email", external_id=f"<dead-{next(_dead)}@x.cn>",
                             raw=b"Subject: x\r\n\r\nno sender\r\n", error="NoSender", now=clock.now())
    db.commit()
    return row.id


def _regulator_ticket(world, db, clock) -> int:
    from kefu.channels import complaints

    case = complaints.file_regulator_case(
        db, actor=_actor(world, clock, "complaint_specialist"), source="amr", case_number=f"AMR-{_seq()}",
        received_at=clock.now(), reply_due_at=clock.now() + timedelta(days=3), customer_name="张伟",
        phone="13812345678", content="消费者向市场监管局投诉商家拒绝退款")
    db.commit()
    return case.ticket_id


_SEQ = iter(range(1, 10_000))


def _seq() -> int:
    return next(_SEQ)


def _voc_fix(world, db, clock) -> int:
    from kefu.reports import fixes

    f = fixes.add_fix(db, actor=_actor(world, clock), line_id=world.lines["waimai"].id, day=clock.now().date(),
                      text="退款流程缩短到一天")
    db.commit()
    return f.id


def _voc_subscription(world, db, clock) -> int:
    from kefu.reports import mailing

    s = mailing.subscribe(db, actor=_actor(world, clock), line_id=world.lines["waimai"].id,
                          email=f"pm{_seq()}@example.cn")
    db.commit()
    return s.id


def _alert(world, db, clock) -> int:
    from kefu.alerts.models import Alert

    alert = Alert(rule_id="severe", category_id=world.categories["login"].id, open_key=f"web:{_seq()}",
                  level="一级", rank=1, status="open", basis="count", window="30m", count=6, contact_ids=[],
                  stage=0, raised_at=clock.now())
    db.add(alert)
    db.commit()
    return alert.id


def _rules_file() -> str:
    from kefu.alerts.rules import DEFAULT_PATH

    return DEFAULT_PATH.read_text(encoding="utf-8")


PAGES = [
    Page("GET", "/complaints/regulator/new", ("POST", "/complaints/regulator"),
         lambda w, db, c: ("/complaints/regulator/new", None)),
    Page("POST", "/complaints/regulator/new", ("POST", "/complaints/regulator"),
         lambda w, db, c: ("/complaints/regulator/new", {
             "source": "12315", "case_number": f"12315-W-{_seq()}", "received_at": "2026-11-23T09:00",
             "reply_due_at": "2026-11-30T18:00", "customer_name": "张伟", "phone": "13812345678",
             "content": "外卖超时未送达,要求退款"}), ok=303),
    Page("GET", "/complaints/internal/new", ("POST", "/complaints/internal"),
         lambda w, db, c: ("/complaints/internal/new", None)),
    Page("POST", "/complaints/internal/new", ("POST", "/complaints/internal"),
         lambda w, db, c: ("/complaints/internal/new", {"content": "一线无法解决的退款争议",
                                                        "original_ticket_id": str(_ticket(w, db, c))}), ok=303),
    Page("POST", "/tickets/{ticket_id}/regulator-reply", ("POST", "/complaints/regulator/{case_id}/reply"),
         lambda w, db, c: (f"/tickets/{_regulator_ticket(w, db, c)}/regulator-reply",
                           {"body": "已督促商家退款,消费者表示满意"}), ok=303),
    Page("GET", "/customers/{customer_id}", ("GET", "/customers/{customer_id}"),
         lambda w, db, c: (f"/customers/{w.customers[0].id}", None)),
    Page("POST", "/customers/{customer_id}", ("PATCH", "/customers/{customer_id}"),
         lambda w, db, c: (f"/customers/{w.customers[1].id}", {"name": "王芳", "role": "merchant",
                                                              "address": "上海市徐汇区漕溪北路1号"}), ok=303),
    Page("POST", "/customers/{customer_id}/reveal", ("POST", "/customers/{customer_id}/reveal"),
         lambda w, db, c: (f"/customers/{w.customers[0].id}/reveal", {"reason": "核实身份"})),
    Page("POST", "/tickets/{ticket_id}/fields", ("PATCH", "/tickets/{ticket_id}"),
         lambda w, db, c: (f"/tickets/{_ticket(w, db, c)}/fields", {"priority": "high"}), ok=303),
    Page("GET", "/callbacks/{callback_id}/reassign", ("PATCH", "/callbacks/{callback_id}"),
         lambda w, db, c: (f"/callbacks/{_callback(w, db, c)}/reassign", None)),
    Page("POST", "/callbacks/{callback_id}/reassign", ("PATCH", "/callbacks/{callback_id}"),
         lambda w, db, c: (f"/callbacks/{_callback(w, db, c)}/reassign",
                           {"owner_id": str(w.users["agent2"].id), "due_at": "2026-11-24T09:30"}), ok=303),
    Page("GET", "/admin/dead-letters", ("GET", "/channels/dead-letters"),
         lambda w, db, c: ("/admin/dead-letters", None)),
    Page("GET", "/admin/dead-letters/{inbound_id}", ("GET", "/channels/dead-letters/{inbound_id}"),
         lambda w, db, c: (f"/admin/dead-letters/{_dead_letter(db, c)}", None)),
    Page("POST", "/admin/dead-letters/{inbound_id}/reprocess",
         ("POST", "/channels/dead-letters/{inbound_id}/reprocess"),
         lambda w, db, c: (f"/admin/dead-letters/{_dead_letter(db, c)}/reprocess", {}), ok=303),
    Page("GET", "/reports", ("GET", "/reports/kpis"), lambda w, db, c: ("/reports", None)),
    Page("GET", "/reports/top-reasons", ("GET", "/reports/top-reasons"),
         lambda w, db, c: ("/reports/top-reasons", None)),
    Page("GET", "/reports/top-reasons/{category_id}", ("GET", "/contacts"),
         lambda w, db, c: (f"/reports/top-reasons/{w.categories['delivery.late'].id}", None)),
    Page("GET", "/reports/satisfaction", ("GET", "/satisfaction"), lambda w, db, c: ("/reports/satisfaction", None)),
    Page("GET", "/reports/voc", ("GET", "/reports/top-reasons"), lambda w, db, c: ("/reports/voc", None)),
    Page("GET", "/reports/voc.pdf", ("GET", "/reports/top-reasons"), lambda w, db, c: ("/reports/voc.pdf", None)),
    Page("POST", "/reports/voc/fixes", ("POST", "/reports/voc/fixes"),
         lambda w, db, c: ("/reports/voc/fixes", {"line": str(w.lines["waimai"].id), "week": "2026-11-25",
                                                  "text": "高峰期加派骑手"}), ok=303),
    Page("POST", "/reports/voc/fixes/{fix_id}/delete", ("DELETE", "/reports/voc/fixes/{fix_id}"),
         lambda w, db, c: (f"/reports/voc/fixes/{_voc_fix(w, db, c)}/delete", {}), ok=303),
    Page("POST", "/reports/voc/subscriptions", ("POST", "/reports/voc/subscriptions"),
         lambda w, db, c: ("/reports/voc/subscriptions", {"line": str(w.lines["waimai"].id),
                                                          "email": f"waimai{_seq()}@example.cn"}), ok=303),
    Page("POST", "/reports/voc/subscriptions/{subscription_id}/delete",
         ("DELETE", "/reports/voc/subscriptions/{subscription_id}"),
         lambda w, db, c: (f"/reports/voc/subscriptions/{_voc_subscription(w, db, c)}/delete", {}), ok=303),
    Page("GET", "/wallboard", ("GET", "/reports/kpis"), lambda w, db, c: ("/wallboard", None)),
    Page("GET", "/wallboard/panel", ("GET", "/reports/kpis"), lambda w, db, c: ("/wallboard/panel", None)),
    Page("POST", "/admin/sla/calendars", ("POST", "/sla/calendars"),
         lambda w, db, c: ("/admin/sla/calendars", {"name": "周一值班日历", "kind": "business",
                                                    "hours_0": "09:00-18:00"}), ok=303),
    # complaint-spike alerts (M6)
    Page("GET", "/alerts", ("GET", "/alerts"), lambda w, db, c: ("/alerts", None)),
    Page("GET", "/alerts/live", ("GET", "/alerts"), lambda w, db, c: ("/alerts/live", None)),
    Page("GET", "/alerts/badge", ("GET", "/alerts"), lambda w, db, c: ("/alerts/badge", None)),
    Page("POST", "/alerts/{alert_id}/acknowledge", ("POST", "/alerts/{alert_id}/acknowledge"),
         lambda w, db, c: (f"/alerts/{_alert(w, db, c)}/acknowledge", {"note": "已通知技术"}), ok=303),
    Page("POST", "/alerts/{alert_id}/resolve", ("POST", "/alerts/{alert_id}/resolve"),
         lambda w, db, c: (f"/alerts/{_alert(w, db, c)}/resolve", {"note": "已修复"}), ok=303),
    Page("GET", "/admin/alert-rules", ("PUT", "/alert-rules"), lambda w, db, c: ("/admin/alert-rules", None)),
    Page("POST", "/admin/alert-rules", ("PUT", "/alert-rules"),
         lambda w, db, c: ("/admin/alert-rules", {"source": _rules_file()}), ok=303),
    # the planning page (/wfm) computes from the contacts history, as the wfm API does
    Page("GET", "/wfm", ("POST", "/wfm/forecast"), lambda w, db, c: (f"/wfm?queue={_wfm_history(db, c)}", None)),
    Page("POST", "/wfm/schedule", ("POST", "/wfm/schedule"),
         lambda w, db, c: ("/wfm/schedule", {"queue": _wfm_history(db, c), "week": "2026-11-23", "agents": "4"})),
]


def _wfm_history(db, clock) -> str:
    from tests.wfm.history import SHANGHAI, add_history

    queue = f"阅读热线{_seq()}"
    add_history(db, clock.now().astimezone(SHANGHAI).date(), queue=queue, days=21, daily=40)
    db.commit()
    return queue



def _kb_draft(world, db, clock) -> int:
    from kefu.kb import service as kb

    a = kb.create_article(db, actor=_actor(world, clock), data={"title": f"红包使用说明{_seq()}", "body": "满减门槛"})
    db.commit()
    return a.id


# the knowledge base's staff pages (kefu.web.kb); the help center (/help) is anyone's, like /api/v1/kb/public
PAGES += [
    Page("GET", "/kb", ("GET", "/kb/articles"), lambda w, db, c: ("/kb", None)),
    Page("GET", "/kb/{article_id}", ("GET", "/kb/articles/{article_id}"),
         lambda w, db, c: (f"/kb/{_kb_draft(w, db, c)}", None)),
    Page("GET", "/kb/new", ("POST", "/kb/articles"), lambda w, db, c: ("/kb/new", None)),
    Page("POST", "/kb/save", ("POST", "/kb/articles"),
         lambda w, db, c: ("/kb/save", {"title": "发票怎么开", "body": "订单完成后点击**开发票**。", "tags": "发票"}),
         ok=303),
    Page("POST", "/kb/{article_id}/action", ("POST", "/kb/articles/{article_id}/submit"),
         lambda w, db, c: (f"/kb/{_kb_draft(w, db, c)}/action", {"action": "submit"}), ok=303),
    Page("GET", "/kb-suggestions", ("POST", "/kb/suggestions"),
         lambda w, db, c: (f"/kb-suggestions?ticket_id={_ticket(w, db, c)}", None)),
]

def test_the_new_page_routes_are_all_in_this_matrix(app):
    paths = {r.path for r in iter_route_contexts(app.routes)}
    assert {p.path for p in PAGES} <= paths
    assert all(p.api in API_GUARDS for p in PAGES)


@pytest.mark.parametrize("who", ROLES)
def test_role_gets_the_same_answer_from_the_page_as_from_the_api(who, client, world, db, clock):
    csrf = login(client, who)
    wrong = []
    for page in PAGES:
        url, data = page.build(world, db, clock)
        if data is None:
            r = client.get(url, follow_redirects=False)
        else:
            r = client.post(url, data={"csrf_token": csrf, **data}, follow_redirects=False)
        want = page.ok if who in PERMISSIONS[API_GUARDS[page.api]] else 403
        if r.status_code != want:
            wrong.append(f"{page.method} {page.path} as {who}: {r.status_code}, want {want}")
    assert wrong == []


# -- the chat pages: a seat sees its own chat's context; the guard is the chat API's (kefu.chat.api) ---------------
def _own_chat(world, db, clock, who: str) -> int:
    from kefu.chat.models import Chat, ChatQueue
    from kefu.contacts.models import Contact

    now = clock.now()
    queue = ChatQueue(code=f"webauthz{_seq()}", name="外卖在线", concurrency=3, is_active=True, created_at=now)
    db.add(queue)
    db.flush()
    customer = world.customers[1]
    contact = Contact(channel="chat", direction="inbound", customer_id=customer.id, queue=queue.code,
                      offered_at=now, outcome="answered", created_at=now)
    db.add(contact)
    db.flush()
    chat = Chat(contact_id=contact.id, customer_id=customer.id, queue_id=queue.id, status="active",
                agent_id=world.users[who].id, front=False, offered_at=now, waiting_since=now, assigned_at=now,
                last_seq=0)
    db.add(chat)
    db.commit()
    return chat.id


CHAT_PAGES = [  # build: (world, db, clock, who) -> (url, form data)
    Page("GET", "/chat/workspace", ("GET", "/chats/{chat_id}"), lambda w, db, c, who: ("/chat/workspace", None)),
    Page("GET", "/chat/workspace/chats/{chat_id}/context", ("GET", "/chats/{chat_id}"),
         lambda w, db, c, who: (f"/chat/workspace/chats/{_own_chat(w, db, c, who)}/context", None)),
    Page("POST", "/chat/workspace/chats/{chat_id}/ticket", ("POST", "/chats/{chat_id}/ticket"),
         lambda w, db, c, who: (f"/chat/workspace/chats/{_own_chat(w, db, c, who)}/ticket",
                                {"mode": "create", "subject": "在线咨询:外卖超时未送达"})),
    Page("GET", "/chat/workspace/observe", ("GET", "/chats"), lambda w, db, c, who: ("/chat/workspace/observe", None)),
    Page("GET", "/chat/workspace/transfer-targets", ("GET", "/chats/{chat_id}"),
         lambda w, db, c, who: ("/chat/workspace/transfer-targets", None)),
    # 质检: the guard is the QA API's (kefu.chat.qa_api)
    Page("GET", "/qa", ("GET", "/qa/violations"), lambda w, db, c, who: ("/qa?rule=forbidden_wording", None)),
    Page("GET", "/qa/chats/{contact_id}", ("GET", "/qa/chats/{contact_id}"),
         lambda w, db, c, who: (f"/qa/chats/{_chat_contact(w, db, c, who)}", None)),
]


def _chat_contact(world, db, clock, who: str) -> int:
    from kefu.chat.models import Chat

    return db.get(Chat, _own_chat(world, db, clock, who)).contact_id


def _queue(db, clock) -> int:
    from kefu.chat.models import ChatQueue

    queue = ChatQueue(code=f"queue{_seq()}", name="阅读在线", concurrency=3, is_active=True, created_at=clock.now())
    db.add(queue)
    db.commit()
    return queue.id


CHAT_PAGES += [
    Page("GET", "/admin/chat-queues", ("GET", "/chat-queues"), lambda w, db, c, who: ("/admin/chat-queues", None)),
    Page("POST", "/admin/chat-queues", ("POST", "/chat-queues"),
         lambda w, db, c, who: ("/admin/chat-queues", {"code": f"daojia{_seq()}", "name": "到家在线",
                                                       "concurrency": "4", "idle_prompt_seconds": "120"}), ok=303),
    Page("POST", "/admin/chat-queues/{queue_id}", ("PATCH", "/chat-queues/{queue_id}"),
         lambda w, db, c, who: (f"/admin/chat-queues/{_queue(db, c)}", {"name": "阅读在线(夜间)", "concurrency": "2",
                                                                         "active": "1"}), ok=303),
]
PUBLIC_PAGES = ["/chat/demo", "/widget.js", "/widget.css"]  # the customer's side: anyone, signed in or not


def test_the_chat_pages_are_all_in_this_matrix(app):
    paths = {r.path for r in iter_route_contexts(app.routes)}
    assert {p.path for p in CHAT_PAGES} | set(PUBLIC_PAGES) <= paths
    assert all(p.api in API_GUARDS for p in CHAT_PAGES)


@pytest.mark.parametrize("who", ROLES)
def test_role_gets_the_same_answer_from_a_chat_page_as_from_the_api(who, client, world, db, clock):
    csrf = login(client, who)
    wrong = []
    for page in CHAT_PAGES:
        url, data = page.build(world, db, clock, who)
        if data is None:
            r = client.get(url, follow_redirects=False)
        else:
            r = client.post(url, data={"csrf_token": csrf, **data}, follow_redirects=False)
        want = page.ok if who in PERMISSIONS[API_GUARDS[page.api]] else 403
        if r.status_code != want:
            wrong.append(f"{page.method} {page.path} as {who}: {r.status_code}, want {want}")
    for url in PUBLIC_PAGES:
        if (status := client.get(url).status_code) != 200:
            wrong.append(f"GET {url} as {who}: {status}")
    assert wrong == []


def test_the_customer_side_needs_no_sign_in(client):
    client.cookies.clear()
    assert [client.get(url, follow_redirects=False).status_code for url in PUBLIC_PAGES] == [200, 200, 200]
