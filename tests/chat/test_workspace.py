"""The agent workspace beside the chat socket: a chat's customer in context (PII masked, their other tickets and
contacts), a ticket created from the chat or one of the customer's linked, who sees which chat, the open chats a
lead observes, and the pages (the workspace, its fragments, the widget's demo page) over the app."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from kefu.chat import service as chat_service
from kefu.chat import workspace
from kefu.chat.models import ChatQueue
from kefu.contacts.models import Contact
from kefu.core.errors import Conflict, Forbidden, Invalid
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket
from web.helpers import login

API = "/api/v1"


@pytest.fixture
def chat(db, world, clock):
    """张伟 chats in 外卖在线 and 王小明 (agent) serves him; he already has a ticket from a phone call."""
    db.add(ChatQueue(code="waimai_chat", name="外卖在线", team_id=world.teams["front"].id, concurrency=3,
                     is_active=True, created_at=clock.now()))
    db.flush()
    world.earlier = tickets.create_ticket(db, actor=_actor(world, clock), data={
        "subject": "上周退款未到账", "customer_id": world.customers[0].id, "channel": "phone"})
    chat_service.set_ready(db, user=world.users["agent"], now=clock.now())
    chat = chat_service.start_chat(db, now=clock.now(), queue_code="waimai_chat", name="张伟", phone="13812345678")
    assert chat.agent_id == world.users["agent"].id
    chat_service.customer_message(db, chat=chat, body="我的外卖超时一个小时还没送到", now=clock.now(),
                                  client_msg_id="c-1")
    chat_service.agent_message(db, chat=chat, agent=world.users["agent"], now=clock.now(), client_msg_id="a-1",
                               body="您好,客服中心很高兴为您服务,我是客服代表王小明,请问有什么可以帮您?")
    db.commit()
    return chat


def _actor(world, clock, who="agent"):
    from kefu.core.context import Actor

    u = world.users[who]
    return Actor(user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=clock.now(),
                 display_name=u.display_name)


def test_the_context_shows_the_customer_masked_with_their_other_tickets_and_contacts(db, world, chat):
    ctx = workspace.context(db, chat=chat)
    assert ctx.customer["phone"] == "138****5678" and ctx.customer["masked"]
    assert [t.subject for t in ctx.tickets] == ["上周退款未到账"]
    assert chat.contact_id not in [c.id for c in ctx.contacts]  # this chat is not its own history
    assert ctx.agent_name == "王小明" and ctx.queue.name == "外卖在线"


def test_a_ticket_created_from_the_chat_carries_the_conversation_and_links_the_contact(db, world, clock, chat):
    ticket = workspace.attach_ticket(db, chat=chat, actor=_actor(world, clock), subject="外卖超时未送达")
    assert ticket.channel == "chat" and ticket.customer_id == world.customers[0].id
    assert "客户: 我的外卖超时一个小时还没送到" in ticket.description
    assert "客服: 您好,客服中心很高兴为您服务" in ticket.description
    assert chat.ticket_id == ticket.id and db.get(Contact, chat.contact_id).ticket_id == ticket.id
    with pytest.raises(Conflict):
        workspace.attach_ticket(db, chat=chat, actor=_actor(world, clock), ticket_id=world.earlier.id)


def test_only_the_customers_own_ticket_is_linked(db, world, clock, chat):
    other = tickets.create_ticket(db, actor=_actor(world, clock), data={
        "subject": "商家拒绝退款", "customer_id": world.customers[1].id})
    db.flush()
    with pytest.raises(Invalid) as refused:
        workspace.attach_ticket(db, chat=chat, actor=_actor(world, clock), ticket_id=other.id)
    assert refused.value.field == "ticket_id" and chat.ticket_id is None
    with pytest.raises(Invalid):
        workspace.attach_ticket(db, chat=chat, actor=_actor(world, clock))  # neither a ticket nor a subject
    workspace.attach_ticket(db, chat=chat, actor=_actor(world, clock), ticket_id=world.earlier.id)
    assert chat.ticket_id == world.earlier.id


def test_a_chat_is_seen_by_its_agent_and_the_leads_only(db, world, clock, chat):
    with pytest.raises(Forbidden):
        workspace.visible_chat(db, chat_id=chat.id, user_id=world.users["agent2"].id, role="agent")
    with pytest.raises(Forbidden):
        workspace.attach_ticket(db, chat=chat, actor=_actor(world, clock, "agent2"), subject="代建工单")
    for who in ("agent", "team_lead", "supervisor"):
        u = world.users[who]
        assert workspace.visible_chat(db, chat_id=chat.id, user_id=u.id, role=u.role) is chat
    rows, count = workspace.open_chats(db)
    assert count == 1 and (rows[0].customer, rows[0].agent, rows[0].status) == ("张伟", "王小明", "active")


def test_the_api_answers_the_chats_agent_and_refuses_another(client, world, chat):
    r = client.get(f"{API}/chats/{chat.id}", headers=world.headers("agent"))
    assert r.status_code == 200
    body = r.json()
    assert body["customer"]["phone"] == "138****5678" and "13812345678" not in r.text
    assert [t["subject"] for t in body["tickets"]] == ["上周退款未到账"]
    assert client.get(f"{API}/chats/{chat.id}", headers=world.headers("agent2")).status_code == 403
    r = client.post(f"{API}/chats/{chat.id}/ticket", headers=world.headers("agent"), json={"subject": "  "})
    assert r.status_code == 422 and r.json()["field"] == "subject"
    r = client.post(f"{API}/chats/{chat.id}/ticket", headers=world.headers("agent"),
                    json={"ticket_id": world.earlier.id})
    assert r.status_code == 201 and r.json()["id"] == world.earlier.id


def test_the_workspace_page_has_the_scripts_and_whom_to_transfer_to(client, world, chat):
    login(client, "agent")
    page = client.get("/chat/workspace").text
    assert 'data-shortcut="/kcz"' in page  # the default scripts, by shortcut
    assert "刘二" in page or world.users["agent2"].display_name in page
    assert "一线客服二组" in page
    assert '<span class="badge" id="presence" data-status="ready">示闲中</span>' in page  # as the seat was left
    fragment = client.get(f"/chat/workspace/chats/{chat.id}/context").text
    assert "138****5678" in fragment and "13812345678" not in fragment and "上周退款未到账" in fragment


def test_a_refused_ticket_comes_back_in_chinese_in_the_fragment(client, db, world, chat):
    csrf = login(client, "agent")
    r = client.post(f"/chat/workspace/chats/{chat.id}/ticket", data={"csrf_token": csrf, "mode": "link",
                                                                    "ticket_id": "#abc"})
    assert r.status_code == 200 and "「工单」请填写整数" in r.text
    r = client.post(f"/chat/workspace/chats/{chat.id}/ticket", data={"csrf_token": csrf, "subject": "骑手未送达"})
    assert "已关联工单" in r.text and "骑手未送达" in r.text
    db.refresh(chat)
    assert db.get(Ticket, chat.ticket_id).subject == "骑手未送达"


def test_the_agent_socket_refuses_a_page_of_another_origin(client, world):
    login(client, "agent")
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws/chat/agent", headers={"origin": "http://evil.example"}) as ws:
            ws.receive_json()
    assert refused.value.code == 4403  # refused before the session is read; kefu's own page connects (Chromium)


def test_the_demo_page_embeds_the_widget_with_one_tag(client, chat):
    client.cookies.clear()
    page = client.get("/chat/demo").text
    assert '<script src="/widget.js" data-queue="waimai_chat" defer></script>' in page
    widget = client.get("/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["cross-origin-resource-policy"] == "cross-origin"


def test_each_warning_the_agent_sent_is_kept_on_the_contact_for_qa(client, db, world, clock, chat):
    message, warned = chat_service.agent_message(
        db, chat=chat, agent=world.users["agent"], now=clock.now(), client_msg_id="a-2",
        body="我们会帮您提交给配送部门!!")
    db.commit()
    assert {v.rule for v in warned} == {"forbidden_wording", "exclamation"}
    r = client.get(f"{API}/contacts/{chat.contact_id}/violations", headers=world.headers("qa"))
    assert r.status_code == 200
    rows = r.json()["data"]
    assert sorted(v["rule"] for v in rows) == ["exclamation", "forbidden_wording"]
    assert all(v["message_id"] == message.id and v["agent_id"] == world.users["agent"].id for v in rows)
    wording = next(v for v in rows if v["rule"] == "forbidden_wording")
    assert message.body[wording["start"]:wording["end"]] == "提交"
    assert wording["suggestion"] == "我们会为您反馈给相关人员或相关部门核实确认的"
    # a resend of the same message is stored once, and so are its warnings
    chat_service.agent_message(db, chat=chat, agent=world.users["agent"], now=clock.now(), client_msg_id="a-2",
                               body="我们会帮您提交给配送部门!!")
    db.commit()
    assert client.get(f"{API}/contacts/{chat.contact_id}/violations", headers=world.headers("qa")).json()["count"] == 2
    assert client.get(f"{API}/contacts/{chat.contact_id}/violations",
                      headers=world.headers("agent")).status_code == 403
    assert client.get(f"{API}/contacts/999999/violations", headers=world.headers("qa")).status_code == 404


def test_an_admin_sets_a_queues_hours_concurrency_and_idle_times(client, db, world):
    from kefu.sla.models import SlaCalendar

    csrf = login(client, "admin")
    calendar = db.scalar(select(SlaCalendar.id))
    r = client.post("/admin/chat-queues", data={
        "csrf_token": csrf, "code": "reading_chat", "name": "阅读在线", "concurrency": "5",
        "idle_prompt_seconds": "120", "idle_close_seconds": "", "team_id": str(world.teams["front2"].id),
        "calendar_id": str(calendar)}, follow_redirects=False)
    assert r.status_code == 303
    queue = db.scalar(select(ChatQueue).where(ChatQueue.code == "reading_chat"))
    assert (queue.concurrency, queue.idle_prompt_seconds, queue.idle_close_seconds, queue.calendar_id) == (
        5, 120, None, calendar)
    page = client.get("/admin/chat-queues").text
    assert 'data-queue="reading_chat"' in page and "默认 120" in page  # the close time shows the setting's default
    r = client.post(f"/admin/chat-queues/{queue.id}", data={"csrf_token": csrf, "name": "阅读在线",
                                                           "concurrency": "50", "active": "1"})
    assert r.status_code == 422 and "为每位坐席 1–20 个会话" in r.text
    r = client.post(f"/admin/chat-queues/{queue.id}", data={"csrf_token": csrf, "name": "阅读在线",
                                                           "concurrency": "2", "idle_prompt_seconds": "abc"})
    assert r.status_code == 422 and "请填写整数" in r.text
    db.expire_all()
    assert db.get(ChatQueue, queue.id).concurrency == 5  # nothing stored from a refused form
    r = client.patch(f"{API}/chat-queues/{queue.id}", headers=world.headers("admin"),
                     json={"idle_prompt_seconds": None, "is_active": False})
    assert r.status_code == 200 and r.json()["idle_prompt_seconds"] is None and r.json()["is_active"] is False
    r = client.post(f"{API}/chat-queues", headers=world.headers("admin"), json={"code": "reading_chat", "name": "重复"})
    assert r.status_code == 409 and r.json()["field"] == "code"


def test_the_context_reads_a_fixed_number_of_statements_whatever_the_history(client, db, world, clock, engine,
                                                                             chat):
    """No query per row: the customer's tickets and contacts come in one statement each."""
    from sqlalchemy import event

    def statements_for_context() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            r = client.get(f"{API}/chats/{chat.id}", headers=world.headers("agent"))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert r.status_code == 200
        return len(seen), len(r.json()["tickets"]), len(r.json()["contacts"])

    few = statements_for_context()
    for n in range(30):
        tickets.create_ticket(db, actor=_actor(world, clock), data={
            "subject": f"历史工单{n}", "customer_id": world.customers[0].id})
        db.add(Contact(channel="phone", direction="inbound", customer_id=world.customers[0].id,
                       offered_at=clock.now(), outcome="answered", created_at=clock.now()))
    db.commit()
    many = statements_for_context()
    assert many[1:] == (workspace.SHOWN, workspace.SHOWN) and few[1] == 1
    assert many[0] == few[0] <= 12
