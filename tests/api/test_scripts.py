"""/api/v1/scripts: the default library, admin edits, 422/409 naming the field, rendering for a ticket."""

from __future__ import annotations

from kefu.scripts.defaults import DEFAULT_SCRIPTS

API = "/api/v1"


def _get(client, world, who, path, **kw):
    return client.get(API + path, headers=world.headers(who), **kw)


def _by_code(client, world, code):
    rows = _get(client, world, "agent", "/scripts", ).json()["data"]
    return next(s for s in rows if s["code"] == code)


def test_the_default_library_is_there_in_the_order_of_a_contact(client, world):
    r = _get(client, world, "trainee", "/scripts", params={"language": "zh-CN"})
    assert r.status_code == 200
    cats = [s["category"] for s in r.json()["data"]]
    for needed in ("opening", "hold_short", "hold_long", "hold_thanks", "closing", "survey_invite", "idle_prompt",
                   "idle_close"):
        assert needed in cats
    assert cats.index("opening") < cats.index("hold_long") < cats.index("closing") < cats.index("idle_close")
    assert r.json()["count"] == sum(1 for row in DEFAULT_SCRIPTS if row[5] == "zh-CN")
    long_hold = _by_code(client, world, "hold_long")
    assert "1—2分钟" in long_hold["body"] and "请您稍等不要挂机" in long_hold["body"]
    en = _get(client, world, "agent", "/scripts", params={"language": "en", "category": "opening"}).json()["data"]
    assert [s["shortcut"] for s in en] == ["/ekc"]


def test_filters_q_and_category(client, world):
    rows = _get(client, world, "agent", "/scripts", params={"q": "不要挂机"}).json()["data"]
    assert {s["code"] for s in rows} == {"hold_long", "transfer"}
    rows = _get(client, world, "agent", "/scripts", params={"category": "idle_prompt", "language": "zh-CN"}).json()
    assert [s["shortcut"] for s in rows["data"]] == ["/zx"]
    assert _get(client, world, "agent", "/scripts", params={"category": "nope"}).status_code == 422


def test_the_opening_names_the_configured_center_and_the_agent(client, world, monkeypatch):
    from kefu.core.settings import get_settings

    monkeypatch.setattr(get_settings(), "center_name", "起点客服中心")
    opening = _by_code(client, world, "opening")
    r = client.post(f"{API}/scripts/{opening['id']}/render", headers=world.headers("agent"), json={})
    assert r.status_code == 200
    assert r.json()["text"] == "您好!欢迎致电起点客服中心,我是客服代表王小明,很高兴为您服务,请问有什么可以帮到您?"


def test_render_for_a_ticket_uses_the_surname_and_title(client, world, db, desk):
    world.customers[0].title = "mr"  # 张伟
    db.flush()
    ticket = desk.ticket()
    hold = _by_code(client, world, "hold_long")
    r = client.post(f"{API}/scripts/{hold['id']}/render", headers=world.headers("agent"),
                    json={"ticket_id": ticket["id"]})
    text = r.json()["text"]
    assert text.startswith("张先生,您的情况我们需要为您查询确认") and "张伟" not in text
    follow = _by_code(client, world, "follow_up")
    text = client.post(f"{API}/scripts/{follow['id']}/render", headers=world.headers("agent"),
                       json={"ticket_id": ticket["id"]}).json()["text"]
    assert text.endswith(f"您的工单号是{ticket['id']}。")
    # 李娜 has no known title: 您, never her full name
    text = client.post(f"{API}/scripts/{hold['id']}/render", headers=world.headers("agent"),
                       json={"customer_id": world.customers[2].id}).json()["text"]
    assert text.startswith("您,您的情况") and "李娜" not in text
    r = client.post(f"{API}/scripts/{hold['id']}/render", headers=world.headers("agent"), json={"ticket_id": 999999})
    assert r.status_code == 404


def test_admin_creates_edits_and_deactivates(client, world, desk):
    body = {"code": "comfort", "category": "apology", "title": "安抚情绪",
            "body": "{称呼},请您不要着急,{坐席}一定帮您处理。", "shortcut": ";aw"}
    r = desk.post("admin", "/scripts", json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["updated_by_id"] == world.users["admin"].id
    r = desk.patch("supervisor", f"/scripts/{sid}", json={"title": "安抚", "is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert sid not in [s["id"] for s in _get(client, world, "agent", "/scripts").json()["data"]]
    assert sid in [s["id"] for s in _get(client, world, "agent", "/scripts", params={"active": False}).json()["data"]]
    assert desk.audit("script.update")[-1].target_id == str(sid)
    assert desk.patch("agent", f"/scripts/{sid}", json={"title": "x"}).status_code == 403


def test_bad_input_is_refused_naming_the_field(client, world, desk):
    base = {"code": "x1", "category": "other", "title": "测试", "body": "您好"}
    r = desk.post("admin", "/scripts", json={**base, "body": "{称呼},您的手机号是{手机号}"})
    assert r.status_code == 422 and r.json()["field"] == "body" and "{手机号}" in r.json()["detail"]
    r = desk.post("admin", "/scripts", json={**base, "shortcut": "/kc"})
    assert r.status_code == 409 and r.json()["field"] == "shortcut"
    r = desk.post("admin", "/scripts", json={**base, "code": "opening"})
    assert r.status_code == 409 and r.json()["field"] == "code"
    r = desk.post("admin", "/scripts", json={**base, "shortcut": "kc"})
    assert r.status_code == 422 and "shortcut" in r.text
    opening = _by_code(client, world, "opening")
    r = desk.patch("admin", f"/scripts/{opening['id']}", json={"body": "欢迎{centre}"})
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = desk.patch("admin", f"/scripts/{opening['id']}", json={"body": None})
    assert r.status_code == 422
    r = desk.patch("admin", f"/scripts/{opening['id']}", json={"shortcut": None})
    assert r.status_code == 200 and r.json()["shortcut"] is None
