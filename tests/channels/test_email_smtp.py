"""The SMTP receiver: real mail sent with smtplib to a running receiver, read back as tickets."""

from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import func, select

from channels.conftest import KEFU, free_port, send
from channels.mail import chinese_mail
from kefu.channels.email.smtp import controller
from kefu.channels.models import InboundMessage
from kefu.core.db import make_engine, make_sessionmaker
from kefu.tickets.models import Attachment, Ticket, TicketMessage


def _messages(db, ticket_id) -> list[tuple[str, str]]:
    rows = db.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id))
    return [(m.author_kind, m.body) for m in rows]


def test_mail_sent_by_smtp_opens_a_ticket_and_a_reply_by_in_reply_to_joins_it(db, world, receiver):
    send(receiver, chinese_mail(subject="外卖超时两小时未送达", body="等了两个小时还没送到,要求退款。",
                                charset_name="gb2312", message_id="<first@mail.example.cn>"))
    ticket = db.scalar(select(Ticket).where(Ticket.channel == "email"))
    assert ticket.subject == "外卖超时两小时未送达" and ticket.customer_id == world.customers[0].id
    assert ticket.description == "等了两个小时还没送到,要求退款。"
    send(receiver, chinese_mail(subject="Re: 外卖超时两小时未送达", body="还是没有人联系我。\n\n> 等了两个小时",
                                charset_name="gbk", transfer="qp", message_id="<second@mail.example.cn>",
                                in_reply_to="<first@mail.example.cn>"))
    assert _messages(db, ticket.id) == [("customer", "还是没有人联系我。")]
    assert db.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == "email")) == 1


def test_a_ticket_number_in_the_subject_joins_that_ticket(db, world, receiver):
    send(receiver, chinese_mail(subject="会员充值没到账", body="充了30元", message_id="<p1@mail.example.cn>"))
    ticket = db.scalar(select(Ticket).where(Ticket.channel == "email"))
    send(receiver, chinese_mail(subject=f"補充 [工單#{ticket.id}]", body="訂單號 2026112300123",
                                message_id="<p2@mail.example.cn>", charset_name="big5",
                                sender=("張偉", "13812345678@example.cn")))
    assert _messages(db, ticket.id) == [("customer", "訂單號 2026112300123")]


def test_same_message_delivered_twice_is_taken_once(db, world, receiver):
    raw = chinese_mail(subject="骑手态度恶劣", body="骑手辱骂我", message_id="<twice@mail.example.cn>")
    send(receiver, raw)
    send(receiver, raw)
    assert db.scalar(select(func.count()).select_from(Ticket).where(Ticket.subject == "骑手态度恶劣")) == 1


def test_auto_reply_and_bounce_are_recorded_and_never_open_a_ticket(db, world, receiver):
    send(receiver, chinese_mail(subject="自动回复:休假中", body="我正在休假", message_id="<ooo@mail.example.cn>",
                                extra={"Auto-Submitted": "auto-replied"}))
    send(receiver, chinese_mail(subject="退信", body="Delivery failed", message_id="<dsn@mx.example.cn>",
                                sender=("Mail Delivery", "notify@mx.example.cn")), sender="")
    assert db.scalar(select(func.count()).select_from(Ticket)) == 0
    rows = {r.external_id: (r.status, r.error) for r in db.scalars(select(InboundMessage))}
    assert rows == {"<ooo@mail.example.cn>": ("ignored", "Auto-Submitted: auto-replied"),
                    "<dsn@mx.example.cn>": ("ignored", "empty envelope sender (a bounce)")}


def test_an_oversized_attachment_is_dropped_with_a_note_and_the_rest_kept(db, world, receiver):
    png = b"\x89PNG\r\n\x1a\n" + b"\1" * 1000
    raw = chinese_mail(subject="退款凭证", body="截图和录像见附件", message_id="<att@mail.example.cn>",
                       attachments=[("订单截图.png", "image/png", png), ("录像.pdf", "application/pdf", b"%" * 60_000)])
    send(receiver, raw)
    ticket = db.scalar(select(Ticket).where(Ticket.channel == "email"))
    stored = db.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert [(a.filename, a.content_type, a.data) for a in stored] == [("订单截图.png", "image/png", png)]
    assert ticket.description == "截图和录像见附件\n\n〔系统〕附件「录像.pdf」(59 KB)超过 49 KB 上限,未保存"


def test_mail_for_other_domains_and_over_the_size_limit_is_refused_with_smtp_codes(db, world, receiver):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(receiver, chinese_mail(subject="x", body="y"), to=["someone@elsewhere.cn"])
    assert refused.value.recipients["someone@elsewhere.cn"][0] == 550
    with pytest.raises(smtplib.SMTPSenderRefused) as too_big:  # SIZE= announced: refused at MAIL FROM
        with smtplib.SMTP("127.0.0.1", receiver, timeout=30) as smtp:
            smtp.sendmail("13812345678@example.cn", [KEFU], chinese_mail(subject="大", body="大" * 200_000))
    assert too_big.value.smtp_code == 552
    assert db.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_message_without_sender_is_kept_as_a_dead_letter_and_still_answered_250(db, world, receiver):
    raw = (b"To: kefu@kefu.example.cn\r\nSubject: =?utf-8?b?5rKh5pyJ5Y+R5Lu25Lq6?=\r\n"
           b"Message-ID: <nofrom@x.cn>\r\n\r\nhi\r\n")
    assert send(receiver, raw) == {}  # accepted
    row = db.scalar(select(InboundMessage))
    assert (row.status, row.external_id, row.raw) == ("dead", "<nofrom@x.cn>", raw)
    assert "NoSender" in row.error


def test_the_database_down_answers_451_so_the_sender_retries(tmp_path, clock, mail_settings):
    settings = mail_settings(mail_from=f"客服中心 <{KEFU}>")
    broken = make_sessionmaker(make_engine(f"sqlite:///{tmp_path}/missing/dir/kefu.db"))
    port = free_port()
    server = controller(broken, clock, settings, host="127.0.0.1", port=port)
    server.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as failed:
            send(port, chinese_mail(subject="数据库挂了", body="请稍后"))
        assert failed.value.smtp_code == 451
    finally:
        server.stop()
