"""/customers/{id}: masked details, the customer's tickets, the edit form and the audited reveal."""

from __future__ import annotations

from sqlalchemy import func, select

from kefu.audit.models import AuditEntry
from kefu.core.context import Actor
from kefu.customers.models import Customer
from kefu.customers.service import create_customer
from web.helpers import login, new_ticket, post

RAW = ("13812345678", "13812345678@example.cn", "北京市朝阳区建国路88号", "110101199003071234")


def _reveals(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "pii.reveal"))


def test_agent_sees_masked_details_and_the_tickets_but_no_reveal(client, world):
    csrf = login(client, "agent")
    zhang = world.customers[0]
    tid = new_ticket(client, csrf, customer_id=str(zhang.id))
    ticket_page = client.get(f"/tickets/{tid}").text
    assert f'href="/customers/{zhang.id}"' in ticket_page and "查看客户详情" in ticket_page
    page = client.get(f"/customers/{zhang.id}").text
    assert "张伟" in page and "138****5678" in page and "敏感信息已脱敏" in page
    assert [raw for raw in RAW if raw in page] == []
    assert f'href="/tickets/{tid}"' in page and "外卖超时未送达,要求退款" in page
    assert f'action="/customers/{zhang.id}/reveal"' not in page and "查看完整信息" not in page
    assert f'action="/customers/{zhang.id}"' in page  # agents may edit customers (customers.write)


def test_agent_cannot_post_a_reveal(client, world, db):
    csrf = login(client, "agent")
    zhang = world.customers[0]
    before = _reveals(db)
    r = post(client, f"/customers/{zhang.id}/reveal", csrf, reason="想看看")
    assert r.status_code == 403 and "您的角色(一线客服)无权执行此操作" in r.text
    assert [raw for raw in RAW if raw in r.text] == [] and _reveals(db) == before


def test_team_lead_reveals_with_a_reason_once_and_it_is_audited(client, world, db):
    csrf = login(client, "team_lead")
    zhang = world.customers[0]
    page = client.get(f"/customers/{zhang.id}").text
    assert f'action="/customers/{zhang.id}/reveal"' in page and "13812345678" not in page
    before = _reveals(db)
    r = post(client, f"/customers/{zhang.id}/reveal", csrf, reason="客户来电核实收货地址")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert all(raw in r.text for raw in RAW) and "本次查看已记入审计日志" in r.text
    assert _reveals(db) == before + 1
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "pii.reveal").order_by(AuditEntry.id.desc()))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (world.users["team_lead"].id, "customer",
                                                                     str(zhang.id))
    assert entry.detail["reason"] == "客户来电核实收货地址"
    assert not any(raw in str(entry.detail) for raw in RAW)
    again = client.get(f"/customers/{zhang.id}").text  # shown once: the page masks again
    assert "138****5678" in again and "13812345678" not in again


def test_a_reveal_needs_a_reason(client, world, db):
    csrf = login(client, "supervisor")
    before = _reveals(db)
    r = post(client, f"/customers/{world.customers[0].id}/reveal", csrf, reason="   ")
    assert r.status_code == 422 and "查看完整信息必须填写原因" in r.text and "13812345678" not in r.text
    r = post(client, f"/customers/{world.customers[0].id}/reveal", csrf, reason="核" * 201)
    assert r.status_code == 422 and "「原因」过长,最多 200 个字符" in r.text
    assert _reveals(db) == before


def test_agent_edits_a_customer_and_empty_pii_inputs_keep_what_is_stored(client, world, db):
    csrf = login(client, "agent")
    wang = world.customers[1]
    r = post(client, f"/customers/{wang.id}", csrf, name="王芳(商家)", role="merchant", phone="13900001111",
             email="", wechat_openid="oWx_王芳_2026", address="", clear="address")
    assert r.status_code == 303 and r.headers["location"] == f"/customers/{wang.id}"
    db.expire_all()
    stored = db.get(Customer, wang.id)
    assert (stored.name, stored.phone, stored.email, stored.wechat_openid, stored.address) == (
        "王芳(商家)", "13900001111", "13998765432@example.cn", "oWx_王芳_2026", None)
    page = client.get(f"/customers/{wang.id}").text
    assert "王芳(商家)" in page and "139****1111" in page and "13900001111" not in page
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "customer.update"))
    assert entry.detail == {"fields": ["address", "name", "phone", "wechat_openid"]}


def test_bad_customer_input_names_the_field_and_changes_nothing(client, world, db):
    csrf = login(client, "agent")
    li = world.customers[2]
    r = post(client, f"/customers/{li.id}", csrf, name="李娜娜", role="rider", phone="电话打不通")
    assert r.status_code == 422 and "电话号码格式不正确" in r.text
    assert 'value="李娜娜"' in r.text and 'value="电话打不通"' in r.text  # what was typed is kept
    r = post(client, f"/customers/{li.id}", csrf, name="  ", role="rider")
    assert r.status_code == 422 and "「姓名」不能为空" in r.text
    r = post(client, f"/customers/{li.id}", csrf, name="李娜", role="rider", email="a" * 190 + "@example.cn")
    assert r.status_code == 422 and "「邮箱」过长,最多 200 个字符" in r.text
    r = post(client, f"/customers/{li.id}", csrf, name="李娜", role="alien")
    assert r.status_code == 422 and "「身份」的取值无效" in r.text
    db.expire_all()
    stored = db.get(Customer, li.id)
    assert (stored.name, stored.phone, stored.role) == ("李娜", "15011112222", "rider")
    client.get("/lang/en")
    r = post(client, f"/customers/{li.id}", csrf, name="李娜", role="rider", phone="电话打不通")
    assert r.status_code == 422 and "The phone is not a phone number" in r.text


def test_read_only_roles_see_the_masked_page_without_forms(client, world, db):
    csrf = login(client, "analyst")
    li = world.customers[2]
    page = client.get(f"/customers/{li.id}").text
    assert "150****2222" in page and f'action="/customers/{li.id}"' not in page and "/reveal" not in page
    assert post(client, f"/customers/{li.id}", csrf, name="改名", role="rider").status_code == 403
    db.expire_all()
    assert db.get(Customer, li.id).name == "李娜"
    assert client.get("/customers/999999").status_code == 404
    assert "客户 #999999 不存在" in client.get("/customers/999999").text


def test_customer_text_is_escaped(client, world, db, clock):
    evil = create_customer(db, actor=Actor.system(clock.now()),
                           data={"name": "<script>alert(1)</script>", "address": "<img src=x onerror=alert(2)>"})
    db.commit()
    csrf = login(client, "team_lead")
    for r in (client.get(f"/customers/{evil.id}"), post(client, f"/customers/{evil.id}/reveal", csrf, reason="核实")):
        assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        assert "<img src=x" not in r.text


def test_agent_sets_the_customers_title_for_the_scripts(client, world, db):
    csrf = login(client, "agent")
    zhang = world.customers[0]
    r = post(client, f"/customers/{zhang.id}", csrf, name=zhang.name, role=zhang.role, title="mr")
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Customer, zhang.id).title == "mr"
    page = client.get(f"/customers/{zhang.id}").text
    assert '<dd id="customer-title">先生</dd>' in page and '<option value="mr" selected>' in page
    assert "<h1>客户详情 " in page
    r = post(client, f"/customers/{zhang.id}", csrf, name=zhang.name, role=zhang.role, title="")
    db.expire_all()
    assert r.status_code == 303 and db.get(Customer, zhang.id).title is None
