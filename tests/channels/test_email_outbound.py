"""Replies mailed to the customer: saved with the reply as a durable timer, sent by the worker to a real
SMTP server (aiosmtpd started by the test), threaded so the customer's answer joins the ticket."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from channels.mail import chinese_mail
from kefu.channels.email.adapter import take
from kefu.channels.email.outbound import KIND, compose
from kefu.core.errors import Invalid
from kefu.notifications.models import Notification
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage
from kefu.timers.models import Timer
from kefu.timers.service import MAX_ATTEMPTS, run_due
from kefu.web import fmt

API = "/api/v1"


def test_a_reply_on_an_email_ticket_is_mailed_with_threading_headers_and_the_answer_joins(
        db, world, factory, clock, client, inbox):
    first = take(db, chinese_mail(subject="外卖超时两小时未送达", body="要求退款", charset_name="gbk",
                                  message_id="<c1@mail.example.cn>"), now=clock.now())
    db.commit()
    ticket_id = first.ticket_id
    r = client.post(f"{API}/tickets/{ticket_id}/messages", headers=world.headers("agent"),
                    json={"body": "张先生您好,已为您申请退款,1-3个工作日原路退回。", "internal": False})
    assert r.status_code == 201, r.text
    client.post(f"{API}/tickets/{ticket_id}/messages", headers=world.headers("agent"),
                json={"body": "内部:骑手已联系", "internal": True})
    timer = db.scalar(select(Timer).where(Timer.kind == KIND))
    assert timer is not None and timer.status == "pending"  # saved with the reply, nothing sent yet
    assert inbox.received == []
    assert run_due(factory, clock) >= 1
    assert len(inbox.received) == 1  # the internal note is never mailed
    mail_from, rcpt, raw = inbox.received[0]
    assert (mail_from, rcpt) == ("kefu@kefu.example.cn", ["13812345678@example.cn"])
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == f"Re: [工单#{ticket_id}] 外卖超时两小时未送达"
    assert msg["In-Reply-To"] == "<c1@mail.example.cn>" and "<c1@mail.example.cn>" in msg["References"]
    assert msg["From"].addresses[0].display_name == "美团客服中心"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().strip() == "张先生您好,已为您申请退款,1-3个工作日原路退回。"
    sent_id = msg["Message-ID"]
    assert sent_id.startswith(f"<kefu.{ticket_id}.") and sent_id.endswith("@kefu.example.cn>")
    kinds = db.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)).all()
    assert "email_sent" in kinds
    # the customer answers our mail (their client keeps only In-Reply-To, and drops the subject's number)
    clock.advance(hours=1)
    answer = take(db, chinese_mail(subject="谢谢", body="收到了,谢谢!", message_id="<c2@mail.example.cn>",
                                   in_reply_to=sent_id), now=clock.now())
    assert (answer.status, answer.ticket_id) == ("joined", ticket_id)


def test_a_reply_is_retried_when_the_smtp_server_is_away(db, world, factory, clock, client, inbox):
    first = take(db, chinese_mail(subject="会员充值没到账", body="充了30元", message_id="<r1@mail.example.cn>"),
                 now=clock.now())
    db.commit()
    inbox.refuse = True
    client.post(f"{API}/tickets/{first.ticket_id}/messages", headers=world.headers("agent"),
                json={"body": "您好,正在为您核实充值记录。", "internal": False})
    assert run_due(factory, clock) == 0
    timer = db.scalar(select(Timer).where(Timer.kind == KIND))
    db.refresh(timer)
    assert timer.status == "pending" and timer.attempts == 1 and "451" in timer.last_error
    inbox.refuse = False
    clock.advance(minutes=5)
    assert run_due(factory, clock) >= 1
    assert len(inbox.received) == 1
    db.refresh(timer)
    assert timer.status == "done"
    kinds = db.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == first.ticket_id)).all()
    assert "email_sent" in kinds and "email_failed" not in kinds  # a temporary refusal is nobody's business
    assert db.scalar(select(Notification).where(Notification.kind == "email.failed")) is None


def test_replies_on_other_channels_and_without_smtp_are_not_mailed(db, world, client, clock, mail_settings):
    mail_settings(smtp_host="")
    first = take(db, chinese_mail(subject="退款", body="退款", message_id="<n1@mail.example.cn>"), now=clock.now())
    db.commit()
    client.post(f"{API}/tickets/{first.ticket_id}/messages", headers=world.headers("agent"),
                json={"body": "您好", "internal": False})
    phone = client.post(f"{API}/tickets", headers=world.headers("agent"),
                        json={"subject": "电话投诉", "customer_id": world.customers[0].id, "channel": "phone"}).json()
    client.post(f"{API}/tickets/{phone['id']}/messages", headers=world.headers("agent"),
                json={"body": "您好", "internal": False})
    assert db.scalar(select(Timer).where(Timer.kind == KIND)) is None


def test_a_subject_with_a_line_break_is_refused_and_a_ticket_subject_is_folded_safely(
        db, world, factory, clock, client, inbox):
    from kefu.core.settings import get_settings

    with pytest.raises(Invalid) as refused:
        compose(subject="退款\r\nBcc: victim@example.cn", body="x", to="13812345678@example.cn", to_name="张伟",
                message_id="<x@kefu.example.cn>", in_reply_to=None, references=[], settings=get_settings(),
                date=clock.now())
    assert refused.value.field == "subject"
    first = take(db, chinese_mail(subject="骑手送错地址", body="送错了", message_id="<h1@mail.example.cn>"),
                 now=clock.now())
    db.commit()
    ticket = db.get(Ticket, first.ticket_id)
    ticket.subject = "骑手送错地址\r\nBcc: victim@example.cn"  # however it got there
    db.commit()
    client.post(f"{API}/tickets/{ticket.id}/messages", headers=world.headers("agent"),
                json={"body": "您好,已联系骑手", "internal": False})
    run_due(factory, clock)
    (_from, rcpt, raw) = inbox.received[0]
    msg = message_from_bytes(raw, policy=policy.default)
    assert rcpt == ["13812345678@example.cn"] and msg["Bcc"] is None
    assert msg["Subject"] == f"Re: [工单#{ticket.id}] 骑手送错地址 Bcc: victim@example.cn"
    assert db.scalar(select(TicketMessage.id).where(TicketMessage.ticket_id == ticket.id)) is not None


def _reply(db, client, world, clock, *, subject: str, body: str, reply: str, sender: tuple | None = None) -> int:
    kw = {"sender": sender} if sender else {}
    first = take(db, chinese_mail(subject=subject, body=body, message_id=f"<{abs(hash(subject))}@mail.example.cn>",
                                  **kw), now=clock.now())
    db.commit()
    r = client.post(f"{API}/tickets/{first.ticket_id}/messages", headers=world.headers("agent"),
                    json={"body": reply, "internal": False})
    assert r.status_code == 201, r.text
    return first.ticket_id


def _failure(db, ticket_id: int) -> TicketEvent:
    (event,) = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                    TicketEvent.kind == "email_failed")).all()
    return event


def test_a_permanent_refusal_is_not_retried_and_the_agent_is_told(db, world, factory, clock, client, inbox):
    inbox.answer = "550 5.7.1 内容被拒收 message rejected as spam"
    ticket_id = _reply(db, client, world, clock, subject="骑手私自取消订单", body="订单被取消了",
                       reply="您好,已为您补发订单,预计30分钟送达。")
    assert run_due(factory, clock) == 1  # handled: it is over, not an error to retry
    timer = db.scalar(select(Timer).where(Timer.kind == KIND))
    db.refresh(timer)
    assert (timer.status, timer.attempts) == ("failed", 1) and "550" in timer.last_error
    clock.advance(hours=2)
    assert run_due(factory, clock) == 0 and inbox.data_tries == 1  # never sent again
    event = _failure(db, ticket_id)
    assert event.actor_name == "系统" and event.data["error"].startswith("550 5.7.1 内容被拒收")
    assert "attempts" not in event.data
    note = db.scalar(select(Notification).where(Notification.kind == "email.failed"))
    assert note.user_id == world.users["agent"].id and note.ticket_id == ticket_id
    assert f"工单 #{ticket_id}" in note.title and "550" in note.body
    ctx = fmt.HistoryContext(users={}, messages={})
    assert fmt.describe(event.kind, event.data, "系统", "zh-CN", ctx) == (
        "系统:回复邮件未能发给客户,邮件服务器拒收:550 5.7.1 内容被拒收 message rejected as spam")
    assert fmt.describe(event.kind, event.data, "System", "en", ctx).startswith(
        "System: the reply could not be mailed, the mail server refused it: 550 5.7.1")
    kinds = db.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)).all()
    assert "email_sent" not in kinds


def test_a_refused_recipient_fails_at_once_without_the_address_in_full(db, world, factory, clock, client, inbox):
    inbox.unknown.add("wang.fang.1988@example.cn")
    ticket_id = _reply(db, client, world, clock, subject="会员自动续费扣款", body="我没有开通自动续费",
                       reply="王女士您好,已为您关闭自动续费并退款。", sender=("王芳", "wang.fang.1988@example.cn"))
    run_due(factory, clock)
    assert inbox.data_tries == 0 and inbox.received == []
    event = _failure(db, ticket_id)
    assert event.data["error"].startswith("550 5.1.1") and "用户不存在" in event.data["error"]
    assert "wang.fang.1988@example.cn" not in event.data["error"]
    note = db.scalar(select(Notification).where(Notification.kind == "email.failed"))
    assert note.user_id == world.users["agent"].id and "wang.fang.1988@example.cn" not in note.body


def test_a_reply_given_up_after_the_last_attempt_is_in_the_history_once(db, world, factory, clock, client, inbox):
    inbox.refuse = True  # 451 every time
    ticket_id = _reply(db, client, world, clock, subject="优惠券过期未使用", body="能否延期",
                       reply="您好,优惠券已为您延期7天。")
    for attempt in range(1, MAX_ATTEMPTS + 1):
        run_due(factory, clock)
        failures = db.scalars(select(TicketEvent).where(TicketEvent.kind == "email_failed")).all()
        assert (inbox.data_tries, len(failures)) == (attempt, 1 if attempt == MAX_ATTEMPTS else 0)
        clock.advance(hours=1)
    timer = db.scalar(select(Timer).where(Timer.kind == KIND))
    db.refresh(timer)
    assert (timer.status, timer.attempts, inbox.data_tries) == ("failed", MAX_ATTEMPTS, MAX_ATTEMPTS)
    event = _failure(db, ticket_id)
    assert event.data["attempts"] == MAX_ATTEMPTS and "451" in event.data["error"]
    ctx = fmt.HistoryContext(users={}, messages={})
    assert fmt.describe(event.kind, event.data, "系统", "zh-CN", ctx).startswith(
        f"系统:回复邮件 {MAX_ATTEMPTS} 次发送均失败,已停止重试:")
    assert f"failed {MAX_ATTEMPTS} times" in fmt.describe(event.kind, event.data, "System", "en", ctx)
    (note,) = db.scalars(select(Notification).where(Notification.kind == "email.failed")).all()
    assert note.user_id == world.users["agent"].id and f"已尝试 {MAX_ATTEMPTS} 次" in note.title
    clock.advance(days=1)
    run_due(factory, clock)
    assert inbox.data_tries == MAX_ATTEMPTS
