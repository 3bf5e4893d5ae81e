"""Ratings from the IVR, from signed survey links and from the chat; the satisfaction rate by group against the
benchmarks; resolution-power grades (解决力)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import SHANGHAI
from kefu.accounts import service as accounts
from kefu.contacts.models import Contact
from kefu.contacts.service import ingest
from kefu.core.context import Actor
from kefu.satisfaction.models import SatisfactionRating
from kefu.tickets import service as tickets

from .test_reports_api import MON, cdr


def _key(db, world, clock) -> dict:
    u = world.users["admin"]
    actor = Actor(user_id=u.id, username=u.username, role=u.role, team_id=None, now=clock.now())
    secret, _ = accounts.create_api_key(db, actor=actor, name="呼叫中心IVR", user=world.users["agent2"])
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def _calls(db, clock, n: int, start: int = 1, **kw) -> list[Contact]:
    recs = [cdr(start + i, MON + timedelta(minutes=i % 600), "answered", wait=5, talk=60, **kw) for i in range(n)]
    assert ingest(db, recs, now=clock.now()).created == n
    db.commit()
    return list(db.scalars(select(Contact).where(Contact.external_id.in_([r["call_id"] for r in recs]))))


def test_ivr_rates_a_call_once(client, db, world, clock):
    _calls(db, clock, 1)
    key = _key(db, world, clock)
    r = client.post("/api/v1/satisfaction/ratings", headers=key,
                    json={"channel": "phone", "call_id": "CDR-报表-1", "level": 4, "reason": "响应及时"})
    assert r.status_code == 201, r.text
    assert r.json()["level_name"] == "满意"
    again = client.post("/api/v1/satisfaction/ratings", headers=key,
                        json={"channel": "phone", "call_id": "CDR-报表-1", "level": 1})
    assert again.status_code == 409
    bad = client.post("/api/v1/satisfaction/ratings", headers=key, json={"call_id": "CDR-报表-1", "level": 6})
    assert bad.status_code == 422 and "level" in bad.text
    assert client.post("/api/v1/satisfaction/ratings", headers=key,
                       json={"call_id": "没有这通电话", "level": 5}).status_code == 404
    got = client.get("/api/v1/satisfaction", params={"from": "2026-11-23", "to": "2026-11-23", "group_by": "agent"},
                     headers=world.headers("supervisor")).json()
    assert [(r["label"], r["rated"], r["satisfaction_rate"]) for r in got["data"]] == [("王小明", 1, 1.0)]
    assert got["total"]["满意"] == 1 and got["target"] == pytest.approx(0.95)


def test_a_link_scanner_does_not_vote_the_customer_does(client, db, world, clock):
    (contact,) = _calls(db, clock, 1, channel="email")
    key = _key(db, world, clock)
    link = client.post("/api/v1/satisfaction/links", headers=key, json={"contact_id": contact.id}).json()
    path = link["path"]
    assert link["url"] == "http://localhost:8000" + path  # KEFU_PUBLIC_URL's default
    client.cookies.clear()
    shown = client.get(path)  # what a mail scanner does
    assert shown.status_code == 200 and 'id="survey"' in shown.text and "非常满意" in shown.text
    db.refresh(contact)
    assert contact.satisfaction is None
    voted = client.post(path, data={"level": "5", "reason": "问题已解决", "comment": "客服小王很耐心"})
    assert voted.status_code == 200 and "感谢您的评价" in voted.text
    row = db.scalar(select(SatisfactionRating).where(SatisfactionRating.contact_id == contact.id))
    assert (row.level, row.source, row.reason, row.comment) == (5, "link", "问题已解决", "客服小王很耐心")
    assert "已评价过" in client.post(path, data={"level": "1"}).text  # a second vote changes nothing
    db.refresh(row)
    assert row.level == 5
    assert "已评价过" in client.get(path).text


def test_a_forged_or_expired_link_is_refused(client, db, world, clock):
    (contact,) = _calls(db, clock, 1, channel="email")
    path = client.post("/api/v1/satisfaction/links", headers=_key(db, world, clock),
                       json={"contact_id": contact.id}).json()["path"]
    forged = path.replace(f".{contact.id}.", f".{contact.id + 1}.")
    assert client.post(forged, data={"level": "1"}).status_code == 422
    clock.advance(days=15)
    expired = client.get(path)
    assert expired.status_code == 422 and "过期" in expired.text
    assert client.post(path, data={"level": "5"}).status_code == 422
    db.refresh(contact)
    assert contact.satisfaction is None


def test_a_chat_rating_gets_its_rating_row(db, world, clock):
    (contact,) = _calls(db, clock, 1, channel="chat")
    contact.satisfaction = 2  # what kefu.chat.service.rate writes
    db.flush()
    row = db.scalar(select(SatisfactionRating).where(SatisfactionRating.contact_id == contact.id))
    assert (row.level, row.source) == (2, "chat")


def test_dianping_month(client, db, world, clock):
    """Seed 000: 84.29% 非常满意 + 14.33% 满意 = 98.62%, above e-commerce's 95% and at the leading 98%."""
    contacts = _calls(db, clock, 10_000)
    levels = [5] * 8429 + [4] * 1433 + [3] * 80 + [2] * 40 + [1] * 18
    for c, level in zip(contacts, levels, strict=True):
        c.satisfaction = level
    db.commit()
    got = client.get("/api/v1/satisfaction", params={"from": "2026-11-01", "to": "2026-11-30", "group_by": "month"},
                     headers=world.headers("analyst")).json()
    (month,) = got["data"]
    assert month["label"] == "2026-11" and month["rated"] == 10_000
    assert month["very_satisfied_share"] == pytest.approx(0.8429)
    assert month["satisfied_share"] == pytest.approx(0.1433)
    assert month["satisfaction_rate"] == pytest.approx(0.9862)
    assert month["satisfaction_rate"] >= got["benchmarks"]["行业领先"] > got["benchmarks"]["电子商务类客服"]


def test_resolution_power_grades(client, db, world, clock):
    u = world.users["agent"]
    actor = Actor(user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=clock.now())
    ids = []
    for subject in ("骑手未送达", "退款未到账", "优惠券无法使用"):
        t = tickets.create_ticket(db, actor=actor, data={"subject": subject, "customer_id": world.customers[0].id})
        t.assignee_id = u.id
        ids.append(t.id)
    db.commit()
    for tid, grade in zip(ids, ("解决", "惊喜", "敷衍"), strict=True):
        r = client.post("/api/v1/satisfaction/grades", headers=world.headers("qa"), json={"ticket_id": tid,
                                                                                          "grade": grade})
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/satisfaction/grades", headers=world.headers("team_lead"),
                    json={"ticket_id": ids[2], "grade": "传声筒", "note": "只转述了商家的话"})
    assert r.status_code == 201  # graded again: replaces
    assert client.post("/api/v1/satisfaction/grades", headers=world.headers("qa"),
                       json={"ticket_id": ids[0], "grade": "很好"}).status_code == 422
    today = clock.now().astimezone(SHANGHAI).date().isoformat()
    got = client.get("/api/v1/satisfaction/grades", params={"from": today, "to": today},
                     headers=world.headers("supervisor")).json()
    (team,) = got["data"]
    assert team["label"] == "一线客服一组" and team["total"] == 3
    assert team["counts"] == {"敷衍": 0, "传声筒": 1, "解决": 1, "惊喜": 1}


def test_retention_by_complaint_outcome(client, db, world, clock):
    """张伟's complaint was resolved and he called again about a new order; 王芳's was never acknowledged and she
    did not come back; 李娜's was logged but not resolved and she only chased that same complaint."""
    u = world.users["complaint_specialist"]
    actor = Actor(user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=clock.now())
    zhang, wang, li = world.customers
    made = {}
    for who, subject in ((zhang, "商家拒绝退款"), (wang, "骑手辱骂顾客"), (li, "餐品有异物")):
        t = tickets.create_ticket(db, actor=actor, data={"subject": subject, "customer_id": who.id})
        t.complaint_type = "external"
        made[who.name] = t
    now = clock.now()
    made["张伟"].first_response_at, made["张伟"].resolved_at = now, now + timedelta(hours=5)
    made["李娜"].first_response_at = now + timedelta(hours=1)
    db.commit()
    later = [cdr(900, now + timedelta(days=3), "answered", wait=5, talk=60, phone=zhang.phone),
             cdr(901, now + timedelta(days=2), "answered", wait=5, talk=60, phone=li.phone)]
    later[1]["ticket_id"] = made["李娜"].id
    assert ingest(db, later, now=now).created == 2
    db.commit()
    today = now.astimezone(SHANGHAI).date().isoformat()
    got = client.get("/api/v1/satisfaction/retention", params={"from": today, "to": today, "days": 7},
                     headers=world.headers("analyst")).json()
    assert {r["name"]: (r["customers"], r["returned"]) for r in got["data"]} == {
        "未受理": (1, 0), "已记录未解决": (1, 0), "已解决": (1, 1)}
    short = client.get("/api/v1/satisfaction/retention", params={"from": today, "to": today, "days": 2},
                       headers=world.headers("analyst")).json()
    assert {r["name"]: r["returned"] for r in short["data"]}["已解决"] == 0  # he came back on day 3


def test_weekly_voice_of_customer_page(client, db, world, clock):
    from kefu.satisfaction import service as satisfaction
    from web.helpers import login

    calls = _calls(db, clock, 3)
    for c, level, comment in ((calls[0], 1, "骑手把汤洒了,打13812345678没人接"), (calls[1], 5, "客服态度很好"),
                              (calls[2], 4, None)):
        satisfaction.rate(db, contact=c, level=level, source="ivr", now=clock.now(), comment=comment)
    db.commit()
    login(client, "supervisor")
    page = client.get("/reports/voc", params={"line": world.lines["waimai"].id, "week": "2026-11-25"})
    assert page.status_code == 200
    text = page.text
    assert "外卖 2026-11-23 至 2026-11-29" in text and "超时未送达" in text
    assert "138****5678" in text and "13812345678" not in text  # the customer's phone masked in the verbatim
    assert text.index("非常不满意") < text.index("客服态度很好")  # the lowest-rated first
    other = client.get("/reports/voc", params={"line": world.lines["reading"].id, "week": "2026-11-25"}).text
    assert "本周没有带留言的评价" in other


def test_weekly_voice_of_customer_lists_the_weeks_alerts_of_its_line(client, db, world, clock):
    from kefu.alerts.models import Alert
    from web.helpers import login

    raised = clock.now() + timedelta(days=1)  # Tuesday of the week of 2026-11-23
    db.add_all([
        Alert(rule_id="general", category_id=world.categories["delivery.late"].id, level="一级", rank=1,
              status="open", basis="count", window="30m", count=21, raised_at=raised, contact_ids=[]),
        Alert(rule_id="severe", category_id=world.categories["login"].id, level="红色", rank=2,
              status="acknowledged", basis="count", window="30m", count=11, raised_at=raised, contact_ids=[]),
        Alert(rule_id="general", category_id=world.categories["refund"].id, level="二级", rank=0,
              status="resolved", basis="count", window="3h", count=21, raised_at=raised - timedelta(days=7),
              contact_ids=[]),  # the week before
    ])
    db.commit()
    login(client, "supervisor")
    waimai = client.get("/reports/voc", params={"line": world.lines["waimai"].id, "week": "2026-11-25"}).text
    section = waimai[waimai.index('id="voc-alerts"'):waimai.index("客户原声")]
    assert "超时未送达" in section and "一级" in section and "21" in section
    assert "登录访问" not in section and "退款问题" not in section  # another line's; another week's
    reading = client.get("/reports/voc", params={"line": world.lines["reading"].id, "week": "2026-11-25"}).text
    assert "登录访问" in reading[reading.index('id="voc-alerts"'):reading.index("客户原声")]
