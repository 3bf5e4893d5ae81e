"""The shared channel intake: each message once, the customer matched, the ticket joined or opened, a
contact recorded, dead letters kept and re-processed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from kefu.channels import intake
from kefu.channels.base import ADAPTERS, InboundItem, register
from kefu.channels.models import InboundMessage, MailThread
from kefu.contacts.models import Contact
from kefu.core.context import Actor
from kefu.customers.models import Customer
from kefu.customers.service import match_or_create, normalize_phone
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket, TicketEvent, TicketMessage


def _mail(clock, mid: str, **kw) -> InboundItem:
    base = {"channel": "email", "external_id": mid, "received_at": clock.now(), "subject": "外卖超时未送达",
            "body": "等了两个小时,要求退款", "sender_name": "张伟", "email": "13812345678@example.cn"}
    return InboundItem(**{**base, **kw})


def _count(db, model) -> int:
    return db.scalar(select(func.count()).select_from(model))


def test_a_new_mail_opens_a_ticket_for_the_matched_customer_and_a_replay_changes_nothing(db, world, clock):
    got = intake.receive(db, _mail(clock, "<a1@mail.example.cn>"), now=clock.now())
    assert got.status == "created"
    ticket = db.get(Ticket, got.ticket_id)
    assert ticket.customer_id == world.customers[0].id and ticket.subject == "外卖超时未送达"
    assert ticket.channel == "email" and ticket.status == "new" and ticket.resolution_due_at is not None
    contact = db.get(Contact, got.contact_id)
    assert (contact.channel, contact.external_id, contact.ticket_id, contact.customer_role) == (
        "email", "<a1@mail.example.cn>", ticket.id, "consumer")
    counts = [_count(db, m) for m in (Ticket, Contact, InboundMessage, Customer)]
    again = intake.receive(db, _mail(clock, "<a1@mail.example.cn>"), now=clock.now())
    assert again.status == "duplicate"
    assert [_count(db, m) for m in (Ticket, Contact, InboundMessage, Customer)] == counts


def test_a_reply_joins_its_ticket_and_reopens_it(db, world, clock):
    first = intake.receive(db, _mail(clock, "<a1@mail.example.cn>"), now=clock.now())
    ticket = db.get(Ticket, first.ticket_id)
    agent = world.users["agent"]
    actor = Actor(user_id=agent.id, username=agent.username, role=agent.role, team_id=agent.team_id,
                  now=clock.now(), display_name=agent.display_name)
    tickets.add_message(db, actor=actor, ticket=ticket, body="您好,已为您催单", internal=False)
    tickets.change_status(db, actor=actor, ticket=ticket, status="resolved")
    intake.remember_outbound(db, message_id="<kefu-1@kefu.example.cn>", ticket_id=ticket.id, now=clock.now())
    clock.advance(hours=3)
    reply = intake.receive(db, _mail(clock, "<a2@mail.example.cn>", subject="Re: 外卖超时未送达", body="还是没收到退款",
                                     thread_ids=["<kefu-1@kefu.example.cn>"]), now=clock.now())
    assert reply.status == "joined" and reply.ticket_id == ticket.id
    db.refresh(ticket)
    assert ticket.status == "open" and ticket.resolved_at is None
    bodies = [m.body for m in db.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                                         .order_by(TicketMessage.id))]
    assert bodies == ["您好,已为您催单", "还是没收到退款"]
    kinds = [e.kind for e in db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))]
    assert "customer_message" in kinds
    # both inbound Message-IDs now point at the ticket: a reply to either joins it
    assert set(db.scalars(select(MailThread.message_id).where(MailThread.ticket_id == ticket.id))) == {
        "<a1@mail.example.cn>", "<a2@mail.example.cn>", "<kefu-1@kefu.example.cn>"}


def test_a_quoted_ticket_number_of_another_customer_opens_a_new_ticket(db, world, clock):
    theirs = intake.receive(db, _mail(clock, "<b1@x.cn>", email="13998765432@example.cn"), now=clock.now())
    mine = intake.receive(db, _mail(clock, "<b2@x.cn>", ticket_hint=theirs.ticket_id), now=clock.now())
    assert mine.status == "created" and mine.ticket_id != theirs.ticket_id
    own = intake.receive(db, _mail(clock, "<b3@x.cn>", ticket_hint=mine.ticket_id), now=clock.now())
    assert own.status == "joined" and own.ticket_id == mine.ticket_id


def test_a_stranger_quoting_a_message_id_does_not_join_the_thread(db, world, clock):
    first = intake.receive(db, _mail(clock, "<c1@x.cn>"), now=clock.now())
    other = intake.receive(db, _mail(clock, "<c2@y.cn>", email="someone.else@example.cn", sender_name="路人",
                                     thread_ids=["<c1@x.cn>"]), now=clock.now())
    assert other.status == "created" and other.ticket_id != first.ticket_id
    own = intake.receive(db, _mail(clock, "<c3@x.cn>", thread_ids=["<c2@y.cn>", "<c1@x.cn>"]), now=clock.now())
    assert own.status == "joined" and own.ticket_id == first.ticket_id  # the newest thread entry is not theirs


def test_chat_channels_join_the_open_ticket_until_it_is_closed(db, world, clock):
    def wx(mid, body):
        return InboundItem(channel="wechat", external_id=mid, received_at=clock.now(), body=body,
                           openid="oWx_zhangwei_001", join_open_ticket=True)

    a = intake.receive(db, wx("9001", "骑手把餐送错地址了"), now=clock.now())
    b = intake.receive(db, wx("9002", "订单号 2026112300123"), now=clock.now())
    assert a.status == "created" and b.status == "joined" and a.ticket_id == b.ticket_id
    assert db.get(Ticket, a.ticket_id).subject == "骑手把餐送错地址了"
    system = Actor.system(clock.now())
    ticket = db.get(Ticket, a.ticket_id)
    tickets.change_status(db, actor=system, ticket=ticket, status="resolved")
    tickets.change_status(db, actor=system, ticket=ticket, status="closed")
    c = intake.receive(db, wx("9003", "又出问题了"), now=clock.now())
    assert c.status == "created" and c.ticket_id != a.ticket_id
    # one customer for the openid, contacts for all three messages
    assert db.scalar(select(func.count()).select_from(Customer).where(
        Customer.wechat_openid == "oWx_zhangwei_001")) == 1
    assert db.scalar(select(func.count()).select_from(Contact).where(Contact.channel == "wechat")) == 3


def test_customers_are_matched_by_normalised_phone_and_learn_new_keys(db, world, clock):
    assert normalize_phone("+86 138-1234-5678") == "13812345678" == normalize_phone("0086 13812345678")
    found = match_or_create(db, now=clock.now(), phone="+86 138-1234-5678", email="ZW@Example.cn")
    assert found.id == world.customers[0].id and found.email == "13812345678@example.cn"  # kept, not replaced
    new = match_or_create(db, now=clock.now(), openid="oWx_new_1", phone="13700001111", role="rider")
    assert new.id not in {c.id for c in world.customers} and new.name == "137****1111" and new.role == "rider"
    again = match_or_create(db, now=clock.now(), phone="13700001111", email="rider@example.cn")
    assert again.id == new.id and again.email == "rider@example.cn"


class _JsonAdapter:
    """A channel whose raw messages are JSON (stands in for any adapter's parse_raw)."""

    channel = "weibo"

    def parse_raw(self, raw: bytes) -> list[InboundItem]:
        data = json.loads(raw)
        return [InboundItem(channel="weibo", external_id=data["id"], received_at=datetime.fromisoformat(data["at"]),
                            body=data["text"], openid=data["uid"], join_open_ticket=True)]


@pytest.fixture
def json_adapter():
    before = dict(ADAPTERS)
    register(_JsonAdapter())
    yield
    ADAPTERS.clear()
    ADAPTERS.update(before)


def test_a_dead_letter_is_kept_raw_and_can_be_reprocessed_once(db, world, clock, json_adapter):
    raw = json.dumps({"id": "wb-77", "uid": "5566778899", "text": "会员充值没到账,手机13812345678"}).encode()
    row = intake.dead_letter(db, channel="weibo", external_id="wb-77", raw=raw,
                             error="KeyError: 'at' while parsing 13812345678's message", now=clock.now())
    assert row.status == "dead" and row.raw == raw and "13812345678" not in row.error
    with pytest.raises(KeyError):  # the cause is still there
        intake.reprocess(db, inbound_id=row.id, now=clock.now())
    fixed = json.dumps({"id": "wb-77", "uid": "5566778899", "text": "会员充值没到账", "at": (
        clock.now() - timedelta(minutes=5)).isoformat()}).encode()
    row.raw = fixed
    done = intake.reprocess(db, inbound_id=row.id, now=clock.now())
    assert [r.status for r in done] == ["created"]
    db.flush()
    db.refresh(row)
    assert row.status == "processed" and row.raw is None and row.ticket_id == done[0].ticket_id and row.attempts == 2
    assert intake.receive(db, _JsonAdapter().parse_raw(fixed)[0], now=clock.now()).status == "duplicate"
