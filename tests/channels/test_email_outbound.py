"""Replies mailed to the customer: saved with the reply as a durable timer, sent by the worker to a real
SMTP server (aiosmtpd started by the test), threaded so the customer's answer joins the ticket."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from channels.conftest import free_port
from channels.mail import chinese_mail
from kefu.channels.email.adapter import take
from kefu.channels.email.outbound import KIND, compose
from kefu.core.errors import Invalid
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage
from kefu.timers.models import Timer
from kefu.timers.service import run_due

API = "/api/v1"


class Inbox:
    """The customer's mail server: keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse = False
        self.got = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 4.3.2 try again later"
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        self.got.set()
        return "250 OK"


@pytest.fixture
def inbox(mail_settings):
    box = Inbox()
    port = free_port()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    mail_settings(smtp_host="127.0.0.1", smtp_port=port, mail_from="美团客服中心 <kefu@kefu.example.cn>")
    yield box
    server.stop()


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
