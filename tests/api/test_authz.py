"""The authorization matrix: every role × every /api/v1 endpoint, derived from kefu.core.roles.PERMISSIONS.

Each endpoint row says which permission guards it (or that any signed-in user, or anyone, may call it) and
builds a request that succeeds for a permitted role. Walking the table checks 2xx vs 403 for every role and
401 without credentials, and that no response outside the audited reveal endpoints carries a customer's
raw phone, email, address or ID number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select

from kefu.accounts import service as accounts
from kefu.audit.models import AuditEntry
from kefu.callbacks import service as callbacks
from kefu.core.context import Actor
from kefu.core.roles import PERMISSIONS, Perm
from kefu.core.settings import get_settings
from kefu.notifications.service import notify
from kefu.sla.models import SlaCalendar, SlaPolicy
from kefu.tickets import service as tickets

API = "/api/v1"
PASSWORD = "客服密码Passw0rd"  # the world's password (tests/conftest.py)
ANON = "anonymous"
USER = "any signed-in user"
PUBLIC = "anyone"
ROLES = ["trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "analyst", "qa", "listener", "admin"]
_seq = count(1)


@dataclass
class Ctx:
    client: object
    world: object
    db: object
    clock: object
    who: str  # a username, or ANON

    @property
    def user(self):
        return self.world.users["agent" if self.who == ANON else self.who]

    def actor(self, username: str = "agent") -> Actor:
        u = self.world.users[username]
        return Actor(
            user_id=u.id,
            username=u.username,
            role=u.role,
            team_id=u.team_id,
            now=self.clock.now(),
            display_name=u.display_name,
        )

    def ticket(self, **fields):
        data = {
            "subject": "骑手态度恶劣,要求投诉",
            "description": "顾客反映骑手辱骂",
            "customer_id": self.world.customers[0].id,
            "category_id": self.world.categories["delivery"].id,
            **fields,
        }
        t = tickets.create_ticket(self.db, actor=self.actor(), data=data)
        self.db.commit()
        return t

    def callback(self, owner: str):
        t = self.ticket()
        cb = callbacks.create_callback(
            self.db,
            actor=self.actor(),
            ticket_id=t.id,
            customer_id=None,
            due_at=self.clock.now() + timedelta(hours=2),
            owner_id=self.world.users[owner].id,
            note="顾客希望下午回电",
        )
        self.db.commit()
        return cb


@dataclass
class Req:
    method: str
    url: str
    kw: dict = field(default_factory=dict)
    headers: dict | None = None  # replaces the role's bearer header (e.g. a throwaway token for logout)


@dataclass
class Endpoint:
    method: str
    path: str  # the route template, as FastAPI lists it
    guard: Perm | str
    build: object  # Ctx -> Req
    ok: int = 200
    reveals_pii: bool = False

    def allowed(self, who: str) -> bool:
        if self.guard == PUBLIC:
            return True
        if who == ANON:
            return False
        if self.guard == USER:
            return True
        return who in PERMISSIONS[self.guard]


def _t(c: Ctx) -> int:
    return c.ticket().id


def _escalated(c: Ctx) -> int:
    t = c.ticket()
    tickets.escalate(c.db, actor=c.actor(), ticket=t, reason="顾客要求组长处理")
    c.db.commit()
    return t.id


def _attachment(c: Ctx) -> int:
    t = c.ticket()
    a = tickets.add_attachment(
        c.db,
        actor=c.actor(),
        ticket=t,
        filename="聊天截图.png",
        content_type="image/png",
        data=b"\x89PNG\r\n\x1a\n-fake-",
    )
    c.db.commit()
    return a.id


def _api_key(c: Ctx) -> int:
    _secret, key = accounts.create_api_key(
        c.db, actor=c.actor("admin"), name="呼叫中心CDR", user=c.world.users["agent2"]
    )
    c.db.commit()
    return key.id


def _own_notification(c: Ctx) -> int:
    (note,) = notify(
        c.db, actor=c.actor(), user_ids=[c.user.id], kind="test", title="测试通知", dedupe=f"authz:{next(_seq)}"
    )
    c.db.commit()
    return note.id


def _logout(c: Ctx) -> Req:
    if c.who == ANON:
        return Req("POST", f"{API}/auth/logout")
    result = accounts.login(c.db, actor=c.actor(), user=c.user, kind="api", ip="10.0.0.1", user_agent="pytest", hours=1)
    c.db.commit()
    return Req("POST", f"{API}/auth/logout", headers={"Authorization": f"Bearer {result.token}"})


def _policy(c: Ctx, name: str) -> dict:
    cal = c.db.scalar(select(SlaCalendar.id))
    return {"name": name, "first_response_hours": 4, "resolution_hours": 72, "calendar_id": cal}


def _due(c: Ctx) -> str:
    return (c.clock.now() + timedelta(hours=3)).isoformat()


def _n() -> int:
    return next(_seq)


def _cdr(c: Ctx) -> dict:
    """A call from a world customer (张伟): the answers must show the phone masked."""
    at = c.clock.now()
    return {"call_id": f"authz-{_n()}", "channel": "phone", "customer_phone": c.world.customers[0].phone,
            "queue": "外卖热线", "offered_at": at.isoformat(), "answered_at": (at + timedelta(seconds=20)).isoformat(),
            "ended_at": (at + timedelta(seconds=200)).isoformat(), "outcome": "answered", "category": "delivery.late"}


def _voc_fix(c: Ctx) -> int:
    from kefu.reports import fixes

    f = fixes.add_fix(c.db, actor=c.actor(), line_id=c.world.lines["waimai"].id, day=c.clock.now().date(),
                      text="退款流程缩短到一天")
    c.db.commit()
    return f.id


def _voc_subscription(c: Ctx) -> int:
    from kefu.reports import mailing

    s = mailing.subscribe(c.db, actor=c.actor(), line_id=c.world.lines["waimai"].id, email=f"pm{_n()}@example.cn")
    c.db.commit()
    return s.id


def _contact(c: Ctx) -> int:
    from kefu.contacts import service as contacts
    from kefu.contacts.queries import find

    record = _cdr(c)
    assert contacts.ingest(c.db, [record], now=c.clock.now()).created == 1
    c.db.commit()
    return find(c.db, channel="phone", external_id=record["call_id"]).id


def _queue(c: Ctx) -> int:
    from kefu.chat.models import ChatQueue

    queue = ChatQueue(code=f"queue{_n()}", name="阅读在线", concurrency=3, is_active=True, created_at=c.clock.now())
    c.db.add(queue)
    c.db.commit()
    return queue.id


def _chat_contact(c: Ctx) -> int:
    from kefu.chat.models import Chat

    return c.db.get(Chat, _chat(c)).contact_id


def _chat(c: Ctx) -> int:
    """An active chat of a world customer served by the caller: a seat sees only its own chats. (Not 张伟: an
    e-mail row above files a ticket whose subject is the phone number he typed, which tickets show as written.)"""
    from kefu.chat.models import Chat, ChatQueue
    from kefu.contacts.models import Contact

    now = c.clock.now()
    queue = c.db.scalar(select(ChatQueue).where(ChatQueue.code == "authz_chat"))
    if queue is None:
        queue = ChatQueue(code="authz_chat", name="外卖在线", concurrency=3, is_active=True, created_at=now)
        c.db.add(queue)
        c.db.flush()
    customer = c.world.customers[1]
    contact = Contact(channel="chat", direction="inbound", customer_id=customer.id, queue=queue.code,
                      offered_at=now, outcome="answered", created_at=now)
    c.db.add(contact)
    c.db.flush()
    chat = Chat(contact_id=contact.id, customer_id=customer.id, queue_id=queue.id, status="active",
                agent_id=c.user.id, front=False, offered_at=now, waiting_since=now, assigned_at=now, last_seq=0)
    c.db.add(chat)
    c.db.commit()
    return chat.id


# the webhooks are called by WeChat / Weibo, not by a user: anyone may call them, the signature decides
WEBHOOK_SECRETS = {"wechat": "authz-wechat-token", "weibo": "authz-weibo-app-secret"}


@pytest.fixture(autouse=True)
def webhook_secrets(monkeypatch):
    monkeypatch.setattr(get_settings(), "wechat_token", WEBHOOK_SECRETS["wechat"])
    monkeypatch.setattr(get_settings(), "weibo_app_secret", WEBHOOK_SECRETS["weibo"])


def _signed(c: Ctx, channel: str) -> dict:
    seconds = int(c.clock.now().timestamp())
    ts, nonce = str(seconds * 1000 if channel == "weibo" else seconds), str(_n())
    sig = hashlib.sha1("".join(sorted([WEBHOOK_SECRETS[channel], ts, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": ts, "nonce": nonce}


def _wechat_push(c: Ctx) -> Req:
    n = _n()
    body = (f"<xml><ToUserName>gh_kefu</ToUserName><FromUserName>oAuthzFollower{n:06d}</FromUserName>"
            f"<CreateTime>{int(c.clock.now().timestamp())}</CreateTime><MsgType>text</MsgType>"
            f"<Content>外卖还没送到</Content><MsgId>{880000 + n}</MsgId></xml>")
    return Req("POST", f"{API}/channels/wechat", {"params": _signed(c, "wechat"), "content": body.encode()})


def _weibo_push(c: Ctx) -> Req:
    body = {"type": "text", "receiver_id": 1902538057, "sender_id": 2489500000 + _n(), "text": "红包没到账",
            "created_at": c.clock.now().strftime("%a %b %d %H:%M:%S %z %Y"), "data": {}}
    return Req("POST", f"{API}/channels/weibo", {"params": _signed(c, "weibo"),
                                                 "content": json.dumps(body, ensure_ascii=False).encode()})


def _regulator_case(c: Ctx) -> dict:
    return {"source": "12315", "case_number": f"12315-2026-{_n():06d}", "received_at": c.clock.now().isoformat(),
            "reply_due_at": (c.clock.now() + timedelta(days=5)).isoformat(), "customer_name": "张伟",
            "phone": "13812345678", "content": "消费者投诉外卖超时未送达,商家拒绝退款"}


def _filed_case(c: Ctx) -> int:
    from kefu.channels import complaints

    body = _regulator_case(c)
    for key in ("received_at", "reply_due_at"):
        body[key] = datetime.fromisoformat(body[key])
    case = complaints.file_regulator_case(c.db, actor=c.actor("complaint_specialist"), **body)
    c.db.commit()
    return case.id


def _dead_letter(c: Ctx) -> int:
    """A customer's e-mail kept as a dead letter: its raw headers name the customer's address and phone."""
    from kefu.channels import intake

    mid = f"<dead-{_n()}@mail.example.cn>"
    raw = (f"From: =?utf-8?b?5byg5Lyf?= <13812345678@example.cn>\r\nTo: kefu@kefu.example.cn\r\n"
           f"Subject: 13812345678 退款\r\nMessage-ID: {mid}\r\n\r\n手机13812345678,退款没到账\r\n").encode()
    row = intake.dead_letter(c.db, channel="email", external_id=mid, raw=raw, error="database was restarting",
                             now=c.clock.now())
    c.db.commit()
    return row.id


def _script(c: Ctx) -> int:
    from kefu.scripts.models import Script

    return c.db.scalar(select(Script.id).where(Script.code == "hold_long"))


def _alert(c: Ctx) -> int:
    """A fresh open 一级 alert on 登录访问 (each call its own: resolving one twice is a 409)."""
    from kefu.alerts.models import Alert

    alert = Alert(rule_id="severe", category_id=c.world.categories["login"].id, open_key=f"authz:{_n()}",
                  level="一级", rank=1, status="open", basis="count", window="30m", count=6, contact_ids=[],
                  stage=0, raised_at=c.clock.now())
    c.db.add(alert)
    c.db.commit()
    return alert.id


def _alert_rules() -> str:
    from kefu.alerts.rules import DEFAULT_PATH

    return DEFAULT_PATH.read_text(encoding="utf-8")


E = Endpoint
ENDPOINTS: list[Endpoint] = [
    E(
        "POST",
        "/auth/token",
        PUBLIC,
        lambda c: Req("POST", f"{API}/auth/token", {"data": {"username": c.user.username, "password": PASSWORD}}),
    ),
    E("POST", "/auth/logout", USER, _logout, ok=204),
    E("GET", "/auth/me", USER, lambda c: Req("GET", f"{API}/auth/me")),
    E("GET", "/users", Perm.users_read, lambda c: Req("GET", f"{API}/users")),
    E(
        "POST",
        "/users",
        Perm.users_write,
        lambda c: Req(
            "POST",
            f"{API}/users",
            {
                "json": {
                    "username": f"newbie{_n()}",
                    "password": "新人密码Passw0rd",
                    "role": "agent",
                    "display_name": "新同事",
                }
            },
        ),
        ok=201,
    ),
    E("GET", "/users/{user_id}", Perm.users_read, lambda c: Req("GET", f"{API}/users/{c.world.users['agent2'].id}")),
    E(
        "PATCH",
        "/users/{user_id}",
        Perm.users_write,
        lambda c: Req("PATCH", f"{API}/users/{c.world.users['agent2'].id}", {"json": {"display_name": "刘二(夜班)"}}),
    ),
    E("GET", "/teams", USER, lambda c: Req("GET", f"{API}/teams")),
    E(
        "POST",
        "/teams",
        Perm.users_write,
        lambda c: Req("POST", f"{API}/teams", {"json": {"name": f"夜班{_n()}组"}}),
        ok=201,
    ),
    E(
        "POST",
        "/api-keys",
        Perm.users_write,
        lambda c: Req("POST", f"{API}/api-keys", {"json": {"name": "工单同步", "user_id": c.world.users["agent2"].id}}),
        ok=201,
    ),
    E("GET", "/api-keys", Perm.users_write, lambda c: Req("GET", f"{API}/api-keys")),
    E("DELETE", "/api-keys/{key_id}", Perm.users_write, lambda c: Req("DELETE", f"{API}/api-keys/{_api_key(c)}")),
    E("GET", "/session-flags", Perm.sessions_flags, lambda c: Req("GET", f"{API}/session-flags")),
    E("GET", "/customers", Perm.customers_read, lambda c: Req("GET", f"{API}/customers")),
    E("GET", "/customers", Perm.customers_read, lambda c: Req("GET", f"{API}/customers", {"params": {"q": "1381234"}})),
    E(
        "POST",
        "/customers",
        Perm.customers_write,
        lambda c: Req("POST", f"{API}/customers", {"json": {"name": "赵六", "phone": "13700001111", "role": "driver"}}),
        ok=201,
    ),
    E(
        "GET",
        "/customers/{customer_id}",
        Perm.customers_read,
        lambda c: Req("GET", f"{API}/customers/{c.world.customers[0].id}"),
    ),
    E(
        "PATCH",
        "/customers/{customer_id}",
        Perm.customers_write,
        lambda c: Req("PATCH", f"{API}/customers/{c.world.customers[1].id}", {"json": {"name": "王芳(商家)"}}),
    ),
    E(
        "POST",
        "/customers/{customer_id}/reveal",
        Perm.pii_reveal,
        lambda c: Req(
            "POST", f"{API}/customers/{c.world.customers[0].id}/reveal", {"json": {"reason": "核实退款账户"}}
        ),
        reveals_pii=True,
    ),
    E("GET", "/categories", USER, lambda c: Req("GET", f"{API}/categories")),
    E(
        "POST",
        "/categories",
        Perm.categories_write,
        lambda c: Req("POST", f"{API}/categories", {"json": {"code": f"coupon{_n()}", "name": "优惠券问题"}}),
        ok=201,
    ),
    E(
        "GET",
        "/categories/{category_id}",
        USER,
        lambda c: Req("GET", f"{API}/categories/{c.world.categories['delivery.late'].id}"),
    ),
    E(
        "PATCH",
        "/categories/{category_id}",
        Perm.categories_write,
        lambda c: Req("PATCH", f"{API}/categories/{c.world.categories['misc'].id}", {"json": {"name": "陆续反馈"}}),
    ),
    E("GET", "/business-lines", USER, lambda c: Req("GET", f"{API}/business-lines")),
    E(
        "POST",
        "/business-lines",
        Perm.categories_write,
        lambda c: Req("POST", f"{API}/business-lines", {"json": {"code": f"travel{_n()}", "name": "旅行"}}),
        ok=201,
    ),
    E("GET", "/tickets", Perm.tickets_read, lambda c: (_t(c), Req("GET", f"{API}/tickets"))[1]),
    E(
        "GET",
        "/tickets",
        Perm.tickets_read,
        lambda c: (_t(c), Req("GET", f"{API}/tickets", {"params": {"q": "骑手态度"}}))[1],
    ),
    E("GET", "/tickets", Perm.tickets_read, lambda c: Req("GET", f"{API}/tickets", {"params": {"q": "骑"}})),
    E("GET", "/tickets/export.csv", Perm.tickets_export, lambda c: (_t(c), Req("GET", f"{API}/tickets/export.csv"))[1]),
    E(
        "POST",
        "/tickets",
        Perm.tickets_write,
        lambda c: Req(
            "POST", f"{API}/tickets", {"json": {"subject": "红包未到账", "customer_id": c.world.customers[0].id}}
        ),
        ok=201,
    ),
    E("GET", "/tickets/{ticket_id}", Perm.tickets_read, lambda c: Req("GET", f"{API}/tickets/{_t(c)}")),
    E(
        "PATCH",
        "/tickets/{ticket_id}",
        Perm.tickets_write,
        lambda c: Req("PATCH", f"{API}/tickets/{_t(c)}", {"json": {"priority": "high"}}),
    ),
    E(
        "POST",
        "/tickets/{ticket_id}/escalate",
        Perm.tickets_escalate,
        lambda c: Req("POST", f"{API}/tickets/{_t(c)}/escalate", {"json": {"reason": "顾客要求组长回电"}}),
    ),
    E(
        "POST",
        "/tickets/{ticket_id}/deescalate",
        Perm.tickets_assign,
        lambda c: Req("POST", f"{API}/tickets/{_escalated(c)}/deescalate", {"json": {"reason": "一线可处理"}}),
    ),
    E(
        "POST",
        "/tickets/{ticket_id}/merge",
        Perm.tickets_assign,
        lambda c: Req("POST", f"{API}/tickets/{_t(c)}/merge", {"json": {"target_id": _t(c), "reason": "重复工单"}}),
    ),
    E("GET", "/tickets/{ticket_id}/events", Perm.tickets_read, lambda c: Req("GET", f"{API}/tickets/{_t(c)}/events")),
    E(
        "GET",
        "/tickets/{ticket_id}/messages",
        Perm.tickets_read,
        lambda c: Req("GET", f"{API}/tickets/{_t(c)}/messages"),
    ),
    E(
        "POST",
        "/tickets/{ticket_id}/messages",
        Perm.tickets_write,
        lambda c: Req("POST", f"{API}/tickets/{_t(c)}/messages", {"json": {"body": "您好,已为您催促骑手,请稍候"}}),
        ok=201,
    ),
    E(
        "GET",
        "/tickets/{ticket_id}/attachments",
        Perm.tickets_read,
        lambda c: Req("GET", f"{API}/tickets/{_t(c)}/attachments"),
    ),
    E(
        "POST",
        "/tickets/{ticket_id}/attachments",
        Perm.tickets_write,
        lambda c: Req(
            "POST",
            f"{API}/tickets/{_t(c)}/attachments",
            {"files": {"file": ("订单截图.png", b"\x89PNG-x", "image/png")}},
        ),
        ok=201,
    ),
    E(
        "GET",
        "/tickets/{ticket_id}/compensations",
        Perm.compensation_read,
        lambda c: Req("GET", f"{API}/tickets/{_t(c)}/compensations"),
    ),
    E(
        "POST",
        "/tickets/{ticket_id}/compensations",
        Perm.compensation_grant,
        lambda c: Req(
            "POST",
            f"{API}/tickets/{_t(c)}/compensations",
            {"json": {"kind": "red_packet", "reason": "service_failure", "amount": 10, "note": "超时补偿红包"}},
        ),
        ok=201,
    ),
    E(
        "GET",
        "/attachments/{attachment_id}",
        Perm.tickets_read,
        lambda c: Req("GET", f"{API}/attachments/{_attachment(c)}"),
    ),
    E("GET", "/callbacks", Perm.callbacks_read, lambda c: (c.callback("agent"), Req("GET", f"{API}/callbacks"))[1]),
    E(
        "POST",
        "/callbacks",
        Perm.callbacks_write,
        lambda c: Req(
            "POST",
            f"{API}/callbacks",
            {
                "json": {
                    "ticket_id": _t(c),
                    "due_at": _due(c),
                    "owner_id": c.world.users["complaint_specialist"].id,
                    "preferred_time": "下午三点后",
                }
            },
        ),
        ok=201,
    ),
    E(
        "POST",
        "/callbacks/{callback_id}/complete",
        Perm.callbacks_write,
        lambda c: Req(
            "POST",
            f"{API}/callbacks/{c.callback(c.user.username).id}/complete",
            {"json": {"outcome": "resolved", "note": "顾客表示满意"}},
        ),
    ),
    E(
        "PATCH",
        "/callbacks/{callback_id}",
        Perm.tickets_assign,
        lambda c: Req(
            "PATCH",
            f"{API}/callbacks/{c.callback('agent').id}",
            {"json": {"owner_id": c.world.users["complaint_specialist"].id}},
        ),
    ),
    E(
        "POST",
        "/callbacks/{callback_id}/reveal",
        Perm.pii_reveal,
        lambda c: Req("POST", f"{API}/callbacks/{c.callback('agent').id}/reveal", {"json": {"reason": "回拨顾客"}}),
        reveals_pii=True,
    ),
    E("GET", "/sla/policies", Perm.sla_read, lambda c: Req("GET", f"{API}/sla/policies")),
    E(
        "POST",
        "/sla/policies",
        Perm.sla_write,
        lambda c: Req("POST", f"{API}/sla/policies", {"json": _policy(c, f"到家{_n()}")}),
        ok=201,
    ),
    E(
        "PUT",
        "/sla/policies/{policy_id}",
        Perm.sla_write,
        lambda c: Req(
            "PUT",
            f"{API}/sla/policies/{c.db.scalar(select(SlaPolicy.id).where(SlaPolicy.name == '默认72小时'))}",
            {"json": _policy(c, "默认72小时")},
        ),
    ),
    E("GET", "/sla/calendars", Perm.sla_read, lambda c: Req("GET", f"{API}/sla/calendars")),
    E(
        "POST",
        "/sla/calendars",
        Perm.sla_write,
        lambda c: Req(
            "POST",
            f"{API}/sla/calendars",
            {"json": {"name": f"工作日{_n()}", "always_open": False, "hours": {"0": [[540, 1080]]}}},
        ),
        ok=201,
    ),
    E("GET", "/audit", Perm.audit_read, lambda c: Req("GET", f"{API}/audit")),
    E(
        "POST",
        "/contacts",
        Perm.contacts_write,
        lambda c: Req("POST", f"{API}/contacts", {"json": _cdr(c)}),
        ok=201,
    ),
    E(
        "POST",
        "/contacts/bulk",
        Perm.contacts_write,
        lambda c: Req("POST", f"{API}/contacts/bulk", {"json": {"contacts": [_cdr(c), _cdr(c)]}}),
    ),
    E("GET", "/contacts", Perm.contacts_read, lambda c: (_contact(c), Req("GET", f"{API}/contacts"))[1]),
    E("GET", "/contacts/{contact_id}", Perm.contacts_read, lambda c: Req("GET", f"{API}/contacts/{_contact(c)}")),
    E("GET", "/notifications", USER, lambda c: Req("GET", f"{API}/notifications")),
    E(
        "POST",
        "/notifications/{notification_id}/read",
        USER,
        lambda c: Req("POST", f"{API}/notifications/{_own_notification(c)}/read"),
    ),
    E("GET", "/channels/wechat", PUBLIC,
      lambda c: Req("GET", f"{API}/channels/wechat", {"params": {**_signed(c, "wechat"), "echostr": "20261123"}})),
    E("POST", "/channels/wechat", PUBLIC, _wechat_push),
    E("GET", "/channels/weibo", PUBLIC,
      lambda c: Req("GET", f"{API}/channels/weibo", {"params": {**_signed(c, "weibo"), "echostr": "20261123"}})),
    E("POST", "/channels/weibo", PUBLIC, _weibo_push),
    E("POST", "/complaints/regulator", Perm.complaints_regulator,
      lambda c: Req("POST", f"{API}/complaints/regulator", {"json": _regulator_case(c)}), ok=201),
    E("GET", "/complaints/regulator", Perm.tickets_read,
      lambda c: (_filed_case(c), Req("GET", f"{API}/complaints/regulator"))[1]),
    E("POST", "/complaints/regulator/{case_id}/reply", Perm.complaints_reply,
      lambda c: Req("POST", f"{API}/complaints/regulator/{_filed_case(c)}/reply",
                    {"json": {"body": "经核实已为消费者退款,消费者表示满意"}})),
    E("POST", "/complaints/internal", Perm.complaints_internal,
      lambda c: Req("POST", f"{API}/complaints/internal",
                    {"json": {"content": "顾客多次来电,一线无法解决退款争议", "original_ticket_id": _t(c)}}), ok=201),
    E("GET", "/complaints/internal", Perm.tickets_read, lambda c: Req("GET", f"{API}/complaints/internal")),
    E("POST", "/compliance/check", Perm.compliance_check,
      lambda c: Req("POST", f"{API}/compliance/check", {"json": {"text": "这个我帮您提交一下!!",
                                                                 "context": [{"role": "customer", "text": "在吗"}]}})),
    E("GET", "/channels/dead-letters", Perm.channels_dead_letters,
      lambda c: (_dead_letter(c), Req("GET", f"{API}/channels/dead-letters"))[1]),
    E("GET", "/channels/dead-letters/{inbound_id}", Perm.channels_dead_letters,
      lambda c: Req("GET", f"{API}/channels/dead-letters/{_dead_letter(c)}")),
    E("POST", "/channels/dead-letters/{inbound_id}/reprocess", Perm.channels_dead_letters,
      lambda c: Req("POST", f"{API}/channels/dead-letters/{_dead_letter(c)}/reprocess")),
    E("GET", "/scripts", Perm.scripts_read, lambda c: Req("GET", f"{API}/scripts", {"params": {"q": "稍等"}})),
    E("POST", "/scripts", Perm.scripts_write,
      lambda c: Req("POST", f"{API}/scripts", {"json": {"code": f"comfort{_n()}", "category": "apology",
                                                        "title": "安抚", "body": "{称呼},请您不要着急。"}}), ok=201),
    E("GET", "/scripts/{script_id}", Perm.scripts_read, lambda c: Req("GET", f"{API}/scripts/{_script(c)}")),
    E("PATCH", "/scripts/{script_id}", Perm.scripts_write,
      lambda c: Req("PATCH", f"{API}/scripts/{_script(c)}", {"json": {"sort_order": 5}})),
    # the rendered text names the customer by surname only: the PII check below holds it to that
    E("POST", "/scripts/{script_id}/render", Perm.scripts_read,
      lambda c: Req("POST", f"{API}/scripts/{_script(c)}/render", {"json": {"ticket_id": _t(c)}})),
    # workforce planning (kefu.wfm): computes from the figures it is sent, stores nothing
    E("POST", "/wfm/erlang", Perm.wfm_plan,
      lambda c: Req("POST", f"{API}/wfm/erlang", {"json": {"calls": [100, 40], "aht": 180, "shrinkage": 0.3}})),
    E("POST", "/wfm/schedule", Perm.wfm_plan,
      lambda c: Req("POST", f"{API}/wfm/schedule", {"json": {
          "rules": {"time_limit": 2}, "days": [{"requirement": [0] * 18 + [1] * 8, "open": "09:00"}],
          "shifts": [{"name": "早班", "minutes": 240, "starts": ["09:00"],
                      "breaks": [{"name": "小休", "minutes": 15, "earliest": 60, "latest": 150}]}],
          "agents": [{"id": "A01", "name": "张伟"}]}})),
    # forecasting from points sent in the request: three weeks of 外卖热线 half-hours
    E("POST", "/wfm/forecast", Perm.wfm_plan,
      lambda c: Req("POST", f"{API}/wfm/forecast", {"json": {"horizon_days": 2, "history": _wfm_points()}})),
    # complaint-spike alerts (M6): team leaders and supervisors handle them, analysts read, rules are set by
    # supervisors and admins
    E("GET", "/alerts", Perm.alerts_read, lambda c: (_alert(c), Req("GET", f"{API}/alerts"))[1]),
    E("GET", "/alerts/{alert_id}", Perm.alerts_read, lambda c: Req("GET", f"{API}/alerts/{_alert(c)}")),
    E("POST", "/alerts/{alert_id}/acknowledge", Perm.alerts_handle,
      lambda c: Req("POST", f"{API}/alerts/{_alert(c)}/acknowledge", {"json": {"note": "已通知技术排查"}})),
    E("POST", "/alerts/{alert_id}/resolve", Perm.alerts_handle,
      lambda c: Req("POST", f"{API}/alerts/{_alert(c)}/resolve", {"json": {"note": "登录故障已修复"}})),
    E("GET", "/alert-rules", Perm.alerts_read, lambda c: Req("GET", f"{API}/alert-rules")),
    E("PUT", "/alert-rules", Perm.alerts_rules,
      lambda c: Req("PUT", f"{API}/alert-rules", {"json": {"source": _alert_rules()}})),
    # analytics (kefu.reports) and the satisfaction system (kefu.satisfaction)
    E("GET", "/reports/kpis", Perm.reports_read,
      lambda c: Req("GET", f"{API}/reports/kpis", {"params": {"from": "2026-11-01", "to": "2026-11-30"}})),
    E("GET", "/reports/top-reasons", Perm.reports_read,
      lambda c: Req("GET", f"{API}/reports/top-reasons", {"params": {"from": "2026-11-01", "to": "2026-11-30"}})),
    E("POST", "/satisfaction/ratings", Perm.ratings_write,
      lambda c: Req("POST", f"{API}/satisfaction/ratings", {"json": {"contact_id": _contact(c), "level": 5,
                                                                      "reason": "问题已解决"}}), ok=201),
    E("POST", "/satisfaction/links", Perm.ratings_write,
      lambda c: Req("POST", f"{API}/satisfaction/links", {"json": {"contact_id": _contact(c)}}), ok=201),
    E("GET", "/satisfaction", Perm.reports_read,
      lambda c: Req("GET", f"{API}/satisfaction", {"params": {"from": "2026-11-01", "to": "2026-11-30",
                                                             "group_by": "channel"}})),
    E("POST", "/satisfaction/grades", Perm.grades_write,
      lambda c: Req("POST", f"{API}/satisfaction/grades", {"json": {"ticket_id": _t(c), "grade": "解决"}}), ok=201),
    E("GET", "/satisfaction/retention", Perm.reports_read,
      lambda c: Req("GET", f"{API}/satisfaction/retention", {"params": {"from": "2026-11-01", "to": "2026-11-30"}})),
    E("GET", "/satisfaction/grades", Perm.reports_read,
      lambda c: Req("GET", f"{API}/satisfaction/grades", {"params": {"from": "2026-11-01", "to": "2026-11-30"}})),
    E("POST", "/reports/voc/fixes", Perm.voc_write,
      lambda c: Req("POST", f"{API}/reports/voc/fixes", {"json": {
          "business_line_id": c.world.lines["waimai"].id, "week": "2026-11-25", "text": "高峰期加派骑手"}}), ok=201),
    E("DELETE", "/reports/voc/fixes/{fix_id}", Perm.voc_write,
      lambda c: Req("DELETE", f"{API}/reports/voc/fixes/{_voc_fix(c)}"), ok=204),
    E("POST", "/reports/voc/subscriptions", Perm.voc_write,
      lambda c: Req("POST", f"{API}/reports/voc/subscriptions", {"json": {
          "business_line_id": c.world.lines["waimai"].id, "email": f"waimai{_n()}@example.cn"}}), ok=201),
    E("GET", "/reports/voc/fixes", Perm.reports_read,
      lambda c: Req("GET", f"{API}/reports/voc/fixes", {"params": {
          "business_line_id": c.world.lines["waimai"].id, "week": "2026-11-25"}})),
    E("GET", "/reports/voc/subscriptions", Perm.voc_write,
      lambda c: Req("GET", f"{API}/reports/voc/subscriptions")),
    E("DELETE", "/reports/voc/subscriptions/{subscription_id}", Perm.voc_write,
      lambda c: Req("DELETE", f"{API}/reports/voc/subscriptions/{_voc_subscription(c)}"), ok=204),
    # the agent workspace beside the chat socket: a seat's own chat (customer masked), leads see every open chat
    E("GET", "/chats", Perm.chat_observe, lambda c: Req("GET", f"{API}/chats")),
    E("GET", "/chat-queues", Perm.chat_queues, lambda c: Req("GET", f"{API}/chat-queues")),
    E("POST", "/chat-queues", Perm.chat_queues,
      lambda c: Req("POST", f"{API}/chat-queues", {"json": {"code": f"daojia{_n()}", "name": "到家在线"}}), ok=201),
    E("PATCH", "/chat-queues/{queue_id}", Perm.chat_queues,
      lambda c: Req("PATCH", f"{API}/chat-queues/{_queue(c)}", {"json": {"concurrency": 4}})),
    E("GET", "/contacts/{contact_id}/violations", Perm.contacts_read,
      lambda c: Req("GET", f"{API}/contacts/{_contact(c)}/violations")),
    # 质检: the warnings kept on chats, their counts and a chat's transcript (masked) for QA, leads and supervisors
    E("GET", "/qa/violations", Perm.qa_read,
      lambda c: Req("GET", f"{API}/qa/violations", {"params": {"rule": "forbidden_wording"}})),
    E("GET", "/qa/violations/summary", Perm.qa_read,
      lambda c: Req("GET", f"{API}/qa/violations/summary", {"params": {"from": "2026-11-01", "to": "2026-11-30"}})),
    E("GET", "/qa/chats/{contact_id}", Perm.qa_read, lambda c: Req("GET", f"{API}/qa/chats/{_chat_contact(c)}")),
    E("GET", "/chats/{chat_id}", Perm.chat_serve, lambda c: Req("GET", f"{API}/chats/{_chat(c)}")),
    E("POST", "/chats/{chat_id}/ticket", Perm.chat_serve,
      lambda c: Req("POST", f"{API}/chats/{_chat(c)}/ticket", {"json": {"subject": "在线咨询:外卖超时未送达"}}),
      ok=201),
    # adherence: a roster and logged states in, shares out
    E("POST", "/wfm/adherence", Perm.wfm_plan,
      lambda c: Req("POST", f"{API}/wfm/adherence", {"json": {
          "roster": [{"id": "A01", "name": "张伟", "days": [{"date": "2026-12-07", "start": "09:00", "end": "13:00"}]}],
          "logged": [{"agent": "A01", "start": "2026-12-07T09:05:00+08:00", "end": "2026-12-07T13:00:00+08:00",
                      "state": "ready"}]}})),
    # the agent state log: the telephony system's key posts changes; everyone reads their own spans
    E("POST", "/agents/states", Perm.contacts_write,
      lambda c: Req("POST", f"{API}/agents/states", {"json": {"events": [
          {"event_id": f"authz-{_n()}", "agent": "agent2", "state": "示忙", "reason": "培训",
           "at": "2026-11-23T09:00:00+08:00"}]}})),
    E("GET", "/agents/states", USER,
      lambda c: Req("GET", f"{API}/agents/states", {"params": {"from": "2026-11-23", "to": "2026-11-23"}})),
    # a roster published to named agents, and adherence from the stored roster and state log
    E("POST", "/wfm/rosters", Perm.wfm_publish,
      lambda c: Req("POST", f"{API}/wfm/rosters", {"json": {"agents": [{"id": "agent2", "days": [
          {"date": "2026-11-23", "start": "09:00", "end": "18:00"}]}]}})),
    E("GET", "/wfm/adherence", Perm.wfm_plan,
      lambda c: Req("GET", f"{API}/wfm/adherence", {"params": {"from": "2026-11-23", "to": "2026-11-23"}})),
]


def _wfm_points() -> list[dict]:
    return [{"queue": "外卖热线", "interval_start": f"2026-11-{d:02d}T{h:02d}:{m:02d}:00", "count": 10 + h + d % 7}
            for d in range(1, 22) for h in range(8, 22) for m in (0, 30)]


def _raw_pii(world) -> list[str]:
    values = []
    for c in world.customers:
        values += [c.phone, c.email, c.address, c.id_number]
    return values


def _body_text(r) -> str:
    text = r.text
    if r.content and "json" in r.headers.get("content-type", ""):
        text += json.dumps(r.json(), ensure_ascii=False)
    return text


def _call(client, world, who: str, req: Req):
    headers = req.headers if req.headers is not None else ({} if who == ANON else world.headers(who))
    return client.request(req.method, req.url, headers=headers, **req.kw)


def test_every_api_route_is_in_the_matrix(app):
    routes = {
        (m, r.path.removeprefix(API))
        for r in iter_route_contexts(app.routes)
        if (r.path or "").startswith(API + "/")
        for m in (r.methods or ())
        if m != "HEAD"
    }
    table = {(e.method, e.path) for e in ENDPOINTS}
    assert routes, "no /api/v1 routes found"
    assert routes - table == set(), "endpoints missing from the authorization matrix"
    assert table - routes == set(), "the matrix names endpoints that do not exist"


def test_every_permission_guards_some_endpoint():
    assert set(Perm) - {e.guard for e in ENDPOINTS} == set()


@pytest.mark.parametrize("who", ROLES + [ANON])
def test_role_gets_exactly_what_its_permissions_allow(who, client, world, db, clock):
    raw = _raw_pii(world)
    wrong, leaks = [], []
    for e in ENDPOINTS:
        ctx = Ctx(client=client, world=world, db=db, clock=clock, who=who)
        req = e.build(ctx)
        before = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "pii.reveal"))
        r = _call(client, world, who, req)
        if not e.allowed(who):
            expected = 401 if who == ANON else 403
        else:
            expected = e.ok
        if r.status_code != expected:
            wrong.append(f"{e.method} {e.path} as {who}: {r.status_code} (want {expected}) {r.text[:200]}")
            continue
        body = _body_text(r)
        if e.reveals_pii and r.status_code == 200:
            assert any(v in body for v in raw), f"{e.path} revealed nothing"
            after = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "pii.reveal"))
            assert after == before + 1, f"{e.path} by {who} did not write a pii.reveal audit entry"
            entry = db.scalar(
                select(AuditEntry).where(AuditEntry.action == "pii.reveal").order_by(AuditEntry.id.desc())
            )
            assert entry.actor_id == world.users[who].id and entry.detail["reason"]
            assert not any(v in json.dumps(entry.detail, ensure_ascii=False) for v in raw)
            continue
        leaks += [f"{e.method} {e.path} as {who} shows {v}" for v in raw if v in body]
    assert wrong == []
    assert leaks == []


def test_without_credentials_even_a_bad_token_is_401(client, world):
    r = client.get(f"{API}/tickets", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.get(f"{API}/tickets", headers={"Authorization": "Bearer kefu_not-a-key"})
    assert r.status_code == 401


def test_api_key_acts_as_its_user(client, world, db, clock):
    ctx = Ctx(client=client, world=world, db=db, clock=clock, who="admin")
    secret, _key = accounts.create_api_key(db, actor=ctx.actor("admin"), name="CRM", user=world.users["analyst"])
    db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{API}/tickets/export.csv", headers=headers).status_code == 200
    assert client.post(f"{API}/tickets", headers=headers, json={"subject": "分析员不能建单"}).status_code == 403


def test_revoked_api_key_is_refused(client, world, db, clock):
    ctx = Ctx(client=client, world=world, db=db, clock=clock, who="admin")
    secret, key = accounts.create_api_key(db, actor=ctx.actor("admin"), name="CRM", user=world.users["agent"])
    db.commit()
    assert client.delete(f"{API}/api-keys/{key.id}", headers=world.headers("admin")).status_code == 200
    assert client.get(f"{API}/tickets", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_someone_elses_notification_cannot_be_read(client, world, db, clock):
    ctx = Ctx(client=client, world=world, db=db, clock=clock, who="agent2")
    note_id = _own_notification(ctx)
    r = client.post(f"{API}/notifications/{note_id}/read", headers=world.headers("agent"))
    assert r.status_code == 404
    mine = client.get(f"{API}/notifications", headers=world.headers("agent2")).json()
    assert [n["read_at"] for n in mine["data"] if n["id"] == note_id] == [None]
    assert client.get(f"{API}/notifications", headers=world.headers("agent")).json()["count"] == 0


# Facts from SPEC (M2, M11) that the permission table must keep, written out by hand so that a change to
# PERMISSIONS which would also change the matrix above still fails here.
EXPECTED = {
    Perm.tickets_write: {"trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "admin"},
    Perm.tickets_assign: {"team_lead", "complaint_specialist", "supervisor", "admin"},
    Perm.tickets_export: {"supervisor", "analyst", "admin"},
    Perm.pii_reveal: {"team_lead", "complaint_specialist", "supervisor", "admin"},
    Perm.compensation_grant: {"agent", "team_lead", "complaint_specialist", "supervisor", "admin"},
    Perm.categories_write: {"admin"},
    Perm.users_write: {"admin"},
    Perm.sla_write: {"admin"},
    Perm.audit_read: {"supervisor", "admin"},
    Perm.sessions_flags: {"supervisor", "admin"},
    Perm.channels_dead_letters: {"admin"},
    # SPEC M2: external (regulator) complaints are the complaint specialists' work; agents raise internal ones
    Perm.complaints_regulator: {"complaint_specialist", "supervisor", "admin"},
    Perm.complaints_reply: {"complaint_specialist", "supervisor", "admin"},
    Perm.complaints_internal: {"agent", "team_lead", "complaint_specialist", "supervisor", "admin"},
    # SPEC M4/M10: whoever sends messages to customers checks them; QA reviews them against the same rules
    Perm.compliance_check: {"trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "qa", "admin"},
    Perm.contacts_read: {"team_lead", "supervisor", "analyst", "qa", "admin"},
    Perm.contacts_write: {"admin"},
    # SPEC M4: every seat that talks to customers uses the scripts; etiquette is the supervisors' and admins'
    Perm.scripts_read: {"trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "qa", "admin"},
    Perm.scripts_write: {"supervisor", "admin"},
    # SPEC M8: supervisors staff the center and analysts plan it (预测排班)
    Perm.wfm_plan: {"supervisor", "analyst", "admin"},
    # issue 7: who plans the center publishes its roster (排班表) to the agents
    Perm.wfm_publish: {"supervisor", "analyst", "admin"},
    # SPEC M6: alerts go to team leaders and supervisors (上报组长及督导)
    Perm.alerts_handle: {"team_lead", "complaint_specialist", "supervisor", "admin"},
    Perm.alerts_rules: {"supervisor", "admin"},
    # SPEC M5/M7: figures for those who run and analyse the center; 解决力 graded by QA and team leaders
    Perm.reports_read: {"team_lead", "complaint_specialist", "supervisor", "analyst", "qa", "admin"},
    Perm.ratings_write: {"admin"},
    Perm.grades_write: {"team_lead", "supervisor", "qa", "admin"},
    # issue 6: the weekly VOC report's suggested fixes are the analysts' and supervisors' (数据分析, 督导)
    Perm.voc_write: {"supervisor", "analyst", "admin"},
    # issue 4: the etiquette warnings kept on chats are for QA (质检), and the team leads and supervisors who coach
    Perm.qa_read: {"team_lead", "supervisor", "qa", "admin"},
}


@pytest.mark.parametrize("perm", list(EXPECTED), ids=str)
def test_permission_table_keeps_the_spec(perm):
    assert set(PERMISSIONS[perm]) == EXPECTED[perm]


def test_read_only_roles_never_write():
    # compliance.check and wfm.plan read no data and write nothing: they compute from what they are sent;
    # grades.write: grading a ticket's resolution power (解决力) is QA's own work (SPEC M5)
    exempt = (Perm.compliance_check, Perm.wfm_plan, Perm.grades_write)
    writes = [p for p in Perm if not p.value.endswith(".read") and p not in exempt]
    for role in ("qa", "listener"):
        assert [p.value for p in writes if role in PERMISSIONS[p]] == []
    # analysts export tickets and write their own analysis: the VOC report's suggested fixes (建议改进措施), and
    # publish the roster they planned (排班表)
    assert [p.value for p in writes if "analyst" in PERMISSIONS[p]] == ["tickets.export", "wfm.publish",
                                                                        "reports.voc_write"]


# -- the knowledge base (kefu.kb) ---------------------------------------------------------------------------------
def _kb_article(c: Ctx, status: str = "draft", internal: bool = False) -> int:
    from kefu.kb import service as kb

    a = kb.create_article(c.db, actor=c.actor("agent"), data={
        "title": f"红包怎么使用{_n()}", "body": "下单结算时系统会自动选择最优红包。", "tags": ["红包"],
        "internal_only": internal})
    if status in ("review", "published"):
        kb.transition(c.db, actor=c.actor("agent"), article=a, action="submit")
    if status == "published":
        kb.transition(c.db, actor=c.actor("supervisor"), article=a, action="publish")
    c.db.commit()
    return a.id


def _kb_queue(c: Ctx) -> str:
    from kefu.chat.models import ChatQueue

    if c.db.scalar(select(ChatQueue.id).where(ChatQueue.code == "kb_authz")) is None:
        c.db.add(ChatQueue(code="kb_authz", name="外卖在线", concurrency=3, is_active=True, created_at=c.clock.now()))
        c.db.commit()
    return "kb_authz"


def _kb_bot(c: Ctx) -> str:
    from kefu.kb import botservice

    reply = botservice.start(c.db, now=c.clock.now(), queue_code=_kb_queue(c))
    c.db.commit()
    return reply.session.token


def _kb_offered(c: Ctx) -> tuple[str, int]:
    from kefu.kb import botservice

    token = _kb_bot(c)
    bs = botservice.by_token(c.db, token)
    bs.last_article_ids = [_kb_article(c, "published")]
    c.db.commit()
    return token, bs.last_article_ids[0]


def _kb_word(c: Ctx) -> int:
    from kefu.kb import lexicon_admin

    w = lexicon_admin.add_word(c.db, actor=c.actor("admin"), word=f"测试商户{_n()}号店", kind="merchant")
    c.db.commit()
    return w.id


def _kb_group(c: Ctx) -> int:
    from kefu.kb import lexicon_admin

    g = lexicon_admin.add_synonyms(c.db, actor=c.actor("admin"), words=[f"催{_n()}单", "催单"])
    c.db.commit()
    return g.id


def _kb_bot_feedback(c: Ctx) -> Req:
    token, article_id = _kb_offered(c)
    return Req("POST", f"{API}/kb/bot/{token}/feedback", {"json": {"article_id": article_id, "helpful": True}})


ENDPOINTS += [
    E("GET", "/kb/articles", Perm.kb_read, lambda c: (_kb_article(c), Req("GET", f"{API}/kb/articles"))[1]),
    E("POST", "/kb/articles", Perm.kb_write,
      lambda c: Req("POST", f"{API}/kb/articles", {"json": {"title": "发票怎么开", "body": "订单完成后点击开发票。"}}),
      ok=201),
    E("GET", "/kb/articles/{article_id}", Perm.kb_read, lambda c: Req("GET", f"{API}/kb/articles/{_kb_article(c)}")),
    E("PATCH", "/kb/articles/{article_id}", Perm.kb_write,
      lambda c: Req("PATCH", f"{API}/kb/articles/{_kb_article(c)}", {"json": {"tags": ["红包", "满减"]}})),
    E("POST", "/kb/articles/{article_id}/submit", Perm.kb_write,
      lambda c: Req("POST", f"{API}/kb/articles/{_kb_article(c)}/submit", {"json": {}})),
    E("POST", "/kb/articles/{article_id}/review", Perm.kb_publish,
      lambda c: Req("POST", f"{API}/kb/articles/{_kb_article(c, 'review')}/review", {"json": {"action": "publish"}})),
    E("GET", "/kb/articles/{article_id}/versions", Perm.kb_read,
      lambda c: Req("GET", f"{API}/kb/articles/{_kb_article(c, 'published')}/versions")),
    E("POST", "/kb/articles/{article_id}/feedback", Perm.kb_read,
      lambda c: Req("POST", f"{API}/kb/articles/{_kb_article(c, 'published')}/feedback", {"json": {"helpful": True}})),
    E("GET", "/kb/search", Perm.kb_read,
      lambda c: (_kb_article(c, "published"), Req("GET", f"{API}/kb/search", {"params": {"q": "红包用不了"}}))[1]),
    E("POST", "/kb/suggestions", Perm.kb_read,
      lambda c: Req("POST", f"{API}/kb/suggestions", {"json": {"ticket_id": _t(c)}})),
    E("GET", "/kb/words", Perm.kb_read, lambda c: Req("GET", f"{API}/kb/words")),
    E("POST", "/kb/words", Perm.kb_publish,
      lambda c: Req("POST", f"{API}/kb/words", {"json": {"word": f"老街烧烤{_n()}店", "kind": "merchant"}}), ok=201),
    E("DELETE", "/kb/words/{word_id}", Perm.kb_publish,
      lambda c: Req("DELETE", f"{API}/kb/words/{_kb_word(c)}"), ok=204),
    E("GET", "/kb/synonyms", Perm.kb_read, lambda c: Req("GET", f"{API}/kb/synonyms")),
    E("POST", "/kb/synonyms", Perm.kb_publish,
      lambda c: Req("POST", f"{API}/kb/synonyms", {"json": {"words": [f"送{_n()}慢", "配送超时"]}}), ok=201),
    E("DELETE", "/kb/synonyms/{group_id}", Perm.kb_publish,
      lambda c: Req("DELETE", f"{API}/kb/synonyms/{_kb_group(c)}"), ok=204),
    E("GET", "/kb/metrics/deflection", Perm.kb_metrics_read, lambda c: Req("GET", f"{API}/kb/metrics/deflection")),
    # the help center and the bot are the customers': anyone may call them, and they never show internal articles
    E("GET", "/kb/public/search", PUBLIC,
      lambda c: (_kb_article(c, "published"), Req("GET", f"{API}/kb/public/search", {"params": {"q": "红包"}}))[1]),
    E("GET", "/kb/public/articles/{article_id}", PUBLIC,
      lambda c: Req("GET", f"{API}/kb/public/articles/{_kb_article(c, 'published')}")),
    E("POST", "/kb/public/articles/{article_id}/feedback", PUBLIC,
      lambda c: Req("POST", f"{API}/kb/public/articles/{_kb_article(c, 'published')}/feedback",
                    {"json": {"helpful": False}})),
    E("POST", "/kb/bot", PUBLIC, lambda c: Req("POST", f"{API}/kb/bot", {"json": {"queue": _kb_queue(c)}}), ok=201),
    E("GET", "/kb/bot/{token}/turns", PUBLIC, lambda c: Req("GET", f"{API}/kb/bot/{_kb_bot(c)}/turns")),
    E("POST", "/kb/bot/{token}/messages", PUBLIC,
      lambda c: Req("POST", f"{API}/kb/bot/{_kb_bot(c)}/messages", {"json": {"text": "红包怎么用不了"}})),
    E("POST", "/kb/bot/{token}/feedback", PUBLIC, _kb_bot_feedback),
    E("POST", "/kb/bot/{token}/handoff", PUBLIC,
      lambda c: Req("POST", f"{API}/kb/bot/{_kb_bot(c)}/handoff", {"json": {"name": "访客"}})),
    E("POST", "/kb/bot/{token}/end", PUBLIC, lambda c: Req("POST", f"{API}/kb/bot/{_kb_bot(c)}/end")),
]
KB_EXPECTED = {
    # SPEC M9: agents write down what they learn (drafts); leads, supervisors and admins publish to customers
    Perm.kb_write: {"agent", "team_lead", "complaint_specialist", "supervisor", "admin"},
    Perm.kb_publish: {"team_lead", "supervisor", "admin"},
    Perm.kb_metrics_read: {"team_lead", "supervisor", "analyst", "admin"},
}


@pytest.mark.parametrize("perm", list(KB_EXPECTED), ids=str)
def test_kb_permissions_keep_the_spec(perm):
    assert set(PERMISSIONS[perm]) == KB_EXPECTED[perm]
