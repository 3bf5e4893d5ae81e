"""WeChat Official Account pushes: the signature (vectors computed here, independently), URL verification,
each message type, events, replays, stale timestamps, malformed and oversized bodies, one conversation
on one ticket, and a dead letter re-processed through the adapter."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from kefu.channels import intake
from kefu.channels.base import ADAPTERS
from kefu.channels.models import InboundMessage
from kefu.channels.webhook import signature
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.tickets.models import Ticket, TicketMessage

URL = "/api/v1/channels/wechat"
TOKEN = "kefu-wx-2026"
OPENID = "oR5Gjjl_eiZoUpGozMo7dbBJ362A"


@pytest.fixture(autouse=True)
def wechat_token(monkeypatch):
    monkeypatch.setattr(get_settings(), "wechat_token", TOKEN)


def sha1_sorted(*parts: str) -> str:
    """The platform's rule written out independently of kefu: sort, concatenate, SHA-1."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signed(clock, *, token: str = TOKEN, nonce: str = "1857392046", skew: int = 0) -> dict:
    ts = str(int(clock.now().timestamp()) + skew)
    return {"signature": sha1_sorted(token, ts, nonce), "timestamp": ts, "nonce": nonce}


def xml(clock, msg_type: str = "text", *, openid: str = OPENID, msg_id: str | None = "24876321905412345",
        **fields) -> bytes:
    parts = ["<ToUserName><![CDATA[gh_3f8a2c1d9e07]]></ToUserName>",
             f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
             f"<CreateTime>{int(clock.now().timestamp())}</CreateTime>",
             f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
    parts += [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()]
    if msg_id:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


def push(client, clock, body: bytes, **sign):
    return client.post(URL, params=signed(clock, **sign), content=body, headers={"Content-Type": "text/xml"})


def _count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where))


def _ticket_of(db, openid: str = OPENID) -> list[Ticket]:
    customer = db.scalar(select(Customer).where(Customer.wechat_openid == openid))
    if customer is None:
        return []
    return list(db.scalars(select(Ticket).where(Ticket.customer_id == customer.id).order_by(Ticket.id)))


def test_signature_vectors_accept_and_reject():
    ts, nonce = "1795832400", "1857392046"
    want = sha1_sorted(TOKEN, ts, nonce)
    assert signature(TOKEN, ts, nonce) == want
    assert signature(ts, nonce, TOKEN) == want  # order of the parts does not matter: they are sorted
    # a published vector (Weibo's documentation uses the same rule): secret xyz123xyz
    assert signature("xyz123xyz", "1397022061823", "57155157") == "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
    adapter = ADAPTERS["wechat"]
    adapter.check_signature(want, ts, nonce)
    adapter.check_signature(want.upper(), ts, nonce)
    for bad in (sha1_sorted("another-token", ts, nonce), sha1_sorted(TOKEN, ts, "1857392047"), "", want[:-1]):
        with pytest.raises(Exception) as err:
            adapter.check_signature(bad, ts, nonce)
        assert getattr(err.value, "status_code", None) == 403


def test_url_verification_echoes_echostr_only_when_signed(client, clock):
    r = client.get(URL, params={**signed(clock), "echostr": "5838479218127813673"})
    assert r.status_code == 200 and r.text == "5838479218127813673"
    assert r.headers["content-type"].startswith("text/plain")
    r = client.get(URL, params={**signed(clock, token="wrong"), "echostr": "5838479218127813673"})
    assert r.status_code == 403 and "5838479218127813673" not in r.text
    assert client.get(URL, params={"echostr": "x"}).status_code == 403


def test_without_a_configured_token_every_request_is_refused(client, clock, monkeypatch):
    monkeypatch.setattr(get_settings(), "wechat_token", None)
    assert client.get(URL, params={**signed(clock), "echostr": "1"}).status_code == 403
    assert push(client, clock, xml(clock, Content="你好")).status_code == 403


def test_a_text_message_opens_a_wechat_ticket_for_a_new_customer(client, db, world, clock):
    r = push(client, clock, xml(clock, Content="我的外卖超时一个小时了,还没送到"))
    assert r.status_code == 200 and r.text == "success"
    (ticket,) = _ticket_of(db)
    assert (ticket.channel, ticket.status, ticket.subject) == ("wechat", "new", "我的外卖超时一个小时了,还没送到")
    assert ticket.resolution_due_at is not None
    contact = db.scalar(select(Contact).where(Contact.ticket_id == ticket.id))
    assert (contact.channel, contact.external_id, contact.direction) == ("wechat", "24876321905412345", "inbound")
    assert contact.offered_at == clock.now()


def test_image_voice_and_location_keep_what_an_agent_needs(client, db, world, clock):
    push(client, clock, xml(clock, "image", msg_id="1001", PicUrl="http://mmbiz.qpic.cn/mmbiz/receipt.jpg",
                            MediaId="media_image_8812"))
    push(client, clock, xml(clock, "voice", msg_id="1002", MediaId="media_voice_7781", Format="amr",
                            Recognition="骑手把餐洒了,我要退款"))
    push(client, clock, xml(clock, "voice", msg_id="1003", MediaId="media_voice_7782", Format="amr"))
    push(client, clock, xml(clock, "location", msg_id="1004", Location_X="39.908823", Location_Y="116.397470",
                            Scale="15", Label="北京市东城区东长安街"))
    (ticket,) = _ticket_of(db)
    bodies = [ticket.description] + list(db.scalars(select(TicketMessage.body).where(
        TicketMessage.ticket_id == ticket.id).order_by(TicketMessage.id)))
    assert "http://mmbiz.qpic.cn/mmbiz/receipt.jpg" in bodies[0] and "media_image_8812" in bodies[0]
    assert "骑手把餐洒了,我要退款" in bodies[1] and "media_voice_7781" in bodies[1]
    assert "media_voice_7782" in bodies[2]
    assert "北京市东城区东长安街" in bodies[3]
    assert _count(db, Contact, Contact.ticket_id == ticket.id) == 4


def test_a_conversation_joins_one_ticket_and_a_replay_is_taken_once(client, db, world, clock):
    first = xml(clock, Content="订单号 20261123001 的餐少了一份", msg_id="5001")
    assert push(client, clock, first).status_code == 200
    clock.advance(minutes=2)
    assert push(client, clock, xml(clock, Content="麻烦尽快处理", msg_id="5002")).status_code == 200
    clock.advance(seconds=5)
    # WeChat retries a push it did not get an answer to: same MsgId, new signature
    assert push(client, clock, first, nonce="99887766").status_code == 200
    (ticket,) = _ticket_of(db)
    assert list(db.scalars(select(TicketMessage.body).where(TicketMessage.ticket_id == ticket.id))) == [
        "麻烦尽快处理"]
    assert _count(db, Contact, Contact.ticket_id == ticket.id) == 2
    assert _count(db, InboundMessage, InboundMessage.channel == "wechat") == 2
    # another follower writing at the same time has a ticket of their own
    push(client, clock, xml(clock, openid="oR5Gjjl_other_follower_0001", Content="红包没到账", msg_id="5003"))
    assert len(_ticket_of(db, "oR5Gjjl_other_follower_0001")) == 1 and len(_ticket_of(db)) == 1


def test_events_menu_click_is_a_contact_follows_and_unfollows_open_nothing(client, db, world, clock):
    assert push(client, clock, xml(clock, "event", msg_id=None, Event="subscribe", EventKey="")).text == "success"
    clock.advance(seconds=30)
    push(client, clock, xml(clock, "event", msg_id=None, Event="CLICK", EventKey="CONTACT_AGENT"))
    (ticket,) = _ticket_of(db)
    assert "CONTACT_AGENT" in ticket.description
    clock.advance(seconds=30)
    unsubscribe = xml(clock, "event", openid="oR5Gjjl_leaving_follower_01", msg_id=None, Event="unsubscribe")
    assert push(client, clock, unsubscribe).status_code == 200
    assert push(client, clock, unsubscribe, nonce="1").status_code == 200  # replayed: still recorded once
    assert _ticket_of(db, "oR5Gjjl_leaving_follower_01") == []
    ignored = list(db.scalars(select(InboundMessage).where(InboundMessage.status == "ignored")))
    assert sorted(m.error for m in ignored) == ["event subscribe", "event unsubscribe"]
    assert _count(db, Contact, Contact.channel == "wechat") == 1


def test_a_stale_timestamp_is_refused_as_a_replay(client, db, world, clock):
    body = xml(clock, Content="你好")
    for skew in (-301, 301, -3600):
        r = push(client, clock, body, skew=skew)
        assert r.status_code == 403 and r.json()["field"] == "timestamp"
    assert push(client, clock, body, skew=-299).status_code == 200
    assert _count(db, Contact, Contact.channel == "wechat") == 1


def test_unsigned_and_wrongly_signed_pushes_are_403_and_store_nothing(client, db, world, clock):
    body = xml(clock, Content="你好")
    assert client.post(URL, content=body).status_code == 403
    assert push(client, clock, body, token="guessed-token").status_code == 403
    assert _count(db, InboundMessage) == 0 and _ticket_of(db) == []


@pytest.mark.parametrize("body", [
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>",  # cut off
    b"not xml at all",
    b"<html><body>hello</body></html>",  # not a WeChat message
    b"<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",  # no sender
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>soon</CreateTime>"
    b"<MsgType>text</MsgType></xml>",
    # entity expansion (billion laughs) and an external entity: refused, never expanded or fetched
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>text</MsgType><Content>&lol2;</Content></xml>",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
    b"<MsgType>text</MsgType><Content>&xxe;</Content></xml>",
], ids=["truncated", "text", "html", "no-sender", "bad-time", "billion-laughs", "xxe"])
def test_malformed_xml_is_400(body, client, db, world, clock):
    r = push(client, clock, body)
    assert r.status_code == 400, r.text
    assert "root:" not in r.text and _count(db, InboundMessage) == 0


def test_an_oversized_body_is_413_declared_or_streamed(client, db, world, clock, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_max_bytes", 4096)
    big = xml(clock, Content="退款" * 2000)
    assert len(big) > 4096
    assert push(client, clock, big).status_code == 413

    def chunks():  # no Content-Length: counted while read
        for i in range(0, len(big), 1000):
            yield big[i:i + 1000]

    r = client.post(URL, params=signed(clock), content=chunks())
    assert r.status_code == 413
    assert _count(db, InboundMessage) == 0
    assert push(client, clock, xml(clock, Content="退款" * 100)).status_code == 200


def test_a_dead_letter_is_reprocessed_through_the_wechat_adapter(db, world, clock):
    raw = xml(clock, Content="优惠券无法使用", msg_id="7001")
    row = intake.dead_letter(db, channel="wechat", external_id="7001", raw=raw,
                             error="OperationalError: database is locked", now=clock.now())
    clock.advance(minutes=10)
    (got,) = intake.reprocess(db, inbound_id=row.id, now=clock.now())
    assert got.status == "created"
    ticket = db.get(Ticket, got.ticket_id)
    assert ticket.channel == "wechat" and ticket.description == "优惠券无法使用"
    assert db.get(InboundMessage, row.id).status == "processed"
