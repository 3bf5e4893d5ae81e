"""GET /api/v1/reports/kpis and /top-reasons over contacts sent as the telephony system sends them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import SHANGHAI
from kefu.contacts.models import Contact
from kefu.contacts.service import ingest

API = "/api/v1/reports"
MON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)


def cdr(n: int, at: datetime, outcome: str, *, wait: int = 0, talk: int | None = None, hold: int = 0,
        wrap: int = 0, channel: str = "phone", category: str = "delivery.late", agent: str | None = "agent",
        phone: str = "13812345678") -> dict:
    rec = {"call_id": f"CDR-报表-{n}", "channel": channel, "customer_phone": phone, "queue": "外卖热线",
           "offered_at": at.isoformat(), "outcome": outcome, "category": category, "hold_seconds": hold,
           "wrap_seconds": wrap}
    if outcome == "answered":
        rec |= {"answered_at": (at + timedelta(seconds=wait)).isoformat(), "agent": agent, "talk_seconds": talk,
                "ended_at": (at + timedelta(seconds=wait + (talk or 0) + hold)).isoformat()}
    else:
        rec["ended_at"] = (at + timedelta(seconds=wait)).isoformat()
    return rec


@pytest.fixture
def day(db, world, clock):
    """Monday 23 November: three answered (one a chat), two hang-ups, one callback request; Sunday before: two
    refund calls; ratings 5, 4, 2."""
    recs = [cdr(1, MON, "answered", wait=10, talk=200, hold=20, wrap=30),
            cdr(2, MON + timedelta(minutes=40), "answered", wait=30, talk=100, wrap=20, category="refund"),
            cdr(3, MON + timedelta(hours=2), "answered", wait=20, talk=300, channel="chat", agent="agent2"),
            cdr(4, MON + timedelta(hours=3), "abandoned", wait=3),
            cdr(5, MON + timedelta(hours=3), "abandoned", wait=60),
            cdr(6, MON + timedelta(hours=4), "callback_requested", wait=90),
            cdr(7, MON - timedelta(days=1), "answered", wait=5, talk=60, category="refund"),
            cdr(8, MON - timedelta(days=1), "answered", wait=5, talk=60, category="refund")]
    assert ingest(db, recs, now=clock.now()).created == 8
    for call, level in (("CDR-报表-1", 5), ("CDR-报表-2", 4), ("CDR-报表-3", 2)):
        db.scalar(select(Contact).where(Contact.external_id == call)).satisfaction = level
    db.commit()


def test_totals_of_a_day(client, world, day):
    r = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23"},
                   headers=world.headers("supervisor"))
    assert r.status_code == 200, r.text
    t = r.json()["totals"]
    assert (t["offered"], t["answered"], t["abandoned"]) == (6, 3, 2)
    assert t["answer_rate"] == pytest.approx(0.5)
    assert t["abandonment_rate"] == pytest.approx(2 / 6)
    assert t["service_level"] == pytest.approx(2 / 6)
    assert t["asa_seconds"] == pytest.approx(20)
    assert t["aht_seconds"] == pytest.approx((250 + 120 + 300) / 3)
    assert t["satisfaction_rate"] == pytest.approx(2 / 3)
    dev = r.json()["deviations"]
    assert dev["answer_rate"]["flagged"] and dev["answer_rate"]["worse"]  # 50% against 95% ± 3%


def test_short_abandons_left_out(client, world, day, monkeypatch, db):
    from kefu.core.settings import get_settings
    from kefu.reports.rollups import rebuild

    monkeypatch.setattr(get_settings(), "short_abandon_seconds", 5)
    rebuild(db)
    db.commit()
    t = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23"},
                   headers=world.headers("analyst")).json()["totals"]
    assert (t["offered"], t["abandoned"], t["short_abandoned"]) == (5, 1, 1)
    assert t["answer_rate"] == pytest.approx(0.6)


def test_grouped_by_channel_agent_and_day(client, world, day):
    h = world.headers("team_lead")
    rows = client.get(f"{API}/kpis", params={"from": "2026-11-22", "to": "2026-11-23", "group_by": "channel"},
                      headers=h).json()["rows"]
    by = {r["key"]: r for r in rows}
    assert (by["phone"]["offered"], by["chat"]["offered"]) == (7, 1)
    rows = client.get(f"{API}/kpis", params={"from": "2026-11-22", "to": "2026-11-23", "group_by": "agent"},
                      headers=h).json()["rows"]
    assert {r["label"]: r["answered"] for r in rows} == {"王小明": 4, "刘二": 1, "未分配": 0}
    rows = client.get(f"{API}/kpis", params={"from": "2026-11-22", "to": "2026-11-23", "interval": "day"},
                      headers=h).json()["rows"]
    assert [(r["label"], r["offered"]) for r in rows] == [("2026-11-22", 2), ("2026-11-23", 6)]
    team = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23", "group_by": "team"},
                      headers=h).json()["rows"]
    assert {r["label"]: r["answered"] for r in team}["一线客服一组"] == 3


def test_top_reasons_against_the_previous_period(client, world, day):
    r = client.get(f"{API}/top-reasons", params={"from": "2026-11-23", "to": "2026-11-23"},
                   headers=world.headers("analyst")).json()
    assert r["previous_from"] == r["previous_to"] == "2026-11-22"
    assert [(x["name"], x["count"], x["previous"], x["change"]) for x in r["data"]] == [
        ("超时未送达", 5, 0, 5), ("退款问题", 1, 2, -1)]
    assert r["data"][1]["change_rate"] == pytest.approx(-0.5)


def test_exports(client, world, day):
    h = world.headers("analyst")
    got = client.get(f"{API}/top-reasons", params={"from": "2026-11-23", "to": "2026-11-23", "format": "csv"},
                     headers=h)
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0]["name"] == "超时未送达" and rows[0]["count"] == "5"
    got = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23", "group_by": "channel",
                                            "format": "xlsx"}, headers=h)
    sheet = load_workbook(io.BytesIO(got.content)).active
    header = [c.value for c in sheet[1]]
    values = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["phone"]["offered"] == 5 and values["phone"]["answer_rate"] == pytest.approx(0.4)


def test_bad_input_names_the_field(client, world):
    h = world.headers("analyst")
    r = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-01"}, headers=h)
    assert r.status_code == 422 and "to" in r.text
    r = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23", "group_by": "心情"}, headers=h)
    assert r.status_code == 422 and "group_by" in r.text
    r = client.get(f"{API}/kpis", params={"from": "昨天", "to": "2026-11-23"}, headers=h)
    assert r.status_code == 422 and "from" in r.text
    assert client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23"},
                      headers=world.headers("agent")).status_code == 403


def test_extra_kpis_from_raw_rows(client, world, day):
    """张伟 called about 超时未送达 at 12:00 and again at 14:00 (and hung up three times after): neither answered
    call resolved it first time; his 退款 call at 12:40 did (no later 退款 contact). 王小明 answered two, 刘二 one."""
    t = client.get(f"{API}/kpis", params={"from": "2026-11-23", "to": "2026-11-23", "extra": "true"},
                   headers=world.headers("analyst")).json()["totals"]
    assert t["fcr"] == pytest.approx(1 / 3)
    assert t["contacts_per_agent_day"] == pytest.approx(1.5)
    assert t["resolution_72h_rate"] is None  # no tickets created that day
    assert t["occupancy"] is None  # no logged-in time is recorded
