"""``kefu wfm forecast`` through the CLI runner: from a CSV (two Chinese queues, UTF-8 or GB18030) and from
the contacts table of a real migrated store; JSON, CSV and table output; bad input told plainly."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session
from tests.wfm.synth import WEEKDAY, points, series
from typer.testing import CliRunner

from kefu.cli import app
from kefu.contacts.models import Contact
from kefu.core.db import make_engine
from kefu.core.settings import get_settings
from kefu.migrate import upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _run(*args: str):
    return CliRunner().invoke(app, ["wfm", "forecast", *args])


def _csv(path, encoding: str = "utf-8") -> None:
    lines = ["队列,时段,来电量"]
    for queue, base in (("外卖热线", 2000.0), ("阅读热线", 400.0)):
        h = series(date(2026, 10, 5), 35, base=base, seed=len(queue) + int(base))
        for t, c in zip(*points(h), strict=True):
            lines.append(f"{queue},{t.isoformat()},{int(c)}")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


CSV_ARGS = ["--time-column", "时段", "--count-column", "来电量", "--queue-column", "队列", "--tz", "Asia/Shanghai"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_csv_to_json_per_queue_arrays(tmp_path, encoding):
    path = tmp_path / "话务量.csv"
    _csv(path, encoding)
    result = _run("--csv", str(path), *CSV_ARGS, "--horizon", "7", "--format", "json", "--backtest", "3")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["count"] == 2 and [q["queue"] for q in body["data"]] == ["外卖热线", "阅读热线"]
    waimai = body["data"][0]
    assert waimai["days"] == [(date(2026, 11, 9) + timedelta(days=i)).isoformat() for i in range(7)]
    assert len(waimai["intervals"]) == len(waimai["forecast"]) == 7 * 48
    assert waimai["intervals"][:2] == ["2026-11-09T00:00:00", "2026-11-09T00:30:00"]
    expected = [2000.0 * WEEKDAY[d.weekday()] for d in (date(2026, 11, 9) + timedelta(days=i) for i in range(7))]
    assert waimai["day_totals"] == pytest.approx(expected, rel=0.08)
    peak = max(range(48), key=waimai["forecast"].__getitem__)
    assert waimai["intervals"][peak].endswith("T10:00:00")  # the synthetic morning peak
    assert waimai["weekday_factors"]["周一"] > waimai["weekday_factors"]["周六"]
    assert {b["model"] for b in waimai["backtest"]} == {"day×profile", "seasonal naive"}
    assert "立冬" in waimai["effects"]  # 2026-11-07 was in the history, and the Chinese calendar knows it


def test_csv_output_and_table(tmp_path):
    path = tmp_path / "话务量.csv"
    _csv(path)
    result = _run("--csv", str(path), *CSV_ARGS, "--horizon", "2", "--format", "csv", "-q", "阅读热线")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert rows[0] == "queue,interval_start,forecast" and len(rows) == 1 + 2 * 48
    assert rows[1].startswith("阅读热线,2026-11-09T00:00:00,")
    table = _run("--csv", str(path), *CSV_ARGS, "--horizon", "3")
    assert table.exit_code == 0, table.output
    assert "外卖热线" in table.stdout and "周一" in table.stdout and "10:00" in table.stdout


@pytest.mark.parametrize("args, message", [
    (["--time-column", "时间"], "no column '时间'"),
    (["--tz", "火星/奥林匹斯"], "--tz: unknown time zone"),
    (["-q", "打车热线"], "--queue: no volume for 打车热线"),
    (["--start", "下周一"], "--start: '下周一' is not a date"),
    (["--start", "2026-11-01"], "must start after the history"),
    (["--interval", "20"], "--interval must be 15, 30 or 60"),
])
def test_bad_input_is_one_plain_line(tmp_path, args, message):
    path = tmp_path / "话务量.csv"
    _csv(path)
    base = dict(zip(CSV_ARGS[::2], CSV_ARGS[1::2], strict=True))
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = _run("--csv", str(path), *[x for kv in base.items() for x in kv], "--horizon", "3")
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_a_bad_count_names_its_line(tmp_path):
    path = tmp_path / "话务量.csv"
    path.write_text("队列,时段,来电量\n外卖热线,2026-11-02T09:00:00,12\n外卖热线,2026-11-02T09:30:00,十二\n")
    result = _run("--csv", str(path), *CSV_ARGS)
    assert result.exit_code == 2
    assert "line 3: 来电量 '十二' is not a number" in result.output


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'wfm.db'}"
    upgrade(url)
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    monkeypatch.setenv("KEFU_TIMEZONE", "Asia/Shanghai")
    get_settings.cache_clear()
    engine = make_engine(url)
    yield engine
    get_settings.cache_clear()
    engine.dispose()


def test_from_the_contacts_table_in_the_centers_time_zone(store):
    """Calls offered 09:00–09:29 Beijing time (01:00Z) land in the 09:00 interval; the busier queue stays busier."""
    rows = []
    for day in range(21):
        d = date(2026, 11, 2) + timedelta(days=day)
        for queue, n in (("外卖热线", 30), ("阅读热线", 6)):
            for k in range(n):
                local = datetime(d.year, d.month, d.day, 9, k % 30, tzinfo=SHANGHAI)
                at = local.astimezone(UTC)
                rows.append(Contact(channel="phone", external_id=f"{queue}-{day}-{k}", direction="inbound", queue=queue,
                                    offered_at=at, outcome="answered", created_at=at))
        rows.append(Contact(channel="phone", external_id=f"out-{day}", direction="outbound", queue="外卖热线",
                            offered_at=datetime(d.year, d.month, d.day, 3, tzinfo=UTC), outcome="answered",
                            created_at=datetime(d.year, d.month, d.day, 3, tzinfo=UTC)))
    with Session(store) as s:
        s.add_all(rows)
        s.commit()
    result = _run("--as-of", "2026-11-23", "--horizon", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    data = {q["queue"]: q for q in json.loads(result.stdout)["data"]}
    assert set(data) == {"外卖热线", "阅读热线"}
    waimai = data["外卖热线"]
    assert waimai["days"] == ["2026-11-23", "2026-11-24"]
    assert waimai["intervals"] == ["2026-11-23T09:00:00", "2026-11-24T09:00:00"]  # outbound calls not counted
    assert waimai["forecast"] == pytest.approx([30.0, 30.0], rel=0.01)
    assert data["阅读热线"]["forecast"] == pytest.approx([6.0, 6.0], rel=0.01)

    nothing = _run("--as-of", "2026-11-23", "-q", "打车热线")
    assert nothing.exit_code == 2 and "no volume for 打车热线" in nothing.output


def test_records_counts_one_contact_per_row(tmp_path):
    """A CDR export (``kefu simulate --csv``): no count column, each row a contact, offsets converted."""
    lines = ["call_id,queue,offered_at"]
    for day in range(14):
        d = date(2026, 11, 9) + timedelta(days=day)
        for k in range(8 if d.weekday() < 5 else 4):
            lines.append(f"C{day}-{k},外卖热线,{d.isoformat()}T02:{k:02d}:00+00:00")  # 10:0k Beijing time
    path = tmp_path / "话单.csv"
    path.write_text("\n".join(lines) + "\n")
    result = _run("--csv", str(path), "--records", "--time-column", "offered_at", "--tz", "Asia/Shanghai",
                  "--horizon", "7", "--format", "json")
    assert result.exit_code == 0, result.output
    q = json.loads(result.stdout)["data"][0]
    assert q["intervals"][0] == "2026-11-23T10:00:00" and len(q["intervals"]) == 7
    assert q["forecast"] == pytest.approx([8, 8, 8, 8, 8, 4, 4], rel=0.02)
    without = _run("--csv", str(path), "--time-column", "offered_at")
    assert without.exit_code == 2 and "no column 'count'" in without.output
