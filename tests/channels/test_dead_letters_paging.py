"""Dead-letter lists in pages: the API's limit / offset with a capped count, the admin page's page links,
and the filter by channel, newest first."""

from __future__ import annotations

import re

import pytest

from kefu.channels import dead_letters, intake
from web.helpers import login

URL = "/api/v1/channels/dead-letters"


@pytest.fixture
def dead(db, clock):
    """130 e-mails and 7 WeChat pushes that failed, one a minute, the WeChat ones the newest."""
    for i in range(130):
        raw = (f"From: 客户{i} <c{i}@mail.example.cn>\r\nSubject: 外卖退款 第{i}单\r\n"
               f"Message-ID: <dead-{i}@mail.example.cn>\r\n\r\n退款没到账\r\n").encode()
        intake.dead_letter(db, channel="email", external_id=f"<dead-{i}@mail.example.cn>", raw=raw,
                           error="OperationalError: database is locked", now=clock.now())
        clock.advance(minutes=1)
    for i in range(7):
        raw = f"<xml><FromUserName>oWx{i}</FromUserName><Content>红包没到账{i}</Content></xml>".encode()
        intake.dead_letter(db, channel="wechat", external_id=f"2487632190541{i:04d}", raw=raw,
                           error="OperationalError: database is locked", now=clock.now())
        clock.advance(minutes=1)
    db.commit()


def test_the_api_pages_through_every_dead_letter_newest_first(client, world, dead):
    headers = world.headers("admin")
    first = client.get(URL, headers=headers, params={"limit": 50}).json()
    assert (first["count"], first["count_capped"], len(first["data"])) == (137, False, 50)
    assert [r["channel"] for r in first["data"][:8]] == ["wechat"] * 7 + ["email"]
    assert first["data"][0]["external_id"] == "24876321905410006"
    seen = [r["id"] for r in first["data"]]
    for offset in (50, 100):
        page = client.get(URL, headers=headers, params={"limit": 50, "offset": offset}).json()
        assert page["count"] == 137
        seen += [r["id"] for r in page["data"]]
    assert len(seen) == len(set(seen)) == 137  # every one once, none skipped
    times = [r["received_at"] for r in client.get(URL, headers=headers, params={"limit": 500}).json()["data"]]
    assert times == sorted(times, reverse=True)
    past = client.get(URL, headers=headers, params={"offset": 400}).json()
    assert past["data"] == [] and past["count"] == 137
    assert client.get(URL, headers=headers, params={"limit": 501}).status_code == 422
    assert client.get(URL, headers=headers, params={"offset": -1}).status_code == 422


def test_the_api_filters_by_channel(client, world, dead):
    r = client.get(URL, headers=world.headers("admin"), params={"channel": "wechat"}).json()
    assert r["count"] == 7 and {x["channel"] for x in r["data"]} == {"wechat"}
    r = client.get(URL, headers=world.headers("admin"), params={"channel": "email", "limit": 20, "offset": 120}).json()
    assert r["count"] == 130 and len(r["data"]) == 10
    assert client.get(URL, headers=world.headers("admin"), params={"channel": "weibo"}).json() == {
        "data": [], "count": 0, "count_capped": False}


def test_the_count_stops_at_the_cap(client, world, dead, monkeypatch):
    monkeypatch.setattr(dead_letters, "COUNT_CAP", 60)
    r = client.get(URL, headers=world.headers("admin"), params={"limit": 20}).json()
    assert (r["count"], r["count_capped"]) == (60, True)
    # a page past the cap counts up to its own end; the last page is counted exactly
    r = client.get(URL, headers=world.headers("admin"), params={"limit": 50, "offset": 50}).json()
    assert (r["count"], r["count_capped"]) == (100, True)
    r = client.get(URL, headers=world.headers("admin"), params={"limit": 50, "offset": 100}).json()
    assert (r["count"], r["count_capped"], len(r["data"])) == (137, False, 37)


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<td><a href="/admin/dead-letters/(\d+)">', html)]


def test_the_admin_page_has_page_links_and_a_channel_filter(client, world, dead):
    login(client, "admin")
    first = client.get("/admin/dead-letters")
    assert first.status_code == 200 and "共 137 条" in first.text and "第 1 / 3 页" in first.text
    assert 'href="/admin/dead-letters?channel=&amp;page=2"' in first.text and "上一页" not in first.text
    ids = _ids(first.text)
    assert len(ids) == 50
    last = client.get("/admin/dead-letters?page=3")
    assert "第 3 / 3 页" in last.text and "下一页" not in last.text and 'page=2"' in last.text
    all_ids = ids + _ids(client.get("/admin/dead-letters?page=2").text) + _ids(last.text)
    assert len(set(all_ids)) == 137
    wechat = client.get("/admin/dead-letters?channel=wechat")
    assert "共 7 条" in wechat.text and "pager" not in wechat.text and len(_ids(wechat.text)) == 7
    assert '<option value="wechat" selected>' in wechat.text
    email = client.get("/admin/dead-letters?channel=email&page=2")
    assert "第 2 / 3 页" in email.text and 'href="/admin/dead-letters?channel=email&amp;page=3"' in email.text
    # an unknown channel is no filter; a page past the end shows no rows
    assert "共 137 条" in client.get("/admin/dead-letters?channel=<b>x</b>").text
    assert "没有死信" in client.get("/admin/dead-letters?page=9").text


def test_the_admin_page_shows_a_capped_count(client, world, dead, monkeypatch):
    monkeypatch.setattr(dead_letters, "COUNT_CAP", 60)
    login(client, "admin")
    page = client.get("/admin/dead-letters")
    assert "共 60+ 条" in page.text and "第 1 / 3 页" in page.text
