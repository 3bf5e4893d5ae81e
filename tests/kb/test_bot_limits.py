"""The self-service bot's public routes: a rate limit per visitor (conversation) and per client IP, counted in
windows of the injected clock, per process or across processes through Redis; and the bot's own phrases in
the widget's language."""

from __future__ import annotations

import os
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kefu.app import create_app
from kefu.chat.models import ChatQueue
from kefu.core.ratelimit import LocalCounter, RedisCounter, window_of
from kefu.core.settings import Settings
from kefu.kb.models import BotTurn

API = "/api/v1"
REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def queue(db, clock):
    db.add(ChatQueue(code="waimai_chat", name="外卖在线", concurrency=3, is_active=True, created_at=clock.now()))
    db.commit()
    return "waimai_chat"


def _client(engine, factory, clock, ip="10.0.0.8", **limits) -> TestClient:
    settings = Settings(**{"bot_rate_window_seconds": 60, "bot_rate_per_visitor": 100, "bot_rate_per_ip": 100,
                           **limits})
    app = create_app(settings=settings, engine=engine, clock=clock, sessionmaker=factory, run_worker=False)
    return TestClient(app, client=(ip, 50000))


def test_a_window_counts_up_to_its_limit_then_says_how_long_to_wait(clock):
    counter = LocalCounter()
    start = clock.now()
    _number, left = window_of(start, 60)
    assert [counter.hit("顾客甲", limit=2, window=60, now=start) for _ in range(2)] == [None, None]
    assert counter.hit("顾客甲", limit=2, window=60, now=start) == left
    assert counter.hit("顾客乙", limit=2, window=60, now=start) is None  # someone else counts on their own
    clock.advance(seconds=left)  # the next window
    assert counter.hit("顾客甲", limit=2, window=60, now=clock.now()) is None


def test_a_visitor_asking_too_fast_gets_429_in_their_language_and_nothing_is_stored(engine, factory, clock, db,
                                                                                     world, kb, queue):
    with _client(engine, factory, clock, bot_rate_per_visitor=3) as client:
        token = client.post(f"{API}/kb/bot", json={"queue": queue}).json()["token"]
        for text in ("红包怎么用不了", "退款多久到账", "发票怎么开"):
            assert client.post(f"{API}/kb/bot/{token}/messages", json={"text": text}).status_code == 200
        over = client.post(f"{API}/kb/bot/{token}/messages", json={"text": "骑手态度很差"})
        assert over.status_code == 429
        wait = int(over.headers["Retry-After"])
        assert 1 <= wait <= 60
        assert over.json()["detail"] == f"您发送得太频繁了,请 {wait} 秒后再试"
        english = client.post(f"{API}/kb/bot/{token}/messages?lang=en", json={"text": "骑手态度很差"})
        assert english.status_code == 429
        assert english.json()["detail"] == f"Too many requests; please try again in {wait} s"
        questions = db.scalar(select(func.count()).select_from(BotTurn).where(BotTurn.kind == "question"))
        assert questions == 3  # the refused question was not taken

        other = client.post(f"{API}/kb/bot", json={"queue": queue}).json()["token"]  # another visitor
        assert client.post(f"{API}/kb/bot/{other}/messages", json={"text": "骑手态度很差"}).status_code == 200

        clock.advance(seconds=wait)  # the window is over
        assert client.post(f"{API}/kb/bot/{token}/messages", json={"text": "骑手态度很差"}).status_code == 200


def test_one_address_opening_conversation_after_conversation_is_stopped(engine, factory, clock, db, world, queue):
    with _client(engine, factory, clock, bot_rate_per_ip=3) as client, \
            _client(engine, factory, clock, ip="10.0.0.9", bot_rate_per_ip=3) as neighbour:
        assert [client.post(f"{API}/kb/bot", json={"queue": queue}).status_code for _ in range(4)] == \
            [201, 201, 201, 429]
        assert neighbour.post(f"{API}/kb/bot", json={"queue": queue}).status_code == 201


def test_with_redis_every_process_counts_the_same_visitor(engine, factory, clock, db, world, kb, queue,
                                                          monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"kefu-test-{uuid.uuid4().hex[:12]}"
    limits = {"redis_url": REDIS_URL, "redis_prefix": prefix, "bot_rate_per_visitor": 4}
    with _client(engine, factory, clock, **limits) as one, _client(engine, factory, clock, **limits) as two:
        assert isinstance(one.app.state.rate_counter, RedisCounter)
        token = one.post(f"{API}/kb/bot", json={"queue": queue}).json()["token"]
        codes = [c.post(f"{API}/kb/bot/{token}/messages", json={"text": "退款多久到账"}).status_code
                 for c in (one, two, one, two, one)]
        assert codes == [200, 200, 200, 200, 429]  # four between them, not four each
        assert two.post(f"{API}/kb/bot/{token}/messages", json={"text": "退款多久到账"}).status_code == 429
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:rl:*")
    assert keys and all(b"10.0.0.8" not in k and token.encode() not in k for k in keys)  # hashed, not as is


def test_the_bots_own_phrases_follow_the_widgets_language(client, db, world, kb, queue):
    start = client.post(f"{API}/kb/bot?lang=en", json={"queue": queue}).json()
    assert start["text"].startswith("Hello, I am the virtual assistant")
    token = start["token"]
    r = client.post(f"{API}/kb/bot/{token}/messages?lang=en", json={"text": "你好"}).json()
    assert (r["action"], r["text"]) == ("clarify", "Sorry, I did not understand. Could you describe the problem in "
                                                   "more detail, e.g. “my delivery is late, how do I get a refund”?")
    r = client.post(f"{API}/kb/bot/{token}/messages?lang=en", json={"text": "红包怎么用不了"}).json()
    assert r["articles"][0]["title"] == "红包怎么使用?为什么红包用不了"  # the article as written
    assert r["text"] in ("Is your question one of these? Click to read:", r["articles"][0]["title"])
    zh = client.post(f"{API}/kb/bot/{token}/messages", json={"text": "转人工"}).json()  # switched back to 中文
    assert zh["text"] == "正在为您转接人工客服,请稍候。"
    assert client.post(f"{API}/kb/bot?lang=fr", json={"queue": queue}).status_code == 422
