"""Customers: PII masked in every answer, revealed only with a reason and an audit entry."""

from __future__ import annotations


def test_create_and_read_masked(desk):
    r = desk.post(
        "agent",
        "/customers",
        json={
            "name": "周杰",
            "phone": "13600001234",
            "email": "zhoujie@example.cn",
            "address": "上海市浦东新区世纪大道100号",
            "id_number": "310101198801011234",
            "role": "passenger",
        },
    )
    assert r.status_code == 201, r.text
    c = r.json()
    assert (c["phone"], c["email"], c["id_number"]) == ("136****1234", "z***@example.cn", "3101**********1234")
    assert c["address"].endswith("****") and "世纪大道" not in c["address"] and c["masked"] is True
    got = desk.get("listener", f"/customers/{c['id']}").json()
    assert got["phone"] == "136****1234"


def test_search_by_name_and_phone_digits(desk):
    def names(q):
        return [c["name"] for c in desk.get("agent", "/customers", params={"q": q}).json()["data"]]

    assert names("王芳") == ["王芳"]
    assert names("1399876") == ["王芳"]
    assert names("5678") == ["张伟"]
    r = desk.get("agent", "/customers", params={"role": "rider"}).json()
    assert r["count"] == 1 and r["data"][0]["name"] == "李娜"


def test_update_audits_field_names_only(desk):
    cid = desk.world.customers[0].id
    r = desk.patch("agent", f"/customers/{cid}", json={"phone": "13711112222", "name": "张伟伟"})
    assert r.status_code == 200 and r.json()["phone"] == "137****2222" and r.json()["name"] == "张伟伟"
    entry = desk.audit("customer.update")[-1]
    assert entry.detail == {"fields": ["name", "phone"]}


def test_reveal_needs_permission_and_reason_and_is_audited(desk):
    cid = desk.world.customers[0].id
    assert desk.post("agent", f"/customers/{cid}/reveal", json={"reason": "核实"}).status_code == 403
    r = desk.post("team_lead", f"/customers/{cid}/reveal", json={"reason": " "})
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = desk.post("team_lead", f"/customers/{cid}/reveal", json={"reason": "核实退款账户"})
    assert r.status_code == 200
    c = r.json()
    assert c["masked"] is False and c["phone"] == "13812345678" and c["id_number"] == "110101199003071234"
    (entry,) = desk.audit("pii.reveal")
    assert entry.actor_id == desk.world.users["team_lead"].id and entry.target_id == str(cid)
    assert entry.detail["reason"] == "核实退款账户" and "13812345678" not in str(entry.detail)


def test_the_title_is_how_scripts_address_the_customer(desk):
    """称呼: 女士 (ms) / 先生 (mr) set through the API; the opening script then says 张女士, and null clears it."""
    c = desk.post("agent", "/customers", json={"name": "张丽", "phone": "13600005678", "title": "ms"}).json()
    assert c["title"] == "ms"
    found = desk.get("agent", "/scripts", params={"q": "/dd"}).json()["data"]
    script = next(s for s in found if s["code"] == "hold_short")
    said = desk.post("agent", f"/scripts/{script['id']}/render", json={"customer_id": c["id"]}).json()["text"]
    assert said.startswith("张女士,")
    assert desk.patch("agent", f"/customers/{c['id']}", json={"title": "mr"}).json()["title"] == "mr"
    r = desk.patch("agent", f"/customers/{c['id']}", json={"title": "madam"})
    assert r.status_code == 422 and "title" in r.text
    assert desk.patch("agent", f"/customers/{c['id']}", json={"title": None}).json()["title"] is None
    said = desk.post("agent", f"/scripts/{script['id']}/render", json={"customer_id": c["id"]}).json()["text"]
    assert said.startswith("您,")  # no title: the script says 您, never the full name
