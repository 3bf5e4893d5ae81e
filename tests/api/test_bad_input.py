"""Bad input to every create/update endpoint: a 4xx whose JSON names the field, and nothing changes.

Each endpoint gets a wrong type, a missing required field, an unknown enum value, a naive datetime where
an aware one is required (where the endpoint takes a time) and an id that does not exist.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kefu.sla.models import SlaCalendar, SlaPolicy

MISSING = 999999


def names_field(r, field: str) -> bool:
    body = r.json()
    if body.get("field") == field:
        return True
    return any(e["field"] == field or e["field"].startswith(field + ".") for e in body.get("errors", []))


@pytest.fixture
def refs(desk, db, clock):
    """Ids the cases refer to: a ticket, a callback, the 72 h policy, a later due time."""
    t = desk.ticket()
    cb = desk.post(
        "agent", "/callbacks", json={"ticket_id": t["id"], "due_at": (clock.now() + timedelta(hours=2)).isoformat()}
    ).json()
    return {
        "ticket": t["id"],
        "callback": cb["id"],
        "customer": desk.world.customers[0].id,
        "category": desk.world.categories["delivery"].id,
        "user": desk.world.users["agent2"].id,
        "policy": db.scalar(select(SlaPolicy.id).where(SlaPolicy.name == "默认72小时")),
        "calendar": db.scalar(select(SlaCalendar.id)),
        "later": (clock.now() + timedelta(hours=5)).isoformat(),
        "naive": (clock.now() + timedelta(hours=5)).replace(tzinfo=None).isoformat(),
        "past": (clock.now() - timedelta(hours=1)).isoformat(),
    }


def _policy(r, **over):
    return {
        "name": "到家投诉48小时",
        "first_response_hours": 2,
        "resolution_hours": 48,
        "calendar_id": r["calendar"],
        **over,
    }


# endpoint -> (who, method, path, read-back path or None, [(case, body, field, status)])
CASES = {
    "create ticket": (
        "agent",
        "POST",
        "/tickets",
        None,
        [
            ("missing subject", lambda r: {"description": "没有标题"}, "subject", 422),
            ("wrong type", lambda r: {"subject": "外卖超时", "customer_id": "张伟"}, "customer_id", 422),
            ("unknown enum", lambda r: {"subject": "外卖超时", "priority": "特急"}, "priority", 422),
            ("unknown channel", lambda r: {"subject": "外卖超时", "channel": "fax"}, "channel", 422),
            ("no such customer", lambda r: {"subject": "外卖超时", "customer_id": MISSING}, "customer_id", 422),
            ("no such category", lambda r: {"subject": "外卖超时", "category_id": MISSING}, "category_id", 422),
            ("no such team", lambda r: {"subject": "外卖超时", "team_id": MISSING}, "team_id", 422),
            ("blank subject", lambda r: {"subject": "   "}, "subject", 422),
        ],
    ),
    "update ticket": (
        "agent",
        "PATCH",
        "/tickets/{ticket}",
        "/tickets/{ticket}",
        [
            ("wrong type", lambda r: {"priority": 3}, "priority", 422),
            ("unknown status", lambda r: {"status": "done"}, "status", 422),
            ("unknown enum", lambda r: {"complaint_type": "regulator"}, "complaint_type", 422),
            ("no such category", lambda r: {"category_id": MISSING, "subject": "改了标题"}, "category_id", 422),
            ("no such assignee", lambda r: {"assignee_id": MISSING}, "assignee_id", 422),
            ("null subject", lambda r: {"subject": None}, "subject", 422),
            ("null description", lambda r: {"description": None}, "description", 422),
            ("null priority", lambda r: {"priority": None}, "priority", 422),
            ("empty subject", lambda r: {"subject": ""}, "subject", 422),
        ],
    ),
    "escalate": (
        "agent",
        "POST",
        "/tickets/{ticket}/escalate",
        "/tickets/{ticket}",
        [
            ("missing reason", lambda r: {}, "reason", 422),
            ("wrong type", lambda r: {"reason": ["太慢"]}, "reason", 422),
        ],
    ),
    "merge": (
        "team_lead",
        "POST",
        "/tickets/{ticket}/merge",
        "/tickets/{ticket}",
        [
            ("missing target", lambda r: {"reason": "重复"}, "target_id", 422),
            ("wrong type", lambda r: {"target_id": "上一个"}, "target_id", 422),
            ("no such target", lambda r: {"target_id": MISSING}, "target_id", 422),
        ],
    ),
    "message": (
        "agent",
        "POST",
        "/tickets/{ticket}/messages",
        "/tickets/{ticket}/messages",
        [
            ("wrong type", lambda r: {"body": "您好", "internal": "也许"}, "internal", 422),
            ("blank body", lambda r: {"body": "  "}, "body", 422),
        ],
    ),
    "compensation": (
        "complaint_specialist",
        "POST",
        "/tickets/{ticket}/compensations",
        "/tickets/{ticket}/compensations",
        [
            ("unknown kind", lambda r: {"kind": "cash", "reason": "expired", "amount": 5}, "kind", 422),
            ("wrong type", lambda r: {"kind": "refund", "reason": "expired", "amount": "十元"}, "amount", 422),
            ("negative", lambda r: {"kind": "refund", "reason": "expired", "amount": -5}, "amount", 422),
            ("missing reason", lambda r: {"kind": "refund", "amount": 5}, "reason", 422),
        ],
    ),
    "create customer": (
        "agent",
        "POST",
        "/customers",
        None,
        [
            ("missing name", lambda r: {"phone": "13700001111"}, "name", 422),
            ("unknown role", lambda r: {"name": "赵六", "role": "vip"}, "role", 422),
            ("bad phone", lambda r: {"name": "赵六", "phone": "打不通"}, "phone", 422),
            ("bad email", lambda r: {"name": "赵六", "email": "zhaoliu.example.cn"}, "email", 422),
            ("wrong type", lambda r: {"name": ["赵六"]}, "name", 422),
        ],
    ),
    "update customer": (
        "agent",
        "PATCH",
        "/customers/{customer}",
        "/customers/{customer}",
        [
            ("unknown role", lambda r: {"role": "vip"}, "role", 422),
            ("null name", lambda r: {"name": None}, "name", 422),
            ("bad phone", lambda r: {"phone": "电话号码"}, "phone", 422),
            ("wrong type", lambda r: {"address": 42}, "address", 422),
        ],
    ),
    "create category": (
        "admin",
        "POST",
        "/categories",
        None,
        [
            ("missing code", lambda r: {"name": "优惠券"}, "code", 422),
            (
                "unknown enum",
                lambda r: {"code": "coupon", "name": "优惠券", "severity_class": "critical"},
                "severity_class",
                422,
            ),
            ("no such parent", lambda r: {"code": "coupon", "name": "优惠券", "parent_id": MISSING}, "parent_id", 422),
            (
                "no such line",
                lambda r: {"code": "coupon", "name": "优惠券", "business_line_id": MISSING},
                "business_line_id",
                422,
            ),
            ("wrong type", lambda r: {"code": "coupon", "name": "优惠券", "sort_order": "第一"}, "sort_order", 422),
        ],
    ),
    "update category": (
        "admin",
        "PATCH",
        "/categories/{category}",
        "/categories/{category}",
        [
            ("null code", lambda r: {"code": None}, "code", 422),
            ("null flag", lambda r: {"is_active": None}, "is_active", 422),
            ("null order", lambda r: {"sort_order": None}, "sort_order", 422),
            ("unknown enum", lambda r: {"severity_class": "critical"}, "severity_class", 422),
            ("no such parent", lambda r: {"parent_id": MISSING}, "parent_id", 422),
            ("wrong type", lambda r: {"is_active": "也许"}, "is_active", 422),
        ],
    ),
    "create business line": (
        "admin",
        "POST",
        "/business-lines",
        None,
        [
            ("missing name", lambda r: {"code": "travel"}, "name", 422),
            ("bad code", lambda r: {"code": "旅行", "name": "旅行"}, "code", 422),
        ],
    ),
    "create user": (
        "admin",
        "POST",
        "/users",
        None,
        [
            ("missing password", lambda r: {"username": "xiaozhang", "role": "agent"}, "password", 422),
            (
                "unknown role",
                lambda r: {"username": "xiaozhang", "password": "密码Passw0rd!", "role": "boss"},
                "role",
                422,
            ),
            (
                "no such team",
                lambda r: {"username": "xiaozhang", "password": "密码Passw0rd!", "role": "agent", "team_id": MISSING},
                "team_id",
                422,
            ),
            (
                "bad username",
                lambda r: {"username": "小张", "password": "密码Passw0rd!", "role": "agent"},
                "username",
                422,
            ),
            ("wrong type", lambda r: {"username": "xiaozhang", "password": 12345678, "role": "agent"}, "password", 422),
        ],
    ),
    "update user": (
        "admin",
        "PATCH",
        "/users/{user}",
        "/users/{user}",
        [
            ("null name", lambda r: {"display_name": None}, "display_name", 422),
            ("null active", lambda r: {"is_active": None}, "is_active", 422),
            ("wrong type", lambda r: {"is_active": "yes please"}, "is_active", 422),
            ("unknown enum", lambda r: {"language": "fr"}, "language", 422),
            ("no such team", lambda r: {"team_id": MISSING}, "team_id", 422),
        ],
    ),
    "create team": (
        "admin",
        "POST",
        "/teams",
        "/teams",
        [
            ("unknown enum", lambda r: {"name": "夜班组", "kind": "night"}, "kind", 422),
            ("no such leader", lambda r: {"name": "夜班组", "leader_id": MISSING}, "leader_id", 422),
            ("missing name", lambda r: {"kind": "frontline"}, "name", 422),
        ],
    ),
    "create api key": (
        "admin",
        "POST",
        "/api-keys",
        "/api-keys",
        [
            ("no such user", lambda r: {"name": "CRM", "user_id": MISSING}, "user_id", 422),
            ("missing name", lambda r: {"user_id": r["user"]}, "name", 422),
        ],
    ),
    "create callback": (
        "agent",
        "POST",
        "/callbacks",
        "/callbacks",
        [
            ("naive due", lambda r: {"ticket_id": r["ticket"], "due_at": r["naive"]}, "due_at", 422),
            ("past due", lambda r: {"ticket_id": r["ticket"], "due_at": r["past"]}, "due_at", 422),
            ("missing due", lambda r: {"ticket_id": r["ticket"]}, "due_at", 422),
            ("wrong type", lambda r: {"ticket_id": r["ticket"], "due_at": "明天下午"}, "due_at", 422),
            (
                "no such owner",
                lambda r: {"ticket_id": r["ticket"], "due_at": r["later"], "owner_id": MISSING},
                "owner_id",
                422,
            ),
            ("no such ticket", lambda r: {"ticket_id": MISSING, "due_at": r["later"]}, "ticket_id", 422),
            ("no phone", lambda r: {"due_at": r["later"], "contact_name": "无名"}, "contact_phone", 422),
        ],
    ),
    "reassign callback": (
        "team_lead",
        "PATCH",
        "/callbacks/{callback}",
        "/callbacks",
        [
            ("missing owner", lambda r: {"due_at": r["later"]}, "owner_id", 422),
            ("naive due", lambda r: {"owner_id": r["user"], "due_at": r["naive"]}, "due_at", 422),
            ("past due", lambda r: {"owner_id": r["user"], "due_at": r["past"]}, "due_at", 422),
            ("no such owner", lambda r: {"owner_id": MISSING}, "owner_id", 422),
        ],
    ),
    "complete callback": (
        "agent",
        "POST",
        "/callbacks/{callback}/complete",
        "/callbacks",
        [
            ("unknown enum", lambda r: {"outcome": "great"}, "outcome", 422),
            ("missing outcome", lambda r: {"note": "打通了"}, "outcome", 422),
        ],
    ),
    "create policy": (
        "admin",
        "POST",
        "/sla/policies",
        "/sla/policies",
        [
            ("unknown channel", lambda r: _policy(r, channel="fax"), "channel", 422),
            ("unknown priority", lambda r: _policy(r, priority="asap"), "priority", 422),
            ("no such category", lambda r: _policy(r, category_id=MISSING), "category_id", 422),
            ("no such calendar", lambda r: _policy(r, calendar_id=MISSING), "calendar_id", 422),
            ("wrong type", lambda r: _policy(r, resolution_hours="三天"), "resolution_hours", 422),
            ("existing name", lambda r: _policy(r, name="外部投诉24小时"), "name", 409),
        ],
    ),
    "replace policy": (
        "admin",
        "PUT",
        "/sla/policies/{policy}",
        "/sla/policies",
        [
            (
                "missing hours",
                lambda r: {"name": "默认72小时", "first_response_hours": 4, "calendar_id": r["calendar"]},
                "resolution_hours",
                422,
            ),
            ("another's name", lambda r: _policy(r, name="外部投诉24小时"), "name", 409),
            ("unknown channel", lambda r: _policy(r, name="默认72小时", channel="fax"), "channel", 422),
            ("no such category", lambda r: _policy(r, name="默认72小时", category_id=MISSING), "category_id", 422),
        ],
    ),
    "create calendar": (
        "admin",
        "POST",
        "/sla/calendars",
        "/sla/calendars",
        [
            (
                "bad weekday",
                lambda r: {"name": "工作日", "always_open": False, "hours": {"9": [[540, 1080]]}},
                "hours",
                422,
            ),
            ("no working hours", lambda r: {"name": "空日历", "always_open": False, "hours": {}}, "hours", 422),
            ("bad zone", lambda r: {"name": "火星时间", "timezone": "Mars/Olympus"}, "timezone", 422),
            ("bad date", lambda r: {"name": "假日", "holidays": ["国庆节"]}, "holidays", 422),
            ("missing name", lambda r: {"always_open": True}, "name", 422),
        ],
    ),
}


@pytest.mark.parametrize("endpoint", list(CASES))
def test_bad_input_is_refused_naming_the_field(endpoint, desk, refs):
    who, method, path, readback, cases = CASES[endpoint]
    url = "/api/v1" + path.format(**refs)
    before = desk.get("admin", readback.format(**refs)).json() if readback else None
    failures = []
    for case, build, field, status in cases:
        r = desk.client.request(method, url, headers=desk.world.headers(who), json=build(refs))
        if r.status_code != status or not names_field(r, field):
            failures.append(f"{case}: {r.status_code} {r.text[:300]}")
    assert failures == []
    if readback:
        assert desk.get("admin", readback.format(**refs)).json() == before


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("PATCH", "/tickets/{m}", {"priority": "high"}),
        ("POST", "/tickets/{m}/escalate", {"reason": "顾客要求"}),
        ("POST", "/tickets/{m}/messages", {"body": "您好"}),
        ("PATCH", "/customers/{m}", {"name": "无此人"}),
        ("PATCH", "/categories/{m}", {"name": "无此分类"}),
        ("PATCH", "/users/{m}", {"display_name": "无此人"}),
        ("PATCH", "/callbacks/{m}", {"owner_id": 1}),
        ("POST", "/callbacks/{m}/complete", {"outcome": "resolved"}),
        ("PUT", "/sla/policies/{m}", None),
        ("POST", "/notifications/{m}/read", None),
        ("DELETE", "/api-keys/{m}", None),
    ],
)
def test_missing_path_id_is_404(method, path, body, desk, refs):
    if path.startswith("/sla"):
        body = _policy(refs)
    r = desk.client.request(method, "/api/v1" + path.format(m=MISSING), headers=desk.world.headers("admin"), json=body)
    assert r.status_code == 404 and str(MISSING) in r.json()["detail"], r.text


def test_ticket_list_rejects_naive_times_and_bad_filters(desk):
    r = desk.get("agent", "/tickets", params={"created_from": "2026-11-23T09:00:00"})
    assert r.status_code == 422 and names_field(r, "created_from")
    r = desk.get("agent", "/tickets", params={"created_from": "2026-11-23T09:00:00+08:00"})
    assert r.status_code == 200
    r = desk.get("agent", "/tickets", params={"tier": 5})
    assert r.status_code == 422 and names_field(r, "tier")
    r = desk.get("agent", "/tickets", params={"order": "random"})
    assert r.status_code == 422 and names_field(r, "order")


def test_missing_message_body_names_the_field(desk, refs):
    r = desk.post("agent", f"/tickets/{refs['ticket']}/messages", json={"internal": True})
    assert r.status_code == 422 and names_field(r, "body")


@pytest.mark.parametrize(
    "who,path,params,field",
    [
        ("admin", "/users", {"offset": -1}, "offset"),
        ("admin", "/users", {"limit": 0}, "limit"),
        ("supervisor", "/session-flags", {"limit": -5}, "limit"),
        ("agent", "/notifications", {"limit": -1}, "limit"),
        ("agent", "/tickets", {"offset": -1}, "offset"),
        ("agent", "/customers", {"limit": 0}, "limit"),
        ("agent", "/callbacks", {"offset": -3}, "offset"),
        ("admin", "/audit", {"limit": 100000}, "limit"),
    ],
)
def test_negative_or_zero_paging_is_422(who, path, params, field, desk):
    r = desk.get(who, path, params=params)
    assert r.status_code == 422 and names_field(r, field), r.text


def test_an_oversized_body_is_refused_and_nothing_is_stored(desk):
    from kefu.app import max_request_bytes
    from kefu.core.settings import get_settings

    huge = "投诉" * (max_request_bytes(get_settings()) // 6 + 1024)  # 3 bytes a character in UTF-8: over the limit
    r = desk.post("agent", "/tickets", json={"subject": "超大请求", "description": huge})
    assert r.status_code == 413 and "Too Large" in r.text
    r = desk.get("agent", "/tickets", params={"q": "超大请求"})
    assert r.status_code == 200 and r.json()["count"] == 0
