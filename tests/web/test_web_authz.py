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
    Page("POST", "/admin/sla/calendars", ("POST", "/sla/calendars"),
         lambda w, db, c: ("/admin/sla/calendars", {"name": "周一值班日历", "kind": "business",
                                                    "hours_0": "09:00-18:00"}), ok=303),
]



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
