"""Weibo 粉丝服务平台 pushes: the documented signature vector, URL verification, 私信 of each type, events,
retries taken once, stale timestamps (milliseconds), malformed and oversized bodies."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from kefu.channels.models import InboundMessage
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.tickets.models import Ticket, TicketMessage

URL = "/api/v1/channels/weibo"
SECRET = "9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60"
FAN = 2489518277


@pytest.fixture(autouse=True)
def weibo_secret(monkeypatch):
    monkeypatch.setattr(get_settings(), "weibo_app_secret", SECRET)


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signed(clock, *, secret: str = SECRET, nonce: str = "57155157", skew_ms: int = 0) -> dict:
    ts = str(int(clock.now().timestamp() * 1000) + skew_ms)  # Weibo signs milliseconds
    return {"signature": sha1_sorted(secret, ts, nonce), "timestamp": ts, "nonce": nonce}


def message(clock, kind: str = "text", text: str = "", *, sender: int = FAN, **data) -> bytes:
    created = clock.now().strftime("%a %b %d %H:%M:%S %z %Y")  # "Mon Nov 23 10:00:00 +0800 2026"
    return json.dumps({"type": kind, "receiver_id": 1902538057, "sender_id": sender, "created_at": created,
                       "text": text, "data": data}, ensure_ascii=False).encode()


def push(client, clock, body: bytes, **sign):
    return client.post(URL, params=signed(clock, **sign), content=body,
                       headers={"Content-Type": "application/json"})


def _tickets(db, sender: int = FAN) -> list[Ticket]:
    customer = db.scalar(select(Customer).where(Customer.wechat_openid == f"weibo:{sender}"))
    if customer is None:
        return []
    return list(db.scalars(select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.id)))


def test_the_documented_verification_request_is_answered(client, clock, monkeypatch):
    # the example of Weibo's 接入指南: appsecret xyz123xyz, its timestamp (2014) and nonce
    monkeypatch.setattr(get_settings(), "weibo_app_secret", "xyz123xyz")
    r = client.get(URL, params={"nonce": "57155157", "timestamp": "1397022061823", "echostr": "dnPdpTZz85",
                                "signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"})
    assert r.status_code == 200 and r.text == "dnPdpTZz85"
    r = client.get(URL, params={"nonce": "57155158", "timestamp": "1397022061823", "echostr": "dnPdpTZz85",
                                "signature": "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"})
    assert r.status_code == 403


def test_a_private_message_opens_a_weibo_ticket_and_the_answer_is_empty(client, db, world, clock):
    r = push(client, clock, message(clock, text="你们的骑手把我的餐送错了"))
    assert r.status_code == 200 and r.text == ""
    (ticket,) = _tickets(db)
    assert ticket.channel == "weibo" and ticket.subject == "你们的骑手把我的餐送错了"
    contact = db.scalar(select(Contact).where(Contact.ticket_id == ticket.id))
    assert contact.channel == "weibo" and contact.offered_at == clock.now()


def test_retries_are_taken_once_and_a_conversation_joins_one_ticket(client, db, world, clock):
    first = message(clock, text="订单一直显示配送中")
    push(client, clock, first)
    push(client, clock, first, nonce="1")  # the platform retries within seconds
    push(client, clock, message(clock, text="已经两个小时了"))  # same second, different words: a second message
    clock.advance(minutes=1)
    push(client, clock, message(clock, "image", "发了一张图片", vfid=821234567, tovfid=821234568))
    push(client, clock, message(clock, "voice", "发了一个语音消息", vfid=821234569, tovfid=821234570))
    push(client, clock, message(clock, "position", "发送了一个位置", longitude="116.397470", latitude="39.908823"))
    (ticket,) = _tickets(db)
    bodies = list(db.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id)
                             .order_by(TicketMessage.id)))
    assert ticket.description == "订单一直显示配送中" and bodies[0] == "已经两个小时了"
    assert "821234567" in bodies[1] and "821234569" in bodies[2] and "116.397470" in bodies[3]
    assert db.scalar(select(func.count()).select_from(Contact).where(Contact.ticket_id == ticket.id)) == 5


def test_follow_events_and_unknown_types_open_nothing_a_menu_click_does(client, db, world, clock):
    push(client, clock, message(clock, "event", "关注事件", subtype="follow"))
    push(client, clock, message(clock, "event", "取消关注", sender=1111111111, subtype="unfollow"))
    push(client, clock, message(clock, "sticker", "表情"))
    assert _tickets(db) == [] and _tickets(db, 1111111111) == []
    reasons = sorted(db.scalars(select(InboundMessage.error).where(InboundMessage.status == "ignored")))
    assert reasons == ["event follow", "event unfollow", "unknown type sticker"]
    clock.advance(seconds=5)
    push(client, clock, message(clock, "event", "点击菜单", subtype="click", key="COMPLAINT"))
    (ticket,) = _tickets(db)
    assert "COMPLAINT" in ticket.description


def test_stale_unsigned_malformed_and_oversized_pushes_are_refused(client, db, world, clock, monkeypatch):
    body = message(clock, text="你好")
    r = push(client, clock, body, skew_ms=-301_000)
    assert r.status_code == 403 and r.json()["field"] == "timestamp"
    assert client.post(URL, content=body).status_code == 403
    assert push(client, clock, body, secret="not-the-secret").status_code == 403
    for bad in (b"{not json", b"[1, 2]", b'{"type": "text", "sender_id": 1}', "不是JSON".encode("gbk"),
                json.dumps({"type": "text", "sender_id": 1, "receiver_id": 2, "created_at": "yesterday"}).encode()):
        assert push(client, clock, bad).status_code == 400, bad
    monkeypatch.setattr(get_settings(), "webhook_max_bytes", 2048)
    assert push(client, clock, message(clock, text="退款" * 1000)).status_code == 413
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0
