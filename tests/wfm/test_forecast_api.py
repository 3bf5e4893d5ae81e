"""POST /api/v1/wfm/forecast: the contacts history per queue in Beijing time, or points sent in the request,
back as per-interval arrays ready to chart; bad input answered 422 naming the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.conftest import SHANGHAI
from tests.wfm.synth import points, series

from kefu.contacts.models import Contact

URL = "/api/v1/wfm/forecast"


def _contacts(db, today: date) -> None:
    """Three weeks before ``today``: 外卖热线 20 calls at 12:00–12:29 Beijing time each day, 40 on Mondays;
    阅读热线 5 calls at 21:00; chat contacts of 外卖热线 at 15:00."""
    rows = []
    for back in range(1, 22):
        d = today - timedelta(days=back)
        for queue, hour, n in (("外卖热线", 12, 40 if d.weekday() == 0 else 20), ("阅读热线", 21, 5)):
            for k in range(n):
                at = datetime(d.year, d.month, d.day, hour, k % 30, tzinfo=SHANGHAI).astimezone(UTC)
                rows.append(Contact(channel="phone", external_id=f"{queue}{back}-{k}", direction="inbound",
                                    queue=queue, offered_at=at, outcome="answered", created_at=at))
        at = datetime(d.year, d.month, d.day, 15, tzinfo=SHANGHAI).astimezone(UTC)
        rows.append(Contact(channel="chat", external_id=f"chat{back}", direction="inbound", queue="外卖热线",
                            offered_at=at, outcome="answered", created_at=at))
    db.add_all(rows)
    db.commit()


def test_forecast_from_the_contacts_history(client, world, db, clock):
    today = clock.now().astimezone(SHANGHAI).date()  # 2026-11-23, a Monday
    _contacts(db, today)
    r = client.post(URL, headers=world.headers("analyst"),
                    json={"queues": ["外卖热线"], "channel": "phone", "horizon_days": 7, "history_days": 21})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1
    q = body["data"][0]
    assert q["queue"] == "外卖热线" and q["interval_minutes"] == 30 and q["history_days"] == 21
    assert q["days"][0] == today.isoformat() and len(q["days"]) == 7
    assert q["intervals"] == [f"{d}T12:00:00" for d in q["days"]]  # phone calls only: the 15:00 chats left out
    assert q["forecast"] == pytest.approx([40.0, 20, 20, 20, 20, 20, 20], rel=0.02)
    assert q["weekday_factors"]["周一"] == pytest.approx(2 * q["weekday_factors"]["周二"], rel=0.02)
    assert q["notes"] == []  # 2026-11-23 … 29: no holiday or event in the Chinese calendar


def test_an_event_never_seen_in_the_history_is_named_in_the_notes(client, world, db, clock):
    _contacts(db, clock.now().astimezone(SHANGHAI).date())
    r = client.post(URL, headers=world.headers("analyst"), json={"queues": ["阅读热线"], "horizon_days": 30})
    assert r.status_code == 200, r.text
    q = r.json()["data"][0]
    assert "2026-12-12" in q["days"]
    assert q["notes"] == ["月初首日、双12、冬至 fall in the forecast but not in the history: "
                          "forecast without their effect"]


def test_every_queue_when_none_is_named_and_backtest_on_request(client, world, db, clock):
    _contacts(db, clock.now().astimezone(SHANGHAI).date())
    r = client.post(URL, headers=world.headers("supervisor"),
                    json={"horizon_days": 2, "history_days": 28, "backtest_windows": 3, "interval_minutes": 60,
                          "tune": True})
    assert r.status_code == 200, r.text
    data = {q["queue"]: q for q in r.json()["data"]}
    assert set(data) == {"外卖热线", "阅读热线"}
    assert data["阅读热线"]["intervals"] == ["2026-11-23T21:00:00", "2026-11-24T21:00:00"]
    assert data["外卖热线"]["intervals"][:4] == ["2026-11-23T12:00:00", "2026-11-23T13:00:00",
                                              "2026-11-23T14:00:00", "2026-11-23T15:00:00"]
    model, naive = data["外卖热线"]["backtest"]
    assert (model["model"], naive["model"]) == ("day×profile", "seasonal naive")
    assert model["windows"] == 3 and model["wape"] < 0.05  # the same week every week


def test_forecast_from_points_in_the_request(client, world):
    h = series(date(2026, 10, 5), 35, base=1200.0)
    times, counts = points(h)
    history = [{"queue": "打车热线", "interval_start": t.isoformat(), "count": c}
               for t, c in zip(times, counts, strict=True)]
    r = client.post(URL, headers=world.headers("admin"), json={"horizon_days": 3, "history": history})
    assert r.status_code == 200, r.text
    q = r.json()["data"][0]
    assert q["queue"] == "打车热线" and q["days"] == ["2026-11-09", "2026-11-10", "2026-11-11"]
    assert len(q["intervals"]) == len(q["forecast"]) == 3 * 48
    assert sum(q["day_totals"]) == pytest.approx(sum(q["forecast"]), rel=1e-3)


@pytest.mark.parametrize("body, field", [
    ({"horizon_days": 0}, "horizon_days"),
    ({"interval_minutes": 20}, "interval_minutes"),
    ({"queues": ["不存在的队列"]}, "queues"),
    ({"start": "2026-11-01", "history": [{"interval_start": "2026-11-10T09:00:00", "count": 3}]}, "start"),
    ({"history": [{"interval_start": "2026-11-10T09:00:00", "count": -3}]}, "count"),
    ({"history": [{"interval_start": "2026-11-10T09:00:00", "count": 0}]}, "history"),
    ({"history": [{"interval_start": "明天上午", "count": 1}]}, "interval_start"),
])
def test_bad_input_is_422_naming_the_field(client, world, db, clock, body, field):
    _contacts(db, clock.now().astimezone(SHANGHAI).date())
    r = client.post(URL, headers=world.headers("analyst"), json=body)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_a_past_start_replays_the_forecast_with_what_came(client, world, db, clock):
    today = clock.now().astimezone(SHANGHAI).date()  # Monday 2026-11-23
    _contacts(db, today)
    start = today - timedelta(days=7)
    r = client.post(URL, headers=world.headers("supervisor"),
                    json={"queues": ["外卖热线"], "channel": "phone", "start": start.isoformat(), "horizon_days": 9})
    assert r.status_code == 200, r.text
    q = r.json()["data"][0]
    assert q["days"][0] == start.isoformat() and q["history_days"] == 14  # the 14 days before the start
    assert q["intervals"][:2] == ["2026-11-16T12:00:00", "2026-11-17T12:00:00"]
    assert q["actual"] == [40.0, 20.0, 20.0, 20.0, 20.0, 20.0, 20.0, None, None]  # today and after: not over
    assert q["forecast"][:7] == pytest.approx(q["actual"][:7], rel=0.02)

    now = client.post(URL, headers=world.headers("supervisor"), json={"queues": ["外卖热线"], "horizon_days": 2})
    assert now.json()["data"][0]["actual"] is None


def test_a_call_in_the_last_microsecond_of_an_interval_stays_in_it(client, world, db, clock):
    today = clock.now().astimezone(SHANGHAI).date()
    rows = []
    for back in range(1, 15):
        d = today - timedelta(days=back)
        at = datetime(d.year, d.month, d.day, 9, 29, 59, 999999, tzinfo=SHANGHAI).astimezone(UTC)
        rows.append(Contact(channel="phone", external_id=f"edge{back}", direction="inbound", queue="投诉热线",
                            offered_at=at, outcome="answered", created_at=at))
    db.add_all(rows)
    db.commit()
    r = client.post(URL, headers=world.headers("analyst"), json={"queues": ["投诉热线"], "horizon_days": 1})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["intervals"] == [f"{today}T09:00:00"]
