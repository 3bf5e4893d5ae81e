"""Survey invitations after a conversation ends: one per e-mail, WeChat or Weibo ticket, mailed to a real
SMTP server (aiosmtpd) in the ticket's thread or sent to the local imitation of the WeChat / Weibo API, the
link followed with the test client (GET shows the question, POST rates the right contact). Time moves with
the injected clock."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from channels.mail import chinese_mail
from channels.test_outbound_messaging import _ticket_of_openid, events, reply, ticket_page, wechat_ticket
from channels.test_weibo import FAN
from channels.test_weibo import message as weibo_message
from channels.test_weibo import signed as weibo_signed
from kefu.channels.email.adapter import take
from kefu.contacts.models import Contact
from kefu.satisfaction import service as satisfaction
from kefu.satisfaction.invitations import KIND, language_of
from kefu.satisfaction.models import SatisfactionRating, SurveyInvitation
from kefu.timers.models import Timer
from kefu.timers.service import run_due

API = "/api/v1"
PUBLIC = "https://kefu.example.cn"
LINK = re.compile(re.escape(PUBLIC) + r"(/survey/[A-Za-z0-9._-]+(?:\?lang=en)?)")


@pytest.fixture
def invite_settings(mail_settings):
    return mail_settings(public_url=PUBLIC, survey_invite_delay_minutes=30)


def set_status(client, world, ticket_id: int, status: str) -> None:
    r = client.patch(f"{API}/tickets/{ticket_id}", headers=world.headers("agent"), json={"status": status})
    assert r.status_code == 200, r.text


def mails(inbox):
    return [message_from_bytes(raw, policy=policy.default) for _f, _r, raw in inbox.received]


def invitations(inbox):
    return [m for m in mails(inbox) if "/survey/" in m.get_content()]


def contact_of(db, message_id: str) -> int:
    return db.scalar(select(Contact.id).where(Contact.channel == "email", Contact.external_id == message_id))


def vote(client, path: str, level: int, **form):
    client.cookies.clear()  # the customer has no kefu login
    return client.post(path, data={"level": str(level), **form})


def test_language_of_the_customer():
    assert language_of(["外卖超时", "要求退款"]) == "zh-CN"
    assert language_of(["Order 2231 arrived cold", "I want a refund"]) == "en"
    assert language_of(["Order 2231", "退款"]) == "zh-CN"  # one Chinese word: Chinese
    assert language_of(["13812345678", ""]) == "zh-CN"  # nothing to tell: the default


def test_a_resolved_email_ticket_invites_its_customer_once_in_its_thread_with_a_link_that_works(
        db, world, factory, clock, client, inbox, invite_settings):
    first = take(db, chinese_mail(subject="外卖超时两小时未送达", body="要求退款", charset_name="gbk",
                                  message_id="<sv1@mail.example.cn>"), now=clock.now())
    db.commit()
    ticket_id = first.ticket_id
    reply(client, world, ticket_id, "张先生您好,已为您退款。")
    clock.advance(minutes=10)
    again = take(db, chinese_mail(subject="Re: 外卖超时两小时未送达", body="收到退款了,谢谢",
                                  message_id="<sv2@mail.example.cn>", in_reply_to="<sv1@mail.example.cn>"),
                 now=clock.now())
    db.commit()
    assert again.ticket_id == ticket_id
    set_status(client, world, ticket_id, "resolved")
    run_due(factory, clock)
    assert len(inbox.received) == 1 and invitations(inbox) == []  # the reply only: the invitation waits
    clock.advance(minutes=29)
    run_due(factory, clock)
    assert invitations(inbox) == []
    clock.advance(minutes=2)
    run_due(factory, clock)
    (mail,) = invitations(inbox)
    assert inbox.received[-1][1] == ["13812345678@example.cn"]
    assert mail["Subject"] == f"Re: [工单#{ticket_id}] 外卖超时两小时未送达"
    assert mail["In-Reply-To"] == "<sv2@mail.example.cn>" and "<sv1@mail.example.cn>" in mail["References"]
    body = mail.get_content()
    assert f"您的问题(工单 #{ticket_id})已处理完毕" in body and "14 天内有效" in body
    path = LINK.search(body).group(1)
    # the link: opening it (what a scanner does) shows the question and rates nothing
    client.cookies.clear()
    shown = client.get(path)
    assert shown.status_code == 200 and 'id="survey"' in shown.text and "非常满意" in shown.text
    assert db.scalar(select(func.count()).select_from(SatisfactionRating)) == 0
    voted = vote(client, path, 4, reason="响应及时", comment="退款很快")
    assert voted.status_code == 200 and "感谢您的评价" in voted.text
    rating = db.scalar(select(SatisfactionRating))
    last = contact_of(db, "<sv2@mail.example.cn>")  # the rating is on the conversation's last contact
    assert (rating.contact_id, rating.level, rating.source, rating.comment) == (last, 4, "link", "退款很快")
    # reopened and resolved again: no second invitation
    set_status(client, world, ticket_id, "open")
    set_status(client, world, ticket_id, "resolved")
    clock.advance(hours=2)
    run_due(factory, clock)
    assert len(invitations(inbox)) == 1
    assert len(events(db, ticket_id, "survey_invited")) == 1
    assert "已通过邮件向客户发送满意度调查邀请" in ticket_page(client, ticket_id).text
    # the customer's answer to the invitation joins the ticket like any answer in its thread
    answered = take(db, chinese_mail(subject="Re: 满意度", body="很满意", message_id="<sv3@mail.example.cn>",
                                     in_reply_to=mail["Message-ID"]), now=clock.now())
    assert answered.ticket_id == ticket_id


def test_reopened_before_the_delay_the_invitation_waits_for_the_next_resolve(
        db, world, factory, clock, client, inbox, invite_settings):
    first = take(db, chinese_mail(subject="会员红包没到账", body="红包没收到", message_id="<rw1@mail.example.cn>"),
                 now=clock.now())
    db.commit()
    set_status(client, world, first.ticket_id, "resolved")
    clock.advance(minutes=10)
    # the customer writes back: the ticket reopens, the pending invitation is cancelled
    take(db, chinese_mail(subject="Re: 会员红包没到账", body="还是没有收到",
                          message_id="<rw2@mail.example.cn>", in_reply_to="<rw1@mail.example.cn>"), now=clock.now())
    db.commit()
    timer = db.scalar(select(Timer).where(Timer.kind == KIND, Timer.ref_id == first.ticket_id))
    assert timer.status == "cancelled"
    clock.advance(minutes=30)
    run_due(factory, clock)
    assert invitations(inbox) == []
    set_status(client, world, first.ticket_id, "resolved")
    set_status(client, world, first.ticket_id, "closed")  # closing a resolved ticket schedules nothing more
    clock.advance(minutes=31)
    run_due(factory, clock)
    (mail,) = invitations(inbox)
    vote(client, LINK.search(mail.get_content()).group(1), 2)
    # the conversation's last contact is rated
    assert db.scalar(select(SatisfactionRating.contact_id)) == contact_of(db, "<rw2@mail.example.cn>")


def test_a_rated_conversation_and_a_switched_off_invitation_send_nothing(
        db, world, factory, clock, client, inbox, invite_settings, mail_settings):
    rated = take(db, chinese_mail(subject="发票开错了", body="抬头错了", message_id="<rt1@mail.example.cn>"),
                 now=clock.now())
    db.commit()
    set_status(client, world, rated.ticket_id, "resolved")
    contact = satisfaction.contact_for(db, contact_id=contact_of(db, "<rt1@mail.example.cn>"))
    satisfaction.rate(db, contact=contact, level=5, source="ivr", now=clock.now())
    db.commit()
    clock.advance(minutes=31)
    run_due(factory, clock)
    assert invitations(inbox) == []
    row = db.scalar(select(SurveyInvitation).where(SurveyInvitation.ticket_id == rated.ticket_id))
    assert (row.state, row.note) == ("skipped", "already rated")
    mail_settings(survey_invite="false")
    off = take(db, chinese_mail(subject="商家少送一份饮料", body="少了可乐", message_id="<of1@mail.example.cn>"),
               now=clock.now())
    db.commit()
    set_status(client, world, off.ticket_id, "resolved")
    assert db.scalar(select(Timer).where(Timer.kind == KIND, Timer.ref_id == off.ticket_id)) is None
    clock.advance(hours=1)
    run_due(factory, clock)
    assert invitations(inbox) == []


def test_an_english_customer_is_invited_in_english_and_a_busy_smtp_server_is_retried(
        db, world, factory, clock, client, inbox, invite_settings):
    first = take(db, chinese_mail(subject="Order arrived cold", body="The soup was cold, please refund.",
                                  sender=("John Smith", "john@example.com"), message_id="<en1@mail.example.com>"),
                 now=clock.now())
    db.commit()
    set_status(client, world, first.ticket_id, "resolved")
    inbox.refuse = True  # 451: try again later
    clock.advance(minutes=31)
    run_due(factory, clock)
    assert invitations(inbox) == []
    inbox.refuse = False
    clock.advance(minutes=5)
    run_due(factory, clock)
    (mail,) = invitations(inbox)
    assert "Please take a minute to tell us how we did" in mail.get_content()
    assert db.scalar(select(SurveyInvitation.language)) == "en"
    path = LINK.search(mail.get_content()).group(1)
    assert path.endswith("?lang=en")
    client.cookies.clear()
    shown = client.get(path).text
    assert "Please rate our service" in shown and "Very satisfied" in shown and "Quick response" in shown
    voted = vote(client, path, 3, reason="响应及时")
    assert "Thank you for your rating" in voted.text
    assert db.scalar(select(SatisfactionRating.reason)) == "响应及时"  # stored as the center reads it
    clock.advance(hours=3)
    run_due(factory, clock)
    assert len(invitations(inbox)) == 1


def test_a_wechat_conversation_ends_with_an_invitation_through_the_customer_service_api(
        db, world, factory, clock, client, platform, invite_settings):
    ticket_id = wechat_ticket(db, client, clock, text="骑手把汤洒了")
    reply(client, world, ticket_id, "您好,已为您重新下单。")
    run_due(factory, clock)
    set_status(client, world, ticket_id, "resolved")
    clock.advance(minutes=31)
    run_due(factory, clock)  # the invitation joins the outbox
    run_due(factory, clock)  # and the outbox sends it
    assert len(platform.wechat) == 2
    text = platform.wechat[-1]["text"]["content"]
    assert platform.wechat[-1]["touser"] == "oR5Gjjl_eiZoUpGozMo7dbBJ362A" and "请花一分钟评价本次服务" in text
    path = LINK.search(text).group(1)
    client.cookies.clear()
    assert 'id="survey"' in client.get(path).text
    assert vote(client, path, 5).status_code == 200
    (contact_id,) = db.scalars(select(SatisfactionRating.contact_id)).all()
    assert db.get(Contact, contact_id).ticket_id == ticket_id
    page = ticket_page(client, ticket_id).text
    assert "已通过微信向客户发送满意度调查邀请" in page and "已通过微信将满意度调查邀请发给客户" in page
    set_status(client, world, ticket_id, "open")
    set_status(client, world, ticket_id, "resolved")
    clock.advance(hours=1)
    run_due(factory, clock)
    run_due(factory, clock)
    assert len(platform.wechat) == 2


def test_a_weibo_conversation_ends_with_an_invitation(db, world, factory, clock, client, platform, invite_settings):
    r = client.post(f"{API}/channels/weibo", params=weibo_signed(clock, secret="kefu-weibo-secret"),
                    content=weibo_message(clock, text="优惠券用不了"), headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    ticket_id = _ticket_of_openid(db, f"weibo:{FAN}")
    set_status(client, world, ticket_id, "resolved")
    clock.advance(minutes=31)
    run_due(factory, clock)
    run_due(factory, clock)
    (sent,) = platform.weibo
    assert sent["receiver_id"] == str(FAN) and LINK.search(sent["text"]) and len(sent["text"]) <= 300


def test_no_invitation_on_a_channel_kefu_cannot_write_to(db, world, factory, clock, client, platform, invite_settings,
                                                          mail_settings):
    mail_settings(weibo_access_token="")
    r = client.post(f"{API}/channels/weibo", params=weibo_signed(clock, secret="kefu-weibo-secret"),
                    content=weibo_message(clock, text="骑手态度差"), headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    ticket_id = _ticket_of_openid(db, f"weibo:{FAN}")
    set_status(client, world, ticket_id, "resolved")
    assert db.scalar(select(Timer).where(Timer.kind == KIND, Timer.ref_id == ticket_id)) is None
    clock.advance(hours=1)
    run_due(factory, clock)
    assert platform.send_tries == 0 and events(db, ticket_id, "channel_failed") == []
