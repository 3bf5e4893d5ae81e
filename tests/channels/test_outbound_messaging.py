"""Agents' replies to WeChat and Weibo customers: queued with the reply, sent by the timer worker to a local
imitation of each platform's API (a real HTTP server), the access token kept and renewed, failures retried
with backoff or given up, and the delivery state shown on the ticket."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from channels.platforms import WEIBO_TOKEN
from channels.test_wechat import OPENID, signed, xml
from channels.test_weibo import FAN
from channels.test_weibo import message as weibo_message
from channels.test_weibo import signed as weibo_signed
from kefu.channels.models import ChannelToken, OutboundMessage
from kefu.channels.outbox import backoff, parts
from kefu.notifications.models import Notification
from kefu.tickets.models import TicketEvent
from kefu.timers.service import MAX_ATTEMPTS, run_due
from web.helpers import login

API = "/api/v1"


def _ticket_of_openid(db, openid: str) -> int:
    from kefu.customers.models import Customer
    from kefu.tickets.models import Ticket

    customer = db.scalar(select(Customer).where(Customer.wechat_openid == openid))
    return db.scalar(select(Ticket.id).where(Ticket.customer_id == customer.id).order_by(Ticket.id.desc()))


def wechat_ticket(db, client, clock, text: str = "骑手超时一小时还没送到", msg_id: str = "24876321905410001") -> int:
    r = client.post(f"{API}/channels/wechat", params=signed(clock, token="kefu-wx-2026"),
                    content=xml(clock, Content=text, msg_id=msg_id), headers={"Content-Type": "text/xml"})
    assert r.status_code == 200, r.text
    return _ticket_of_openid(db, OPENID)


def reply(client, world, ticket_id: int, body: str, *, internal: bool = False, who: str = "agent") -> int:
    r = client.post(f"{API}/tickets/{ticket_id}/messages", headers=world.headers(who),
                    json={"body": body, "internal": internal})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def delivery(client, world, ticket_id: int, message_id: int) -> dict | None:
    rows = client.get(f"{API}/tickets/{ticket_id}/messages", headers=world.headers("agent")).json()["data"]
    return next(m for m in rows if m["id"] == message_id)["delivery"]


def ticket_page(client, ticket_id: int):
    login(client, "agent")
    page = client.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    return page


def events(db, ticket_id: int, kind: str) -> list[TicketEvent]:
    return list(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == kind)
                           .order_by(TicketEvent.id)))


def test_a_reply_to_a_wechat_customer_goes_out_through_the_customer_service_api(
        db, world, factory, clock, client, platform):
    ticket_id = wechat_ticket(db, client, clock)
    first = reply(client, world, ticket_id, "您好,已为您催促骑手,预计10分钟内送达。")
    note = reply(client, world, ticket_id, "内部:骑手电话未接", internal=True)
    assert platform.wechat == []  # saved with the reply; the worker sends it
    assert delivery(client, world, ticket_id, first)["state"] == "pending"
    assert delivery(client, world, ticket_id, note) is None
    assert run_due(factory, clock) >= 1
    assert platform.wechat == [{"touser": OPENID, "msgtype": "text",
                                "text": {"content": "您好,已为您催促骑手,预计10分钟内送达。"}}]
    assert len(platform.token_requests) == 1
    state = delivery(client, world, ticket_id, first)
    assert state["state"] == "sent" and state["channel"] == "wechat" and state["attempts"] == 1
    (sent,) = events(db, ticket_id, "channel_sent")
    assert sent.data["message_id"] == first and sent.actor_name == "系统"
    page = ticket_page(client, ticket_id)
    assert "已通过微信将回复发给客户" in page.text
    # the token is kept in the database and used for the next reply: no second fetch
    token = db.scalar(select(ChannelToken))
    assert token.token == "ACCESS_TOKEN_1" and token.expires_at > clock.now()
    clock.advance(minutes=20)
    reply(client, world, ticket_id, "骑手已取餐,请留意电话。")
    run_due(factory, clock)
    assert [m["text"]["content"] for m in platform.wechat][-1] == "骑手已取餐,请留意电话。"
    assert len(platform.token_requests) == 1


def test_an_expired_token_is_fetched_again_and_the_message_still_goes(db, world, factory, clock, client, platform):
    ticket_id = wechat_ticket(db, client, clock)
    reply(client, world, ticket_id, "您好,请提供订单号。")
    run_due(factory, clock)
    platform.expire_tokens()  # the platform voided it (42001 on the next use)
    clock.advance(minutes=5)
    second = reply(client, world, ticket_id, "已为您退款28元。")
    run_due(factory, clock)
    assert [m["text"]["content"] for m in platform.wechat] == ["您好,请提供订单号。", "已为您退款28元。"]
    assert len(platform.token_requests) == 2
    assert delivery(client, world, ticket_id, second)["state"] == "sent"
    assert db.scalar(select(ChannelToken.token)) == "ACCESS_TOKEN_2"
    # a token past its expiry is not used at all: fetched before the send
    clock.advance(hours=2)
    reply(client, world, ticket_id, "请问还有其他问题吗?")
    run_due(factory, clock)
    assert len(platform.token_requests) == 3 and len(platform.wechat) == 3


def test_a_5xx_is_retried_with_backoff_and_then_sent(db, world, factory, clock, client, platform):
    ticket_id = wechat_ticket(db, client, clock)
    platform.fail_sends = [502]
    message_id = reply(client, world, ticket_id, "您好,优惠券已补发到您的账户。")
    run_due(factory, clock)
    state = delivery(client, world, ticket_id, message_id)
    assert state["state"] == "pending" and state["attempts"] == 1 and "502" in state["error"]
    assert platform.wechat == []
    clock.advance(seconds=10)
    run_due(factory, clock)
    assert platform.send_tries == 1  # not before its backoff
    clock.advance(seconds=25)
    run_due(factory, clock)
    assert [m["text"]["content"] for m in platform.wechat] == ["您好,优惠券已补发到您的账户。"]
    state = delivery(client, world, ticket_id, message_id)
    assert state["state"] == "sent" and state["attempts"] == 2 and state["error"] is None
    assert events(db, ticket_id, "channel_failed") == []


def test_a_long_text_is_cut_into_pieces_at_line_breaks_where_it_can():
    assert parts("您好", 300) == ["您好"]
    assert parts("甲" * 700, 300) == ["甲" * 300, "甲" * 300, "甲" * 100]
    text = "第一段" * 60 + "\n" + "第二段" * 60  # 180 + 1 + 180 characters
    assert parts(text, 300) == ["第一段" * 60, "第二段" * 60]
    assert all(len(p) <= 300 for p in parts("说明。\n" * 200, 300))


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(12).total_seconds() == 3600


def test_a_closed_reply_window_fails_at_once_and_the_agent_is_told(
        db, world, factory, clock, client, platform, caplog):
    ticket_id = wechat_ticket(db, client, clock)
    platform.errcodes = [45015]  # more than 48 hours since the customer last wrote
    message_id = reply(client, world, ticket_id, "张先生您好,您的退款已到账,联系电话13812345678。")
    with caplog.at_level(logging.INFO):
        run_due(factory, clock)
        clock.advance(hours=3)
        run_due(factory, clock)
    assert platform.send_tries == 1  # never tried again
    state = delivery(client, world, ticket_id, message_id)
    assert state["state"] == "failed" and "45015" in state["error"]
    (failed,) = events(db, ticket_id, "channel_failed")
    assert "attempts" not in failed.data
    page = ticket_page(client, ticket_id)
    assert "回复未能通过微信发给客户" in page.text
    note = db.scalar(select(Notification).where(Notification.kind == "channel.failed"))
    assert note.user_id == world.users["agent"].id and note.ticket_id == ticket_id and "45015" in note.body
    assert "13812345678" not in caplog.text and OPENID not in caplog.text and "ACCESS_TOKEN" not in caplog.text
    assert "45015" in caplog.text


def test_a_message_is_given_up_after_its_tries(db, world, factory, clock, client, platform, mail_settings):
    mail_settings(channel_send_attempts=3)
    ticket_id = wechat_ticket(db, client, clock)
    platform.fail_sends = [503] * 10
    message_id = reply(client, world, ticket_id, "您好,正在为您核实。")
    for _ in range(6):
        run_due(factory, clock)
        clock.advance(minutes=5)
    assert platform.send_tries == 3
    state = delivery(client, world, ticket_id, message_id)
    assert state["state"] == "failed" and state["attempts"] == 3
    (failed,) = events(db, ticket_id, "channel_failed")
    assert failed.data["attempts"] == 3
    page = ticket_page(client, ticket_id)
    assert "3 次通过微信发送均失败" in page.text


def test_without_credentials_nothing_is_sent_and_the_reply_fails_visibly(
        db, world, factory, clock, client, platform, mail_settings):
    mail_settings(wechat_secret="", channel_send_attempts=1)
    ticket_id = wechat_ticket(db, client, clock)
    message_id = reply(client, world, ticket_id, "您好")
    run_due(factory, clock)
    assert platform.send_tries == 0 and platform.token_requests == []
    assert "not configured" in delivery(client, world, ticket_id, message_id)["error"]


def test_a_weibo_fan_gets_the_reply_as_a_private_message_in_pieces_of_300(
        db, world, factory, clock, client, platform):
    r = client.post(f"{API}/channels/weibo", params=weibo_signed(clock, secret="kefu-weibo-secret"),
                    content=weibo_message(clock, text="商家拒绝退款怎么办"),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    ticket_id = _ticket_of_openid(db, f"weibo:{FAN}")
    long_text = "您好," + "关于商家拒绝退款的处理流程说明。" * 30
    reply(client, world, ticket_id, long_text)
    run_due(factory, clock)
    assert {m["receiver_id"] for m in platform.weibo} == {str(FAN)} and len(platform.weibo) == 2
    assert all(len(m["text"]) <= 300 for m in platform.weibo)
    assert "".join(m["text"] for m in platform.weibo) == long_text
    assert db.scalar(select(OutboundMessage.state)) == "sent"
    # the second piece of a long reply meets a 5xx: the retry sends that piece only
    platform.weibo.clear()
    platform.weibo_errors = [None, (502, 10001, "system error")]
    other = "补充说明:" + "退款将在1-3个工作日内原路退回。" * 25
    other_id = reply(client, world, ticket_id, other)
    run_due(factory, clock)
    assert len(platform.weibo) == 1 and delivery(client, world, ticket_id, other_id)["state"] == "pending"
    clock.advance(seconds=31)
    run_due(factory, clock)
    assert "".join(m["text"] for m in platform.weibo) == other and len(platform.weibo) == 2
    assert delivery(client, world, ticket_id, other_id)["state"] == "sent"
    # an unfollowed fan (a 20xxx error) fails at once; a bad token (21332) is retried
    platform.weibo_errors = [(400, 20603, "user unfollowed")]
    second = reply(client, world, ticket_id, "请问问题解决了吗?")
    run_due(factory, clock)
    assert delivery(client, world, ticket_id, second)["state"] == "failed"


def test_a_wrong_weibo_token_is_retried(db, world, factory, clock, client, platform, mail_settings):
    mail_settings(weibo_access_token="expired-token")
    r = client.post(f"{API}/channels/weibo", params=weibo_signed(clock, secret="kefu-weibo-secret"),
                    content=weibo_message(clock, text="配送费多收了"), headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    ticket_id = _ticket_of_openid(db, f"weibo:{FAN}")
    message_id = reply(client, world, ticket_id, "您好,多收的配送费已退回。")
    run_due(factory, clock)
    state = delivery(client, world, ticket_id, message_id)
    assert state["state"] == "pending" and "21332" in state["error"]
    mail_settings(weibo_access_token=WEIBO_TOKEN)  # the admin renewed it
    clock.advance(minutes=1)
    run_due(factory, clock)
    assert [m["text"] for m in platform.weibo] == ["您好,多收的配送费已退回。"]


@pytest.mark.parametrize("channel", ["email", "phone"])
def test_replies_on_other_channels_do_not_enter_the_outbox(db, world, client, channel):
    t = client.post(f"{API}/tickets", headers=world.headers("agent"),
                    json={"subject": "退款咨询", "customer_id": world.customers[0].id, "channel": channel}).json()
    reply(client, world, t["id"], "您好")
    assert db.scalar(select(OutboundMessage)) is None


def test_a_send_that_keeps_crashing_ends_failed_not_pending_forever(
        db, world, factory, clock, client, platform, monkeypatch):
    from kefu.channels import wechat_api

    def broken(*args, **kwargs):
        raise RuntimeError("数据库连接中断")

    monkeypatch.setattr(wechat_api.WeChatSender, "send_text", broken)
    ticket_id = wechat_ticket(db, client, clock)
    message_id = reply(client, world, ticket_id, "您好,已为您登记。")
    for _ in range(MAX_ATTEMPTS + 1):
        run_due(factory, clock)
        clock.advance(minutes=10)
    state = delivery(client, world, ticket_id, message_id)
    assert state["state"] == "failed" and "数据库连接中断" in state["error"]
    assert len(events(db, ticket_id, "channel_failed")) == 1
