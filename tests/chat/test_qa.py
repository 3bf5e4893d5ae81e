"""质检 of online chats: the etiquette warnings kept on chats, listed and counted by period, agent, team, rule and
queue over /api/v1/qa and the /qa pages, and a chat's transcript with the offending words marked, the suggested
wording beside them and the customer's phone masked. Who may call them is in tests/api/test_authz.py."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from kefu.chat import qa
from kefu.chat import service as chat_service
from kefu.chat.models import ChatQueue
from kefu.core.errors import Invalid
from web.helpers import login

API = "/api/v1/qa"
OPENING = "您好,客服中心很高兴为您服务,我是客服代表{name},请问有什么可以帮您?"
SUGGESTED = "我们会为您反馈给相关人员或相关部门核实确认的"


def test_marking_masks_each_piece_and_keeps_the_spans_on_the_words():
    text, pieces, where = qa.mark("我帮您提交,您的电话13812345678对吗", [(7, 3, 5)])
    assert text == "我帮您提交,您的电话138****5678对吗"
    assert [(p["text"], p["ids"]) for p in pieces] == [("我帮您", []), ("提交", [7]), (",您的电话138****5678对吗", [])]
    assert text[where[7][0]:where[7][1]] == "提交"


def test_marking_a_span_after_a_masked_email_moves_it_with_the_text():
    raw = "邮箱: zhangwei@example.cn,我帮您提交"
    text, pieces, where = qa.mark(raw, [(1, raw.index("提交"), len(raw)), (2, 0, 0)])
    assert text.startswith("邮箱: z***@example.cn") and text[where[1][0]:where[1][1]] == "提交"
    assert where[2] == (0, 0)  # an empty span (no opening) marks nothing
    assert [p["ids"] for p in pieces if p["ids"]] == [[1]]


def test_overlapping_spans_cover_the_shared_words_with_both():
    _text, pieces, _where = qa.mark("请您提交!!", [(1, 2, 4), (2, 3, 6)])
    assert [(p["text"], p["ids"]) for p in pieces] == [("请您", []), ("提", [1]), ("交", [1, 2]), ("!!", [2])]


def test_an_unknown_rule_is_refused_naming_the_field():
    with pytest.raises(Invalid) as refused:
        qa.ViolationFilter(rule="rudeness")
    assert refused.value.field == "rule"


@pytest.fixture
def chats(db, world, clock):
    """Two queues. 王小明 (一线客服一组) writes 提交 to 张伟 in 外卖在线; 刘二 (same team) shouts at 王芳 in 阅读在线
    a day later; 李组长 (team lead, 一线客服一组 too) writes 提交 to 李娜 in 外卖在线 two days later."""
    now = clock.now()
    db.add_all([ChatQueue(code="waimai_chat", name="外卖在线", concurrency=3, is_active=True, created_at=now),
                ChatQueue(code="reading_chat", name="阅读在线", concurrency=3, is_active=True, created_at=now)])
    db.flush()
    made = {}
    script = [("agent", "waimai_chat", "张伟", "13812345678", 0, "我的外卖超时了,电话13812345678",
               "好的,我帮您提交一下"),
              ("agent2", "reading_chat", "王芳", "13998765432", 1, "书币充值没到账", "请您稍等!!"),
              ("team_lead", "waimai_chat", "李娜", "15011112222", 2, "骑手态度不好", "我马上提交给站点")]
    for who, queue, name, phone, day, asked, answer in script:
        at = now + timedelta(days=day)
        agent = world.users[who]
        chat_service.set_ready(db, user=agent, now=at)
        chat = chat_service.start_chat(db, now=at, queue_code=queue, name=name, phone=phone)
        assert chat.agent_id == agent.id
        chat_service.customer_message(db, chat=chat, body=asked, now=at, client_msg_id="c-1")
        chat_service.agent_message(db, chat=chat, agent=agent, now=at, client_msg_id="a-1",
                                   body=OPENING.format(name=agent.display_name))
        chat_service.agent_message(db, chat=chat, agent=agent, now=at, client_msg_id="a-2", body=answer)
        chat_service.set_away(db, user=agent, now=at)
        made[who] = chat
    db.commit()
    return made


def _day(clock, days=0):
    from kefu.core.settings import get_settings

    return (clock.now() + timedelta(days=days)).astimezone(get_settings().tz).date().isoformat()


def test_the_list_filters_by_rule_agent_team_queue_and_period(client, world, clock, chats):
    h = world.headers("qa")
    everything = {"from": _day(clock), "to": _day(clock, 2)}
    r = client.get(f"{API}/violations", headers=h, params=everything)
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 3
    found = client.get(f"{API}/violations", headers=h, params={**everything, "rule": "forbidden_wording"}).json()
    assert found["count"] == 2 and {v["words"] for v in found["data"]} == {"提交"}
    assert [v["agent"] for v in found["data"]] == ["李组长", "王小明"]  # newest first
    assert found["data"][1]["suggestion"] == SUGGESTED and found["data"][1]["queue"] == "waimai_chat"
    assert found["data"][1]["queue_name"] == "外卖在线"
    assert found["data"][1]["team"] == "一线客服一组" and found["data"][1]["chat_id"] == chats["agent"].id
    by_agent = client.get(f"{API}/violations", headers=h, params={**everything, "agent": world.users["agent2"].id})
    assert [(v["rule"], v["words"]) for v in by_agent.json()["data"]] == [("exclamation", "!")]
    by_queue = client.get(f"{API}/violations", headers=h, params={**everything, "queue": "reading_chat"}).json()
    assert by_queue["count"] == 1 and by_queue["data"][0]["agent"] == "刘二"
    other_team = client.get(f"{API}/violations", headers=h,
                            params={**everything, "team": world.teams["complaints"].id}).json()
    assert other_team == {"data": [], "count": 0}
    first_day = client.get(f"{API}/violations", headers=h, params={"from": _day(clock), "to": _day(clock)}).json()
    assert [v["agent"] for v in first_day["data"]] == ["王小明"]
    paged = client.get(f"{API}/violations", headers=h, params={**everything, "limit": 2, "offset": 2}).json()
    assert paged["count"] == 3 and [v["agent"] for v in paged["data"]] == ["王小明"]


def test_the_summary_counts_per_rule_and_per_agent(client, world, clock, chats):
    r = client.get(f"{API}/violations/summary", headers=world.headers("team_lead"),
                   params={"from": _day(clock), "to": _day(clock, 2)})
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["total"] == 3 and s["from"] == _day(clock)
    assert s["by_rule"] == [{"rule": "forbidden_wording", "count": 2}, {"rule": "exclamation", "count": 1}]
    assert sorted((a["agent"], a["count"]) for a in s["by_agent"]) == [("刘二", 1), ("李组长", 1), ("王小明", 1)]
    only = client.get(f"{API}/violations/summary", headers=world.headers("qa"),
                      params={"rule": "forbidden_wording", "team": world.teams["front"].id}).json()
    assert only["total"] == 2 and only["from"] is None


def test_bad_filters_are_refused_naming_the_field(client, world, chats):
    h = world.headers("qa")
    r = client.get(f"{API}/violations", headers=h, params={"rule": "说话太快"})
    assert r.status_code in (400, 422) and r.json()["field"] == "rule"
    r = client.get(f"{API}/violations", headers=h, params={"from": "2026-12-05", "to": "2026-12-01"})
    assert r.status_code in (400, 422) and r.json()["field"] == "to"
    r = client.get(f"{API}/violations", headers=h, params={"from": "十二月"})
    assert r.status_code == 422 and "from" in r.text


def test_the_csv_holds_every_match_with_the_chinese_readable(client, world, clock, chats):
    r = client.get(f"{API}/violations", headers=world.headers("supervisor"),
                   params={"rule": "forbidden_wording", "format": "csv", "limit": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(row["agent"], row["words"], row["suggestion"]) for row in rows] == [
        ("李组长", "提交", SUGGESTED), ("王小明", "提交", SUGGESTED)]


def test_the_transcript_marks_the_words_and_masks_the_customer(client, world, chats):
    r = client.get(f"{API}/chats/{chats['agent'].contact_id}", headers=world.headers("qa"))
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["customer"]["phone"] == "138****5678" and t["agent"] == "王小明" and t["queue"] == "外卖在线"
    assert "13812345678" not in r.text
    said = [(m["sender"], m["text"]) for m in t["messages"]]
    assert ("customer", "我的外卖超时了,电话138****5678") in said
    (flagged,) = [m for m in t["messages"] if m["violations"]]
    (v,) = flagged["violations"]
    assert flagged["text"][v["start"]:v["end"]] == "提交" and v["suggestion"] == SUGGESTED
    assert client.get(f"{API}/chats/999999", headers=world.headers("qa")).status_code == 404


def test_the_qa_page_filters_counts_and_opens_the_transcript(client, world, clock, chats):
    login(client, "qa")
    page = client.get("/qa", params={"first": _day(clock), "last": _day(clock, 2), "rule": "forbidden_wording"})
    assert page.status_code == 200
    assert 'href="/qa"' in page.text and "共 2 条违规" in page.text and SUGGESTED in page.text
    assert f'/qa/chats/{chats["agent"].contact_id}?v=' in page.text and "<mark>提交</mark>" in page.text
    chat = client.get(f"/qa/chats/{chats['agent'].contact_id}")
    assert chat.status_code == 200
    assert 'data-violations="' in chat.text and ">提交</mark>" in chat.text and "138****5678" in chat.text
    assert "13812345678" not in chat.text
    client.cookies.set("kefu_lang", "en")
    english = client.get("/qa", params={"first": _day(clock), "last": _day(clock, 2)})
    assert "Chat QA" in english.text and "Forbidden wording" in english.text and "3 findings" in english.text


@pytest.mark.parametrize(("who", "allowed"), [("qa", True), ("team_lead", True), ("supervisor", True),
                                              ("agent", False), ("analyst", False)])
def test_the_page_and_its_nav_link_are_for_qa_leads_and_supervisors(client, world, who, allowed):
    login(client, who)
    assert ('href="/qa"' in client.get("/tickets").text) is allowed
    assert client.get("/qa").status_code == (200 if allowed else 403)
