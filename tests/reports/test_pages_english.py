"""Every report page in English: headings, tables, forms, chart labels and the customer's survey carry no Chinese
UI text; only stored data (names of categories, lines, teams, agents, customers' comments, alert rules) stays as
it was written."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from sqlalchemy import select

from kefu.accounts.models import Team, User
from kefu.alerts.models import Alert
from kefu.catalog.models import BusinessLine, Category
from kefu.contacts.service import ingest
from kefu.core.context import Actor
from kefu.customers.models import Customer
from kefu.reports import fixes, mailing
from kefu.satisfaction import links
from kefu.satisfaction import service as satisfaction
from web.helpers import login

from .test_reports_api import MON, cdr

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
STORED = ("骑手把汤洒了", "客服态度很好", "响应及时", "一级", "general", "外卖热线", "菜品洒漏", "联系商家补送",
          "运营部", "中文")  # the comments, reason, alert, queue, fix written below, and the link back to Chinese


def _seed(db, world, clock) -> int:
    recs = [cdr(i, MON + timedelta(minutes=7 * i), "answered", wait=9, talk=120) for i in range(1, 7)]
    recs += [cdr(7, MON + timedelta(minutes=50), "abandoned", wait=40, agent=None),
             cdr(8, MON + timedelta(minutes=55), "answered", wait=4, talk=90, agent=None, category="refund")]
    assert ingest(db, recs, now=clock.now()).created == 8
    db.flush()
    from kefu.contacts.models import Contact

    calls = db.scalars(select(Contact).where(Contact.outcome == "answered").order_by(Contact.id)).all()
    satisfaction.rate(db, contact=calls[0], level=1, source="ivr", now=clock.now(), reason="响应及时",
                      comment="骑手把汤洒了")
    satisfaction.rate(db, contact=calls[1], level=5, source="ivr", now=clock.now(), comment="客服态度很好")
    db.add(Alert(rule_id="general", category_id=world.categories["delivery.late"].id, level="一级", rank=1,
                 status="open", basis="count", window="30m", count=21, raised_at=clock.now(), contact_ids=[]))
    u = world.users["analyst"]
    actor = Actor(user_id=u.id, username=u.username, role=u.role, team_id=None, now=clock.now())
    fixes.add_fix(db, actor=actor, line_id=world.lines["waimai"].id, day=MON.date(), text="联系商家补送",
                  topic="菜品洒漏", owner="运营部")
    mailing.subscribe(db, actor=actor, line_id=world.lines["waimai"].id, email="ops@example.com")
    db.commit()
    return calls[2].id


def _stored_names(db) -> list[str]:
    names = [*STORED]
    for col in (Category.name, BusinessLine.name, Team.name, User.display_name, Customer.name):
        names += [n for n in db.scalars(select(col)) if n]
    return sorted(set(names), key=len, reverse=True)


def _ui_text(page: str) -> str:
    """What a reader sees: the text between tags, the <title>, and the labels of every chart."""
    charts = []
    for attr in re.findall(r'data-chart="([^"]*)"', page):
        cfg = json.loads(html.unescape(attr))
        charts += [str(label) for label in cfg["data"]["labels"]]
        charts += [d["label"] for d in cfg["data"]["datasets"]]
    body = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body)) + " " + " ".join(charts)


def _chinese_chrome(page: str, stored: list[str]) -> list[str]:
    text = _ui_text(page)
    for name in stored:
        text = text.replace(name, " ")
    return CJK.findall(text)


def test_every_report_page_in_english_has_no_chinese_chrome(client, db, world, clock):
    contact_id = _seed(db, world, clock)
    stored = _stored_names(db)
    login(client, "supervisor")
    client.get("/lang/en")
    day = {"first": "2026-11-23", "last": "2026-11-23"}
    line = {"line": world.lines["waimai"].id, "week": "2026-11-25"}
    pages = {
        "/reports": (day | {"group_by": "agent"}, "KPI report"),
        "/reports?week": (day | {"group_by": "week"}, "week of 2026-11-23"),
        "/reports/top-reasons": (day, "Top 10 reasons"),
        f"/reports/top-reasons/{world.categories['delivery.late'].id}": (day, "Back to the top 10"),
        "/reports/satisfaction": (day | {"group_by": "agent"}, "Reference lines"),
        "/reports/voc": (line, "Suggested fixes"),
        "/wallboard": ({}, "Live wallboard"),
    }
    for path, (params, english) in pages.items():
        page = client.get(path.split("?")[0], params=params)
        assert page.status_code == 200, path
        assert english in page.text, path
        assert _chinese_chrome(page.text, stored) == [], path
    agents = client.get("/reports", params=day | {"group_by": "agent"}).text
    assert "Unassigned" in agents and "王小明" in agents  # the unassigned call's row; an agent's name as stored
    voc = client.get("/reports/voc", params=line).text
    assert "Very dissatisfied" in voc and "骑手把汤洒了" in voc and "联系商家补送" in voc and "ops@example.com" in voc

    client.cookies.clear()
    client.cookies.set("kefu_lang", "en")
    path = f"/survey/{links.make_token(contact_id, now=clock.now())}"
    survey = client.get(path).text
    assert "Please rate our service" in survey and "Very dissatisfied" in survey and "I waited too long" in survey
    assert _chinese_chrome(survey, stored) == []
    thanks = client.post(path, data={"level": "4", "reason": "等待太久"}).text
    assert "Thank you for your rating" in thanks and _chinese_chrome(thanks, stored) == []


def test_the_same_pages_stay_chinese_by_default(client, db, world, clock):
    _seed(db, world, clock)
    login(client, "supervisor")
    page = client.get("/reports", params={"first": "2026-11-23", "last": "2026-11-23", "group_by": "agent"}).text
    assert "KPI 报表" in page and "未分配" in page and "接通率" in page and "KPI report" not in page
    chart = json.loads(html.unescape(re.search(r'id="trend-chart" data-chart="([^"]*)"', page).group(1)))
    assert [d["label"] for d in chart["data"]["datasets"]] == ["接通率", "服务水平", "满意度"]
