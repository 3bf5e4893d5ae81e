"""/wfm, the planning page: a supervisor picks 外卖热线 and a week, sees the forecast beside what came, the
Erlang requirement under what-if inputs, and builds the week's schedule; bad inputs are named."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from tests.wfm.history import SHANGHAI, add_history

from kefu.wfm import staffing
from web.helpers import login, post

DATA = re.compile(r'<script type="application/json" id="wfm-data">(.*?)</script>', re.S)


def _data(html: str) -> dict:
    return json.loads(DATA.search(html).group(1))


def _number(html: str, ident: str) -> float:
    return float(re.search(rf'id="{ident}">([\d.]+)<', html).group(1))


@pytest.fixture
def history(db, clock):
    today = clock.now().astimezone(SHANGHAI).date()  # Monday 2026-11-23
    add_history(db, today)
    db.commit()
    return today


def test_last_week_forecast_stands_beside_what_came(client, world, history):
    login(client, "supervisor")
    r = client.get("/wfm")
    assert r.status_code == 200, r.text
    assert 'value="外卖热线" selected' in r.text
    assert 'value="2026-11-16" selected' in r.text  # the last full week by default
    d = _data(r.text)
    assert len(d["labels"]) == len(d["forecast"]) == len(d["actual"]) == len(d["raw"])
    assert d["labels"][0].startswith("11-16") and d["labels"][-1].startswith("11-22")
    assert None not in d["actual"] and sum(d["actual"]) > 1000  # the week is over: every interval has its count
    assert abs(sum(d["forecast"]) - sum(d["actual"])) / sum(d["actual"]) < 0.15


def test_the_requirement_is_erlang_c_on_the_forecast_and_aht_raises_it(client, world, history):
    login(client, "analyst")
    base = client.get("/wfm", params={"queue": "外卖热线", "week": "2026-11-23", "aht": 240, "service_level": 80,
                                      "target_time": 20, "shrinkage": 30, "max_occupancy": 85})
    assert base.status_code == 200, base.text
    d = _data(base.text)
    assert d["actual"] is None  # this week has not happened yet
    want = staffing.requirement(calls=d["forecast"], interval_minutes=30, aht=240, service_level=0.8,
                                target_time=20, shrinkage=0.3, max_occupancy=0.85)
    assert d["raw"] == want.raw_positions.tolist() and d["positions"] == want.positions.tolist()
    longer = client.get("/wfm", params={"queue": "外卖热线", "week": "2026-11-23", "aht": 360})
    assert _number(longer.text, "req-raw-hours") > _number(base.text, "req-raw-hours")
    assert max(_data(longer.text)["raw"]) > max(d["raw"])


def test_customer_patience_switches_the_requirement_to_erlang_a(client, world, history):
    login(client, "analyst")
    r = client.get("/wfm", params={"queue": "外卖热线", "week": "2026-11-23", "aht": 240, "patience": 45})
    assert r.status_code == 200, r.text
    d = _data(r.text)
    want = staffing.requirement(calls=d["forecast"], interval_minutes=30, aht=240, service_level=0.8,
                                target_time=20, shrinkage=0.3, max_occupancy=0.85, patience=45)
    assert d["raw"] == want.raw_positions.tolist()
    assert 'id="in-patience" value="45"' in r.text and "客户平均耐心" in r.text
    wait = client.get("/wfm", params={"queue": "外卖热线", "week": "2026-11-23", "aht": 240})
    assert 'id="in-patience" value=""' in wait.text  # left empty: Erlang C
    assert _number(r.text, "req-raw-hours") < _number(wait.text, "req-raw-hours")
    bad = client.get("/wfm", params={"patience": "很久"})
    assert bad.status_code == 422 and "patience: expected a number" in bad.text
    bad = client.get("/wfm", params={"patience": 0})
    assert bad.status_code == 422 and "patience: out of range (0)" in bad.text


def test_bad_what_if_inputs_are_named(client, world, history):
    login(client, "supervisor")
    r = client.get("/wfm", params={"aht": "很久", "shrinkage": 100})
    assert r.status_code == 422
    assert "aht: expected a number" in r.text and "shrinkage: out of range (100)" in r.text
    r = client.get("/wfm", params={"week": "2020-01-06"})
    assert r.status_code == 422 and "week: from 2026-09-28 to 2026-12-07" in r.text
    r = client.get("/wfm", params={"queue": "不存在的队列"})
    assert r.status_code == 422 and "queue: no inbound contacts of 不存在的队列" in r.text


def test_build_the_week_schedule(client, world, history):
    csrf = login(client, "supervisor")
    r = post(client, "/wfm/schedule", csrf, queue="外卖热线", week="2026-11-23", aht="300", service_level="80",
             target_time="20", shrinkage="30", max_occupancy="85", agents="12")
    assert r.status_code == 200, r.text
    roster = r.text[r.text.index('id="roster"'):]
    assert roster.count("<tr><td>客服") == 12
    assert "全天班" in roster and "半天班" in roster and "午餐" in roster
    status = r.text[r.text.index('id="schedule-status"'):]
    assert ("已证明最优" in status[:200]) or ("可行解" in status[:200] and "差距" in status[:300])
    cov = _data(r.text)["coverage"]
    assert len(cov["labels"]) == 7 * 48 and max(cov["scheduled"]) > 0
    assert cov["requirement"] == [v for row in _week_rows(_data(r.text)) for v in row]
    bad = post(client, "/wfm/schedule", csrf, queue="外卖热线", week="2026-11-23", agents="0")
    assert bad.status_code == 422 and "agents: a whole number from 1 to 200" in bad.text


def _week_rows(d: dict) -> list[list[float]]:
    """The raw requirement laid out per day from midnight, as the schedule receives it."""
    rows = {}
    for label, v in zip(d["labels"], d["raw"], strict=True):
        day, hhmm = label.split()
        h, m = hhmm.split(":")
        rows.setdefault(day, [0.0] * 48)[(int(h) * 60 + int(m)) // 30] = float(v)
    return list(rows.values())


def test_agents_and_team_leads_may_not_plan(client, world, history):
    login(client, "team_lead")
    assert client.get("/wfm").status_code == 403
    page = client.get("/tickets")
    assert 'href="/wfm"' not in page.text
    login(client, "supervisor")
    assert 'href="/wfm"' in client.get("/tickets").text


def test_english(client, world, history):
    login(client, "supervisor")
    client.cookies.set("kefu_lang", "en")
    r = client.get("/wfm")
    assert "Workforce planning" in r.text and "Forecast vs actual" in r.text
    assert date(2026, 11, 16).isoformat() in r.text
