def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_agent_creates_ticket_in_chinese(client, world):
    r = client.post("/api/v1/tickets", headers=world.headers("agent"), json={
        "subject": "外卖超时未送达,要求退款", "description": "顾客说等了两个小时还没送到",
        "customer_id": world.customers[0].id, "category_id": world.categories["delivery.late"].id})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["status"] == "open" and t["tier"] == 1 and t["assignee"]["name"] == "王小明"
    assert t["customer"]["phone"] == "138****5678"
    r = client.get("/api/v1/tickets", headers=world.headers("agent"), params={"q": "超时未送达"})
    assert r.json()["count"] == 1
