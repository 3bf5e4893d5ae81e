"""/admin/scripts: the library by category, create, edit, deactivate; refusals in Chinese naming the field."""

from __future__ import annotations

from sqlalchemy import select

from kefu.scripts.models import Script
from web.helpers import login


def test_admin_sees_the_library_by_category_and_edits_it(client, world, db):
    csrf = login(client, "admin")
    r = client.get("/admin/scripts")
    assert r.status_code == 200
    assert "长时间等待" in r.text and "请您稍等不要挂机" in r.text and "/kc" in r.text
    r = client.post("/admin/scripts", data={"csrf_token": csrf, "code": "comfort", "category": "apology",
                                            "title": "安抚", "body": "{称呼},请您不要着急。", "shortcut": ";aw"},
                    follow_redirects=False)
    assert r.status_code == 303
    script = db.scalar(select(Script).where(Script.code == "comfort"))
    r = client.post(f"/admin/scripts/{script.id}", data={"csrf_token": csrf, "category": "apology", "title": "安抚",
                                                          "body": "{称呼},请您别着急。", "shortcut": ";aw",
                                                          "sort_order": "3"}, follow_redirects=False)
    assert r.status_code == 303
    db.refresh(script)
    assert script.body == "{称呼},请您别着急。" and script.sort_order == 3
    client.post(f"/admin/scripts/{script.id}/active", data={"csrf_token": csrf, "active": "0"})
    db.refresh(script)
    assert script.is_active is False


def test_bad_input_is_shown_in_chinese_naming_the_field(client, world):
    csrf = login(client, "admin")
    r = client.post("/admin/scripts", data={"csrf_token": csrf, "code": "bad", "category": "other", "title": "坏",
                                            "body": "您的手机号是{手机号}"})
    assert r.status_code == 422
    assert "「内容」含有未知的占位符 {手机号}" in r.text
    assert "您的手机号是{手机号}" in r.text  # what was typed is kept
    r = client.post("/admin/scripts", data={"csrf_token": csrf, "code": "dup", "category": "other", "title": "重复",
                                            "body": "您好", "shortcut": "/kc"})
    assert r.status_code == 409 and "「快捷键」/kc 已被使用" in r.text


def test_supervisors_edit_agents_do_not(client, world):
    login(client, "supervisor")
    assert client.get("/admin/scripts").status_code == 200
    login(client, "agent")
    assert client.get("/admin/scripts").status_code == 403
