"""Editing a ticket's fields on its page (the rules of PATCH /api/v1/tickets/{id}), and errors shown in the
user's language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from conftest import SHANGHAI
from kefu.tickets.models import Ticket, TicketEvent
from web.helpers import login, new_ticket, post


def _form(page: str, ticket_id: int) -> str:
    form = page[page.index(f'action="/tickets/{ticket_id}/fields"'):]
    return form[: form.index("</form>")]


def _fields(world, **changes) -> dict:
    data = {"subject": "外卖超时未送达,要求退款", "category_id": "", "priority": "normal", "channel": "phone",
            "complaint_type": "none", "assignee_id": str(world.users["agent"].id),
            "team_id": str(world.teams["front"].id)}
    return {**data, **changes}


def test_agent_changes_fields_and_the_history_says_what_changed(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    late = world.categories["delivery.late"]
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(
        world, subject="外卖超时两小时,顾客要求退款并投诉", category_id=str(late.id), priority="urgent",
        channel="wechat", complaint_type="external"))
    assert r.status_code == 303
    db.expire_all()
    ticket = db.get(Ticket, tid)
    assert (ticket.subject, ticket.category_id, ticket.priority, ticket.channel, ticket.complaint_type) == (
        "外卖超时两小时,顾客要求退款并投诉", late.id, "urgent", "wechat", "external")
    # the external-complaint policy (24 h) now sets the resolution due time
    assert ticket.resolution_due_at == datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    page = client.get(f"/tickets/{tid}").text
    assert ("王小明 修改了 主题「外卖超时未送达,要求退款」→「外卖超时两小时,顾客要求退款并投诉」、"
            "分类「无」→「配送问题 / 超时未送达」、渠道「电话」→「微信」、优先级「普通」→「紧急」、"
            "投诉类型「非投诉」→「外部投诉(12315等)」") in page
    events = db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid, TicketEvent.kind == "updated")).all()
    assert len(events) == 1 and set(events[0].data["changes"]) == {
        "subject", "category_id", "priority", "channel", "complaint_type"}
    # saving the form unchanged records nothing
    assert post(client, f"/tickets/{tid}/fields", csrf, **_fields(
        world, subject=ticket.subject, category_id=str(late.id), priority="urgent", channel="wechat",
        complaint_type="external")).status_code == 303
    assert len(db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid,
                                                    TicketEvent.kind == "updated")).all()) == 1


def test_only_team_leads_assign_to_others_as_the_api_does(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    form = _form(client.get(f"/tickets/{tid}").text, tid)
    assert f'value="{world.users["agent"].id}"' in form and f'value="{world.users["agent2"].id}"' not in form
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, assignee_id=str(world.users["agent2"].id),
                                                                 priority="high"))
    assert r.status_code == 403 and "只有组长及以上角色可以把工单指派给他人" in r.text
    assert 'value="high" selected' in _form(r.text, tid)  # the typed change is still in the form
    db.expire_all()
    assert (db.get(Ticket, tid).assignee_id, db.get(Ticket, tid).priority) == (world.users["agent"].id, "normal")

    csrf = login(client, "team_lead")
    form = _form(client.get(f"/tickets/{tid}").text, tid)
    assert f'value="{world.users["agent2"].id}"' in form
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, assignee_id=str(world.users["agent2"].id),
                                                                 team_id=str(world.teams["front2"].id)))
    assert r.status_code == 303
    page = client.get(f"/tickets/{tid}").text
    assert "李组长 修改了 处理人「王小明」→「刘二」、班组「一线客服一组」→「一线客服二组」" in page


def test_bad_field_input_is_refused_naming_the_field(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, subject="  ", priority="urgent"))
    assert r.status_code == 422 and "「主题」不能为空" in r.text
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, subject="长" * 201))
    assert r.status_code == 422 and "「主题」过长,最多 200 个字符" in r.text
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, channel="fax"))
    assert r.status_code == 422 and "「渠道」的取值无效" in r.text
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, category_id="99999"))
    assert r.status_code == 422 and "分类编号 99999 不存在" in r.text
    db.expire_all()
    ticket = db.get(Ticket, tid)
    assert (ticket.subject, ticket.priority, ticket.channel, ticket.category_id) == (
        "外卖超时未送达,要求退款", "normal", "phone", None)


def test_closed_tickets_and_read_only_roles_get_no_edit_form(client, world, db):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    assert post(client, f"/tickets/{tid}/status", csrf, status="resolved").status_code == 303
    assert post(client, f"/tickets/{tid}/status", csrf, status="closed").status_code == 303
    assert f'action="/tickets/{tid}/fields"' not in client.get(f"/tickets/{tid}").text
    r = post(client, f"/tickets/{tid}/fields", csrf, **_fields(world, priority="urgent"))
    assert r.status_code == 409 and "工单已关闭,不能再修改" in r.text
    open_one = new_ticket(client, csrf)
    csrf = login(client, "qa")
    assert f'action="/tickets/{open_one}/fields"' not in client.get(f"/tickets/{open_one}").text
    assert post(client, f"/tickets/{open_one}/fields", csrf, **_fields(world, priority="urgent")).status_code == 403
    db.expire_all()
    assert db.get(Ticket, open_one).priority == "normal"


def test_an_illegal_transition_is_shown_in_chinese_then_in_english(client, world):
    csrf = login(client, "agent")
    tid = new_ticket(client, csrf)
    r = post(client, f"/tickets/{tid}/status", csrf, status="closed")
    assert r.status_code == 409 and "「处理中」的工单不能直接改为「已关闭」" in r.text
    assert "cannot become" not in r.text
    assert client.get("/lang/en", params={"next": f"/tickets/{tid}"}, follow_redirects=False).status_code == 303
    r = post(client, f"/tickets/{tid}/status", csrf, status="closed")
    assert r.status_code == 409 and "A ticket that is Open cannot become Closed" in r.text
    r = post(client, f"/tickets/{tid}/compensation", csrf, kind="refund", reason="unused_7_days", amount="500")
    assert r.status_code == 403 and "Your role may grant at most ¥20.00; escalate for more" in r.text
    r = post(client, f"/tickets/{tid}/compensation", csrf, kind="refund", reason="unused_7_days", amount="五十")
    assert r.status_code == 422 and "Amount (yuan): enter a number of yuan" in r.text
    client.get("/lang/zh-CN")
    r = post(client, f"/tickets/{tid}/compensation", csrf, kind="refund", reason="unused_7_days", amount="五十")
    assert r.status_code == 422 and "「金额(元)」请填写以元为单位的数字" in r.text
    r = post(client, f"/tickets/{tid}/merge", csrf, target_id=str(tid))
    assert r.status_code == 403  # merging needs tickets.assign, refused before the service runs
    assert "您的角色(一线客服)无权执行此操作" in r.text
