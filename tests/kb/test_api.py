"""The knowledge base through the API: writing and the review workflow with versions and audit, what
customers see, and the bot answering then handing over to the chat queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kefu.audit.models import AuditEntry
from kefu.chat.models import Chat, ChatMessage, ChatQueue

API = "/api/v1"


def _post(client, world, who, path, **kw):
    return client.post(API + path, headers=world.headers(who), **kw)


def test_draft_review_publish_keeps_every_version(client, world, db):
    r = _post(client, world, "agent", "/kb/articles", json={
        "title": "骑手App接单后如何转单", "body": "进入「订单」页,点击**转单**。", "product": "骑手App",
        "business_line": "waimai", "platforms": ["android", "iphone"], "tags": ["骑手", "转单"]})
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert r.json()["status"] == "draft" and r.json()["platforms"] == ["android", "iphone"]
    edit = {"body": "进入「订单」页,点击**转单**,选择同站点骑手。", "note": "补充"}
    assert client.patch(f"{API}/kb/articles/{aid}", headers=world.headers("agent"), json=edit).status_code == 200
    assert _post(client, world, "agent", f"/kb/articles/{aid}/submit", json={}).json()["status"] == "review"
    # an agent may not publish; a team lead may
    assert _post(client, world, "agent", f"/kb/articles/{aid}/review", json={"action": "publish"}).status_code == 403
    r = _post(client, world, "team_lead", f"/kb/articles/{aid}/review", json={"action": "publish"})
    assert r.json()["status"] == "published" and r.json()["version"] == 4
    versions = client.get(f"{API}/kb/articles/{aid}/versions", headers=world.headers("qa")).json()["data"]
    assert [(v["version"], v["action"]) for v in versions] == [(4, "publish"), (3, "submit"), (2, "edit"),
                                                               (1, "create")]
    assert versions[2]["changed"] == ["body"] and versions[2]["note"] == "补充"
    assert versions[0]["changed_by_id"] == world.users["team_lead"].id
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(aid),
                                                         AuditEntry.target_type == "kb_article"))
    assert sorted(actions) == ["kb.article.create", "kb.article.edit", "kb.article.publish", "kb.article.submit"]
    # published: found by staff and customers alike
    hits = client.get(f"{API}/kb/search", params={"q": "骑手怎么转单"}, headers=world.headers("agent")).json()
    assert hits["data"][0]["id"] == aid and "<mark>" in hits["data"][0]["snippet"]


def test_review_rules(client, world):
    aid = _post(client, world, "agent", "/kb/articles", json={"title": "草稿", "body": "内容"}).json()["id"]
    r = _post(client, world, "team_lead", f"/kb/articles/{aid}/review", json={"action": "publish"})
    assert r.status_code == 409 and "draft" in r.json()["detail"]
    _post(client, world, "agent", f"/kb/articles/{aid}/submit", json={})
    r = _post(client, world, "team_lead", f"/kb/articles/{aid}/review", json={"action": "reject"})
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = _post(client, world, "team_lead", f"/kb/articles/{aid}/review", json={"action": "reject", "note": "请补充步骤"})
    assert r.json()["status"] == "draft"
    r = _post(client, world, "agent", "/kb/articles", json={"title": "x", "body": "y", "platforms": ["塞班"]})
    assert r.status_code == 422 and "platforms" in r.text


def test_customers_never_see_internal_or_unpublished_articles(client, world, kb):
    internal = kb["internal_comp_limits"]
    assert client.get(f"{API}/kb/public/articles/{internal}").status_code == 404
    assert client.get(f"{API}/kb/articles/{internal}", headers=world.headers("agent")).status_code == 200
    data = client.get(f"{API}/kb/public/search", params={"q": "补偿红包权限额度"}).json()["data"]
    assert internal not in [h["id"] for h in data]
    r = client.get(f"{API}/kb/public/articles/{kb['hongbao_use']}")
    assert r.status_code == 200 and "internal_only" not in r.json()
    fb = client.post(f"{API}/kb/public/articles/{kb['hongbao_use']}/feedback", json={"helpful": True}).json()
    assert fb["helpful"] == 1
    art = client.get(f"{API}/kb/articles/{kb['hongbao_use']}", headers=world.headers("agent")).json()
    assert art["views"] == 1 and art["helpful"] == 1


def test_suggestions_for_a_ticket(client, world, kb):
    r = _post(client, world, "agent", "/tickets", json={
        "subject": "外卖送错餐了", "description": "顾客说收到的不是自己点的", "customer_id": world.customers[0].id})
    data = _post(client, world, "agent", "/kb/suggestions", json={"ticket_id": r.json()["id"], "limit": 3}).json()
    assert data["data"][0]["id"] == kb["wrong_order"]


@pytest.fixture
def queue(db, world, clock):
    db.add(ChatQueue(code="waimai_chat", name="外卖在线", concurrency=3, is_active=True, created_at=clock.now()))
    db.commit()
    return "waimai_chat"


def test_bot_answers_then_hands_over_with_the_conversation(client, world, db, kb, queue):
    start = client.post(f"{API}/kb/bot", json={"queue": queue, "platform": "iphone"})
    assert start.status_code == 201
    token = start.json()["token"]
    r = client.post(f"{API}/kb/bot/{token}/messages", json={"text": "红包怎么用不了"}).json()
    assert r["action"] == "answer" and r["articles"][0]["id"] == kb["hongbao_use"]
    r = client.post(f"{API}/kb/bot/{token}/feedback", json={"article_id": kb["hongbao_use"], "helpful": False}).json()
    assert r["action"] == "retry" and r["status"] == "open"
    r = client.post(f"{API}/kb/bot/{token}/messages", json={"text": "转人工", "name": "张伟"}).json()
    assert r["action"] == "handoff" and r["status"] == "handed_off" and r["visitor_token"]
    chat = db.get(Chat, r["chat_id"])
    assert chat.status == "waiting"  # in the queue, no agent is ready
    (transcript,) = db.scalars(select(ChatMessage.body).where(ChatMessage.chat_id == chat.id,
                                                             ChatMessage.kind == "bot_transcript"))
    assert "顾客:红包怎么用不了" in transcript and "《红包怎么使用?为什么红包用不了》" in transcript
    assert client.post(f"{API}/kb/bot/{token}/messages", json={"text": "在吗"}).status_code == 409


def test_second_failed_answer_hands_over_and_deflection_counts(client, world, db, kb, queue, clock):
    for helpful in (True, False):
        token = client.post(f"{API}/kb/bot", json={"queue": queue}).json()["token"]
        r = client.post(f"{API}/kb/bot/{token}/messages", json={"text": "团购券过期了能退吗"}).json()
        assert r["articles"][0]["id"] == kb["tuangou_refund"]
        r = client.post(f"{API}/kb/bot/{token}/feedback", json={"article_id": kb["tuangou_refund"], "helpful": helpful})
        if not helpful:
            r = client.post(f"{API}/kb/bot/{token}/messages", json={"text": "团购券怎么退款"}).json()
            r = client.post(f"{API}/kb/bot/{token}/feedback",
                            json={"article_id": r["articles"][0]["id"], "helpful": False}).json()
            assert r["action"] == "handoff" and r["chat_id"]
    m = client.get(f"{API}/kb/metrics/deflection", headers=world.headers("supervisor"),
                   params={"since": (clock.now() - timedelta(days=1)).isoformat(),
                           "until": (clock.now() + timedelta(days=1)).isoformat()}).json()
    assert (m["sessions"], m["resolved"], m["handed_off"], m["deflection_rate"]) == (2, 1, 1, 0.5)
    assert m["handoff_reasons"] == {"failed_twice": 1}
    assert m["deflect_most"][0] == {"id": kb["tuangou_refund"], "title": "团购券怎么退款?过期能退吗",
                                    "offered": 2, "resolved": 1, "deflection_rate": 0.5}


def test_the_widget_on_another_site_may_call_the_bot_and_nothing_else(client, queue):
    shop = {"Origin": "https://shop.example.cn"}
    pre = client.options(f"{API}/kb/bot", headers={**shop, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "content-type" in pre.headers["access-control-allow-headers"]
    r = client.post(f"{API}/kb/bot", json={"queue": queue}, headers=shop)
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers  # a conversation is its token, never a cookie
    assert "access-control-allow-origin" not in client.get(f"{API}/kb/public/search", params={"q": "退款"},
                                                           headers=shop).headers
    assert client.options(f"{API}/tickets", headers=shop).status_code == 405


def test_the_handed_over_chat_starts_with_the_bot_conversation_and_its_suggestions(client, world, db, kb, queue):
    token = client.post(f"{API}/kb/bot", json={"queue": queue}).json()["token"]
    client.post(f"{API}/kb/bot/{token}/messages", json={"text": "外卖超时一个多小时还没送到怎么办"})
    r = client.post(f"{API}/kb/bot/{token}/handoff", json={"name": "陈静"}).json()
    first = db.scalar(select(ChatMessage).where(ChatMessage.chat_id == r["chat_id"]).order_by(ChatMessage.seq))
    assert (first.seq, first.kind) == (1, "bot_transcript")  # before the queue's own messages
    data = _post(client, world, "agent", "/kb/suggestions", json={"chat_id": r["chat_id"], "limit": 3}).json()
    assert data["data"][0]["id"] == kb["delivery_late"]  # from what was asked of the bot: no customer message yet
