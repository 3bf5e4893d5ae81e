"""Chats through the service on a real store (SQLite, and PostgreSQL when configured): assignment by skill,
the etiquette checker on agent messages, the idle flow and other clocks as durable timers fired by
``run_due`` on a moved clock, ratings, 熟客, disconnect grace, 留言, resends and sequence numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.accounts.models import Skill
from kefu.callbacks.models import Callback
from kefu.chat import service as chat_service
from kefu.chat.models import Chat, ChatMessage, ChatQueue
from kefu.contacts.models import Contact
from kefu.notifications.models import Notification
from kefu.sla.models import SlaCalendar
from kefu.tickets.models import Ticket
from kefu.timers.service import run_due

OPENING = "您好,客服中心很高兴为您服务,我是客服代表王小明,请问有什么可以帮您?"


@pytest.fixture
def center(db, world, clock):
    """A 外卖 chat queue needing the waimai skill; 王小明 (agent) has it, 刘二 (agent2) does not."""
    waimai = Skill(code="waimai", name="外卖")
    db.add(waimai)
    db.flush()
    world.users["agent"].skills.append(waimai)
    world.customers[0].title = "mr"  # 张伟: 张先生 in the scripts
    db.add(ChatQueue(code="waimai_chat", name="外卖在线", skill_id=waimai.id, team_id=world.teams["front"].id,
                     concurrency=3, is_active=True, created_at=clock.now()))
    db.commit()
    world.skill = waimai
    return world


def _ready(db, clock, *users, concurrency=None):
    for user in users:
        chat_service.set_ready(db, user=user, now=clock.now(), concurrency=concurrency)
    db.commit()


def _messages(db, chat) -> list[ChatMessage]:
    return list(db.scalars(select(ChatMessage).where(ChatMessage.chat_id == chat.id).order_by(ChatMessage.seq)))


def _fire(db, factory, clock, **delta) -> None:
    db.commit()
    clock.advance(**delta)
    run_due(factory, clock)
    db.expire_all()


def _start(db, clock, phone="13812345678", name="张伟"):
    chat = chat_service.start_chat(db, now=clock.now(), queue_code="waimai_chat", name=name, phone=phone)
    db.commit()
    return chat


def test_a_chat_from_start_to_rating(db, factory, clock, center):
    agent = center.users["agent"]
    _ready(db, clock, center.users["agent2"], agent)
    chat = _start(db, clock)
    assert chat.status == "active" and chat.agent_id == agent.id, "the agent with the skill takes it"
    contact = db.get(Contact, chat.contact_id)
    assert contact.channel == "chat" and contact.customer_id == center.customers[0].id
    assert contact.queue == "waimai_chat" and contact.outcome == "answered"

    chat_service.customer_message(db, chat=chat, body="我的外卖超时一个小时了还没送到", now=clock.now(),
                                  client_msg_id="c-1")
    chat_service.agent_message(db, chat=chat, agent=agent, body=OPENING, now=clock.now())
    message, warnings = chat_service.agent_message(db, chat=chat, agent=agent, now=clock.now(),
                                                   body="好的,我这边为您提交给配送部门处理。")
    assert [v.rule for v in warnings] == ["forbidden_wording"]
    assert message.violations[0]["rule"] == "forbidden_wording", "warnings are kept for QA"
    seq_before = chat.last_seq
    with pytest.raises(chat_service.MessageBlocked) as refused:
        chat_service.agent_message(db, chat=chat, agent=agent, now=clock.now(),
                                   body="我帮您联系一下骑手,或者您打13998765432问问。")
    assert [v.rule for v in refused.value.violations if v.blocking] == ["pii_leak"]
    assert chat.last_seq == seq_before and len(_messages(db, chat)) == seq_before, "a blocked message is not stored"

    _fire(db, factory, clock, seconds=179)
    assert not any(m.kind == "idle_prompt" for m in _messages(db, chat))
    _fire(db, factory, clock, seconds=1)
    prompt = _messages(db, chat)[-1]
    assert prompt.kind == "idle_prompt" and "请问您还有其他问题吗" in prompt.body and prompt.body.startswith("张先生")
    _fire(db, factory, clock, seconds=119)
    assert db.get(Chat, chat.id).status == "active"
    _fire(db, factory, clock, seconds=1)
    chat = db.get(Chat, chat.id)
    closing = _messages(db, chat)[-1]
    assert chat.status == "ended" and chat.end_reason == "idle"
    assert closing.kind == "closing" and "本次会话将结束" in closing.body

    chat_service.rate(db, chat=chat, rating=5, now=clock.now())
    db.commit()
    assert db.get(Contact, chat.contact_id).satisfaction == 5
    with pytest.raises(chat_service.Conflict):
        chat_service.rate(db, chat=chat, rating=1, now=clock.now())


def test_a_customer_who_speaks_resets_the_idle_flow(db, factory, clock, center):
    agent = center.users["agent"]
    _ready(db, clock, agent)
    chat = _start(db, clock)
    chat_service.agent_message(db, chat=chat, agent=agent, body=OPENING, now=clock.now())
    _fire(db, factory, clock, seconds=170)
    chat_service.customer_message(db, chat=chat, body="稍等,我看一下订单号", now=clock.now())
    _fire(db, factory, clock, seconds=400)
    assert db.get(Chat, chat.id).status == "active", "silence counts only after the agent's answer"
    assert not any(m.kind == "idle_prompt" for m in _messages(db, chat))
    chat_service.agent_message(db, chat=chat, agent=agent, body="好的,请您提供一下订单号。", now=clock.now())
    _fire(db, factory, clock, seconds=180)
    assert _messages(db, chat)[-1].kind == "idle_prompt"


def test_a_returning_customer_goes_to_their_last_agent(db, clock, center):
    agent, agent2 = center.users["agent"], center.users["agent2"]
    agent2.skills.append(center.skill)
    _ready(db, clock, agent, agent2)
    first = _start(db, clock)
    assert first.agent_id == agent.id  # both idle: the lower id
    chat_service.end_chat(db, chat=first, now=clock.now())
    other = _start(db, clock, phone="15011112222", name="李娜")
    assert other.agent_id == agent.id
    clock.advance(minutes=5)
    again = _start(db, clock)
    assert again.id != first.id and again.agent_id == agent.id, "熟客: to their last agent, though busier"


def test_a_disconnected_agents_chats_go_back_to_the_front_after_the_grace(db, factory, clock, center):
    agent, agent2 = center.users["agent"], center.users["agent2"]
    agent2.skills.append(center.skill)
    _ready(db, clock, agent, agent2, concurrency=1)
    x = _start(db, clock)
    clock.advance(seconds=10)
    y = _start(db, clock, phone="13998765432", name="王芳")
    clock.advance(seconds=10)
    w = _start(db, clock, phone="15011112222", name="李娜")
    assert (x.agent_id, y.agent_id, w.status) == (agent.id, agent2.id, "waiting")

    chat_service.disconnect(db, user=agent, now=clock.now())
    _fire(db, factory, clock, seconds=59)
    assert db.get(Chat, x.id).status == "active", "within the grace the agent keeps the chat"
    _fire(db, factory, clock, seconds=1)
    x = db.get(Chat, x.id)
    assert x.status == "waiting" and x.front and x.agent_id is None
    chat_service.end_chat(db, chat=db.get(Chat, y.id), now=clock.now())
    db.commit()
    assert db.get(Chat, x.id).agent_id == agent2.id, "the requeued chat goes ahead of the one waiting"
    assert db.get(Chat, w.id).status == "waiting"


def test_a_reconnect_within_the_grace_keeps_the_chats(db, factory, clock, center):
    agent = center.users["agent"]
    _ready(db, clock, agent)
    chat = _start(db, clock)
    chat_service.disconnect(db, user=agent, now=clock.now())
    _fire(db, factory, clock, seconds=30)
    chat_service.reconnect(db, user=agent, now=clock.now())
    _fire(db, factory, clock, seconds=60)
    assert db.get(Chat, chat.id).agent_id == agent.id


def test_an_unanswered_chat_alerts_the_team_leader(db, factory, clock, center):
    _ready(db, clock, center.users["agent"])
    chat = _start(db, clock)
    _fire(db, factory, clock, seconds=59)
    leader = center.users["team_lead"]
    alerts = lambda: db.scalars(select(Notification).where(Notification.user_id == leader.id,  # noqa: E731
                                                          Notification.kind == "chat.first_reply_overdue")).all()
    assert alerts() == []
    _fire(db, factory, clock, seconds=1)
    assert [n.title for n in alerts()] == [f"在线会话 #{chat.id} 已接入 60 秒未首次回复"]


def test_a_reply_in_time_raises_no_alert(db, factory, clock, center):
    agent = center.users["agent"]
    _ready(db, clock, agent)
    chat = _start(db, clock)
    clock.advance(seconds=30)
    chat_service.agent_message(db, chat=chat, agent=agent, body=OPENING, now=clock.now())
    _fire(db, factory, clock, seconds=60)
    assert db.scalars(select(Notification).where(Notification.kind == "chat.first_reply_overdue")).all() == []


def test_outside_working_hours_the_customer_leaves_a_message(db, clock, center):
    office = SlaCalendar(name="工作日白班", timezone="Asia/Shanghai", always_open=False,
                         hours={str(d): [[540, 1080]] for d in range(5)}, holidays=[], extra_workdays=[])
    db.add(office)
    db.flush()
    db.scalar(select(ChatQueue)).calendar_id = office.id
    _ready(db, clock, center.users["agent"])
    clock.advance(hours=10)  # Monday 20:00 in Shanghai
    chat = chat_service.start_chat(db, now=clock.now(), queue_code="waimai_chat", name="张伟", phone="13812345678")
    assert chat.message_offered_at == clock.now() and _messages(db, chat)[-1].kind == "offer_message"
    ticket = chat_service.leave_message(db, chat=chat, now=clock.now(), body="外卖少送了一份米饭,请回电")
    db.commit()
    assert ticket.channel == "chat" and ticket.customer_id == center.customers[0].id
    assert ticket.team_id == center.teams["front"].id and "少送了一份米饭" in ticket.description
    callback = db.scalar(select(Callback).where(Callback.ticket_id == ticket.id))
    assert callback.contact_phone == "13812345678" and callback.status == "pending"
    assert chat.status == "left_message" and chat.ticket_id == ticket.id
    contact = db.get(Contact, chat.contact_id)
    assert contact.outcome == "callback_requested" and contact.ticket_id == ticket.id
    assert db.get(Ticket, ticket.id) is not None


def test_a_customer_waiting_past_the_queue_timeout_is_offered_a_message(db, factory, clock, center):
    chat = _start(db, clock)  # nobody ready: offered at once
    assert _messages(db, chat)[-1].kind == "offer_message"
    _ready(db, clock, center.users["agent"], concurrency=1)
    db.get(Chat, chat.id).message_offered_at = None  # as if an agent had been online when they came
    busy = _start(db, clock, phone="13998765432", name="王芳")
    assert busy.status == "waiting" and busy.message_offered_at is None
    _fire(db, factory, clock, seconds=300)
    assert db.get(Chat, busy.id).message_offered_at is not None


def test_a_resend_is_stored_once_and_sequence_numbers_have_no_gaps(db, clock, center):
    agent = center.users["agent"]
    _ready(db, clock, agent)
    chat = _start(db, clock)
    first = chat_service.customer_message(db, chat=chat, body="你好,在吗?", now=clock.now(), client_msg_id="m-1")
    again = chat_service.customer_message(db, chat=chat, body="你好,在吗?", now=clock.now(), client_msg_id="m-1")
    assert again.id == first.id
    reply, _ = chat_service.agent_message(db, chat=chat, agent=agent, body=OPENING, now=clock.now(),
                                          client_msg_id="m-1")
    assert reply.id != first.id, "client ids are per sender"
    resent, _ = chat_service.agent_message(db, chat=chat, agent=agent, body=OPENING, now=clock.now(),
                                           client_msg_id="m-1")
    assert resent.id == reply.id
    for i in range(5):
        chat_service.customer_message(db, chat=chat, body=f"第{i}条消息", now=clock.now(), client_msg_id=f"k-{i}")
        chat_service.customer_message(db, chat=chat, body=f"第{i}条消息", now=clock.now(), client_msg_id=f"k-{i}")
    db.commit()
    seqs = [m.seq for m in _messages(db, chat)]
    assert seqs == list(range(1, len(seqs) + 1)) and db.get(Chat, chat.id).last_seq == len(seqs)
    assert sum(1 for m in _messages(db, chat) if m.client_msg_id == "k-3") == 1


def test_only_the_serving_agent_writes_and_transfer_to_a_team_requeues_at_the_front(db, clock, center):
    agent, agent2 = center.users["agent"], center.users["agent2"]
    _ready(db, clock, agent)
    chat = _start(db, clock)
    with pytest.raises(chat_service.Forbidden):
        chat_service.agent_message(db, chat=chat, agent=agent2, body=OPENING, now=clock.now())
    from kefu.core.context import Actor

    actor = Actor(user_id=agent.id, username=agent.username, role=agent.role, team_id=agent.team_id,
                  now=clock.now())
    chat_service.transfer(db, chat=chat, actor=actor, now=clock.now(), to_team_id=center.teams["front2"].id)
    assert chat.status == "waiting" and chat.front and chat.team_id == center.teams["front2"].id
    assert _messages(db, chat)[-1].kind == "transfer"


def test_a_returning_customer_held_for_a_busy_agent_goes_to_another_when_the_hold_ends(db, factory, clock, center):
    agent, agent2 = center.users["agent"], center.users["agent2"]
    agent2.skills.append(center.skill)
    _ready(db, clock, agent, concurrency=1)
    first = _start(db, clock)
    chat_service.end_chat(db, chat=first, now=clock.now())
    _start(db, clock, phone="15011112222", name="李娜")  # takes 王小明's only seat
    _ready(db, clock, agent2)
    back = _start(db, clock)
    assert back.status == "waiting", "held for 王小明 although 刘二 has room"
    _fire(db, factory, clock, seconds=29)
    assert db.get(Chat, back.id).status == "waiting"
    _fire(db, factory, clock, seconds=1)
    assert db.get(Chat, back.id).agent_id == agent2.id


def test_a_customer_who_leaves_the_queue_is_abandoned(db, clock, center):
    chat = _start(db, clock)
    chat_service.end_chat(db, chat=chat, now=clock.now(), reason="customer")
    assert chat.status == "abandoned" and db.get(Contact, chat.contact_id).outcome == "abandoned"


def test_agents_do_not_pick_from_the_queue_unless_trainees_are_allowed(db, clock, center, monkeypatch):
    from kefu.core.settings import get_settings

    trainee, agent2 = center.users["trainee"], center.users["agent2"]
    trainee.skills.append(center.skill)
    _ready(db, clock, trainee, agent2)
    first = _start(db, clock)
    assert first.agent_id == trainee.id, "by default trainees are assigned like everyone"
    chat_service.end_chat(db, chat=first, now=clock.now())
    monkeypatch.setattr(get_settings(), "chat_trainees_pick", True)
    waiting = _start(db, clock, phone="15011112222", name="李娜")
    assert waiting.status == "waiting", "with picking allowed, trainees are not assigned automatically"
    with pytest.raises(chat_service.Forbidden):
        chat_service.pick(db, chat=waiting, user=agent2, now=clock.now())
    chat_service.pick(db, chat=waiting, user=trainee, now=clock.now())
    assert waiting.status == "active" and waiting.agent_id == trainee.id
