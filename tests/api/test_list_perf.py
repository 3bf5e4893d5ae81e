"""The fast ticket list (stored queue keys, capped counts, FTS-driven search): same answers as before.

No timings here (see bench/): the queue order, the capped count, search answers on both backends, and
a fixed number of SQL queries whatever the page size."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, select, text

from kefu.tickets import queries, search, workflow
from kefu.tickets.models import ACTIVE_STATUSES, NO_DUE, PRIORITY_RANK, Ticket, queue_rank


def _all(desk, who="team_lead", limit=200, **params) -> list[dict]:
    out, offset = [], 0
    while True:
        r = desk.get(who, "/tickets", params={**params, "limit": limit, "offset": offset})
        assert r.status_code == 200, r.text
        page = r.json()["data"]
        out.extend(page)
        if len(page) < limit:
            return out
        offset += limit


def _queue_key(t: dict):
    due = t["resolution_due_at"]
    return (0 if t["carry_over"] else 1, -PRIORITY_RANK[t["priority"]], due is None,
            datetime.fromisoformat(due) if due else None, t["id"])


def test_active_statuses_agree():
    assert ACTIVE_STATUSES == workflow.ACTIVE


def test_queue_order_carry_over_then_priority_then_due(desk, clock, db):
    # yesterday: a mix of priorities, one made pending (no due time), one resolved (not carried over)
    old = [desk.ticket(subject=f"昨天的工单{i}", priority=p) for i, p in
           enumerate(["low", "urgent", "normal", "high", "normal", "urgent"])]
    desk.patch("agent", f"/tickets/{old[2]['id']}", json={"status": "pending"})
    desk.patch("agent", f"/tickets/{old[4]['id']}", json={"status": "resolved"})
    clock.advance(hours=26)
    desk.relogin()
    new = [desk.ticket(subject=f"今天的工单{i}", priority=p) for i, p in
           enumerate(["normal", "urgent", "low", "high"])]
    desk.patch("agent", f"/tickets/{new[0]['id']}", json={"priority": "urgent"})  # re-ranked
    desk.patch("agent", f"/tickets/{old[0]['id']}", json={"priority": "high"})

    for t in db.scalars(select(Ticket).execution_options(populate_existing=True)):  # stored keys in step
        assert (t.is_active, t.queue_rank, t.queue_due) == (
            t.status in ACTIVE_STATUSES, queue_rank(t.priority), t.resolution_due_at or NO_DUE)

    for params in ({}, {"active": "true"}, {"mine": "true"}, {"status": "open,pending"}):
        for limit in (1, 3, 200):  # pages that end inside the carry-over part and across it
            got = _all(desk, who="agent", limit=limit, **params)
            assert [t["id"] for t in got] == [t["id"] for t in sorted(got, key=_queue_key)], (params, limit)
    every = _all(desk, limit=3)
    assert len(every) == 10
    carried = [t["id"] for t in every if t["carry_over"]]
    assert carried == [t["id"] for t in every[:len(carried)]] and len(carried) == 5
    assert [t["id"] for t in every[:2]] == [old[1]["id"], old[5]["id"]]  # urgent carry-over first
    assert [t["id"] for t in every[2:5]] == [old[0]["id"], old[3]["id"], old[2]["id"]]  # pending: no due, last
    # today's and the finished: priority (new[0] was re-ranked urgent; same due time, so by id), then due
    assert [t["id"] for t in every[5:]] == [new[0]["id"], new[1]["id"], new[3]["id"], old[4]["id"], new[2]["id"]]


def test_capped_count_says_so(desk, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    made = [desk.ticket(subject=f"退款问题{i}") for i in range(6)]
    r = desk.get("team_lead", "/tickets", params={"limit": 2})
    body = r.json()
    assert body["count"] == 3 and body["count_capped"] is True and len(body["data"]) == 2
    body = desk.get("team_lead", "/tickets", params={"limit": 2, "offset": 4}).json()
    assert body["count"] == 6 and "count_capped" not in body  # cap = offset + limit: all counted
    body = desk.get("team_lead", "/tickets", params={"limit": 10}).json()
    assert body["count"] == 6 and "count_capped" not in body and len(body["data"]) == 6
    body = desk.get("team_lead", "/tickets", params={"limit": 2, "q": "退款"}).json()
    assert body["count"] == 3 and body["count_capped"] is True
    assert [t["id"] for t in body["data"]] == [made[5]["id"], made[4]["id"]]  # search: latest first
    schema = desk.client.get("/openapi.json").json()["components"]["schemas"]["TicketPage"]
    assert "count_capped" in schema["properties"] and "1,000" in schema["properties"]["count_capped"][
        "description"]


SEARCH_TEXTS = [
    ("外卖超时未送达", "骑手迟到一小时"),
    ("超过配送范围", "商家说不能及时送达"),
    ("充值VIP会员失败", "扣款成功但未开通"),
    ("退款一直没到账", "骑手态度恶劣,要求退款"),
    ("螺蛳粉洒了", "包装破损,汤汁漏出"),
    ("账号被盗", "登录时提示密码错误,会员充值记录异常"),
]
# query -> indexes into SEARCH_TEXTS; the same answer is required on every backend
SEARCH_CASES = {
    "超时": {0}, "超过": {1}, "及时": {1}, "超时未送达": {0}, "送达": {0, 1}, "退款": {3}, "退款 骑手": {3},
    "骑手": {0, 3}, "vip": {2}, "VIP会员": {2}, "会员充值": {5}, "充值": {2, 5}, "螺蛳粉": {4}, "粉": {4},
    "送": {0, 1}, "态度恶劣": {3}, "超时 及时": set(), "发票": set(), "汤汁": {4},
}


def test_search_answers_are_the_same_on_every_backend(desk, db):
    made = [desk.ticket(subject=s, description=d)["id"] for s, d in SEARCH_TEXTS]
    for q, expected in SEARCH_CASES.items():
        for order in (None, "queue", "newest"):
            params = {"q": q} | ({"order": order} if order else {})
            got = [t["id"] for t in _all(desk, who="agent", **params)]
            assert sorted(got) == sorted(made[i] for i in expected), (q, order)
            if order is None:
                assert got == sorted(got, reverse=True)  # with q the default is the latest first
    if db.get_bind().dialect.name == "postgresql":  # each token is one lexeme to PostgreSQL's parser
        for (stored,) in db.execute(select(Ticket.search_text)):
            lexemes = db.scalar(text("SELECT array_length(tsvector_to_array(to_tsvector('simple', :s)), 1)"),
                                {"s": stored})
            assert lexemes == len(set(stored.split()))


def test_tokens_are_whole_words():
    assert search.index_text("超时") == "c8d8565f6"
    assert search.query_tokens("退款 VIP") == ["c90006b3e", "wvip"]
    assert search.needs_substring_fallback("粉") and not search.needs_substring_fallback("螺蛳粉")


@pytest.mark.parametrize("limit", [10, 200])
def test_agent_list_in_at_most_ten_queries(desk, db, engine, limit):
    w = desk.world
    agent = w.users["agent"]
    now = desk.client.app.state.clock.now()
    for i in range(limit + 5):
        t = Ticket(subject=f"工单{i}", description="", customer_id=w.customers[i % 3].id,
                   category_id=w.categories["refund"].id, business_line_id=w.lines["waimai"].id,
                   priority=["low", "normal", "high", "urgent"][i % 4], status="open", tier=1,
                   assignee_id=agent.id, team_id=w.teams["front"].id, created_at=now, updated_at=now,
                   sla_paused_seconds=0.0, first_response_breached=False, resolution_breached=False,
                   search_text=search.index_text(f"工单{i}"))
        db.add(t)
    db.flush()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        r = desk.get("agent", "/tickets", params={"mine": "true", "active": "true", "limit": limit})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert r.status_code == 200
    assert len(r.json()["data"]) == limit and r.json()["count"] == limit + 5
    assert len(statements) <= 10, statements


def test_migration_0002_backfills_keys_and_retokenizes(tmp_path):
    """A 0001 database with old-style tokens (c8d85_65f6): after 0002 the stored keys and the search text
    are what the service computes now, and the full-text index finds the ticket."""
    from kefu.core.db import make_engine
    from kefu.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    subject, description = "外卖超时未送达", "骑手态度恶劣 VIP"
    old_text = " ".join("c" + "_".join(t[i:i + 4] for i in range(1, len(t), 4)) if t.startswith("c") else t
                        for t in search.index_text(subject, description).split())
    assert "c8d85_65f6" in old_text
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO tickets (subject, description, channel, priority, status, tier, complaint_type, "
            "created_at, updated_at, resolution_due_at, sla_paused_seconds, sla_status, "
            "first_response_breached, resolution_breached, search_text) VALUES "
            "(:s, :d, 'phone', 'urgent', 'resolved', 1, 'none', '2026-11-20 01:00:00.000000', "
            "'2026-11-20 01:00:00.000000', NULL, 0, 'met', 0, 0, :t)"), {"s": subject, "d": description,
                                                                         "t": old_text})
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, search_text, is_active, queue_rank, queue_due FROM tickets")).one()
        assert row.search_text == search.index_text(subject, description)
        assert (row.is_active, row.queue_rank) == (0, 0) and row.queue_due.startswith("9999-12-31")
        hits = conn.execute(text("SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :q"),
                            {"q": '"c8d8565f6" "wvip"'}).scalars().all()
        assert hits == [row.id]
        triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
        assert {"tickets_fts_ai", "tickets_fts_ad", "tickets_fts_au"} <= set(triggers)
    engine.dispose()
