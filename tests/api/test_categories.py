"""The category tree: admins edit it, a cycle is refused."""

from __future__ import annotations


def test_admin_builds_the_tree_with_paths(desk):
    parent = desk.world.categories["delivery"].id
    r = desk.post(
        "admin",
        "/categories",
        json={"code": "delivery.damaged", "name": "餐品洒漏", "parent_id": parent, "severity_class": "general"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["path"] == "配送问题 / 餐品洒漏"
    r = desk.post("admin", "/categories", json={"code": "delivery.damaged", "name": "重复"})
    assert r.status_code == 409 and r.json()["field"] == "code"
    names = [c["name"] for c in desk.get("agent", "/categories").json()["data"]]
    assert "餐品洒漏" in names


def test_only_admin_edits_categories(desk):
    cid = desk.world.categories["misc"].id
    for who in ("supervisor", "team_lead", "agent"):
        assert desk.patch(who, f"/categories/{cid}", json={"name": "改名"}).status_code == 403
        assert desk.post(who, "/categories", json={"code": "x", "name": "新"}).status_code == 403
    assert desk.get("agent", f"/categories/{cid}").json()["name"] == "陆续反馈需排查"


def test_cycle_is_refused(desk):
    c = desk.world.categories
    for parent in ("delivery.late", "delivery"):  # own child, itself
        r = desk.patch("admin", f"/categories/{c['delivery'].id}", json={"parent_id": c[parent].id})
        assert r.status_code == 422 and r.json()["field"] == "parent_id", r.text
    assert desk.get("admin", f"/categories/{c['delivery'].id}").json()["parent_id"] is None
    r = desk.patch("admin", f"/categories/{c['refund'].id}", json={"parent_id": c["delivery.late"].id})
    assert r.status_code == 200 and r.json()["path"] == "配送问题 / 超时未送达 / 退款问题"


def test_deactivated_category_is_hidden_unless_asked(desk):
    cid = desk.world.categories["misc"].id
    assert desk.patch("admin", f"/categories/{cid}", json={"is_active": False}).status_code == 200
    listed = desk.get("agent", "/categories").json()
    assert cid not in [c["id"] for c in listed["data"]]
    listed = desk.get("agent", "/categories", params={"include_inactive": "true"}).json()
    assert cid in [c["id"] for c in listed["data"]]
