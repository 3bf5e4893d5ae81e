"""`kefu simulate` end to end: into a migrated database, into CSV (read back by `kefu import contacts`),
to a real uvicorn server's bulk API, and its answers to bad options."""

from __future__ import annotations

import csv
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from kefu.catalog.models import BusinessLine, Category
from kefu.cli import app
from kefu.contacts.models import Contact
from kefu.core.db import make_engine, make_sessionmaker, session_scope
from kefu.core.settings import get_settings
from kefu.customers.models import Customer
from kefu.migrate import upgrade
from kefu.simulate import profile as P
from kefu.simulate.output import COLUMNS

DAY = "2026-11-02"  # a Monday
runner = CliRunner()


def _catalog(url: str, *, agents: bool = False) -> None:
    """The simulator's business lines and categories (and two agents) in the database at ``url``."""
    from kefu.accounts.models import User

    engine = make_engine(url)
    with engine.begin() as conn:
        for code in P.LINES:
            conn.execute(insert(BusinessLine).values(code=code, name=code, is_active=True))
        lines = dict(conn.execute(select(BusinessLine.code, BusinessLine.id)).all())
        conn.execute(insert(Category), [
            {"code": c.code, "name": c.code, "severity_class": "none", "business_line_id": lines[c.line],
             "sort_order": 0, "is_active": True} for c in P.CATEGORIES])
        if agents:
            now = datetime.now(UTC)
            conn.execute(insert(User), [
                {"username": u, "display_name": n, "password_hash": "x", "role": "agent", "language": "zh-CN",
                 "is_active": True, "created_at": now} for u, n in (("agent1", "王小明"), ("agent2", "刘婷"))])
    engine.dispose()


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    upgrade(url)
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _count(url: str, *where) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(Contact).where(*where))
    engine.dispose()
    return n


def test_simulate_into_the_database_with_a_spike(database):
    _catalog(database, agents=True)
    args = ["simulate", "--days", "1", "--start", DAY, "--scale", "0.1", "--seed", "3",
            "--spike", "food_safety@2026-11-02T18:00x10+2h"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "spike: waimai.merchant.food_safety ×10" in result.output
    stored = _count(database)
    assert stored > 500 and f"{stored} contacts: created {stored}, duplicates 0, errors 0" in result.output
    engine = make_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(select(Contact.outcome, Contact.channel, Contact.agent_id, Contact.category_id,
                                   Contact.offered_at, Contact.customer_id)).all()
        customers = conn.execute(select(Customer.name, Customer.phone, Customer.role)).all()
        food = conn.scalar(select(Category.id).where(Category.code == "waimai.merchant.food_safety"))
    engine.dispose()
    assert set(Counter(r.outcome for r in rows)) == set(P.OUTCOMES)
    assert all(r.category_id is not None and r.customer_id is not None for r in rows)
    assert all((r.agent_id is not None) == (r.outcome == "answered") for r in rows)
    local = [r.offered_at.astimezone(ZoneInfo("Asia/Shanghai")) for r in rows]
    assert {t.date().isoformat() for t in local} == {DAY}
    in_spike = sum(r.category_id == food and 18 <= t.hour < 20 for r, t in zip(rows, local, strict=True))
    assert in_spike > 5  # ~1 a day without the spike at this scale, ×10 for two evening hours
    assert all("****" in c.name for c in customers)  # named by their masked phone, as the intake does
    assert {c.role for c in customers} >= {"consumer", "merchant", "rider"}
    # the same run again stores nothing new
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and f"created 0, duplicates {stored}" in again.output
    assert _count(database) == stored


def test_simulate_to_csv_reads_back_through_kefu_import(database, tmp_path):
    path = tmp_path / "contacts.csv"
    result = runner.invoke(app, ["simulate", "--days", "2", "--start", DAY, "--scale", "0.05", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    assert f"{len(rows)} contacts written" in result.output
    assert {r["offered_at"][:10] for r in rows} == {DAY, "2026-11-03"}
    assert all(r["offered_at"].endswith("+08:00") for r in rows)
    assert {r["outcome"] for r in rows} == set(P.OUTCOMES)
    assert all(r["answered_at"] == "" for r in rows if r["outcome"] != "answered")
    _catalog(database)
    imported = runner.invoke(app, ["import", "contacts", str(path)])
    assert imported.exit_code == 0, imported.output
    assert f"{len(rows)} rows: created {len(rows)}, duplicates 0, bad 0" in imported.output
    assert _count(database) == len(rows)


@pytest.mark.parametrize(("args", "says"), [
    (["--days", "0"], "--days must be"),
    (["--scale", "-1"], "--scale must be"),
    (["--start", "2026-13-01"], "is not a date"),
    (["--start", "2031-01-01"], "2024–2030"),
    (["--start", "2023-12-30", "--days", "3"], "not 2023"),
    (["--spike", "food_safety@2026-11-20T18:00"], "CATEGORY@TIME×FACTOR"),
    (["--spike", "noodles@2026-11-20T18:00x3"], "no category 'noodles'"),
    (["--api", "http://127.0.0.1:9"], "--api needs --token"),
    (["--api", "http://127.0.0.1:9", "--csv", "x.csv"], "one of --api and --csv"),
    (["--speed", "10"], "go with --api"),
])
def test_bad_options_get_a_message_not_a_traceback(args, says, tmp_path):
    result = runner.invoke(app, ["simulate", "--csv", str(tmp_path / "out.csv"), *args]
                           if "--api" not in args and "--speed" not in args else ["simulate", *args])
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split()) and "Traceback" not in result.output


def test_unreachable_api_is_a_message(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    result = runner.invoke(app, ["simulate", "--api", f"http://127.0.0.1:{port}", "--token", "k", "--speed", "1e6",
                                 "--start", DAY, "--scale", "0.01"])
    assert result.exit_code == 2 and "cannot reach" in result.output


@pytest.fixture
def live(tmp_path):
    """A real uvicorn serving kefu on its own SQLite file, and an integration's API key."""
    from kefu.accounts.models import User
    from kefu.accounts.service import create_api_key
    from kefu.app import create_app
    from kefu.core.context import Actor

    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    _catalog(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    with session_scope(factory) as session:
        user = User(username="telephony", display_name="话务系统", password_hash="x", role="admin",
                    language="zh-CN", is_active=True, created_at=now)
        session.add(user)
        session.flush()
        secret, _ = create_api_key(session, actor=Actor.system(now), name="模拟话务", user=user)
    server = uvicorn.Server(uvicorn.Config(create_app(engine=engine, sessionmaker=factory, run_worker=False),
                                           host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", secret, url
    server.should_exit = True
    thread.join(10)
    engine.dispose()


def test_simulate_sends_to_a_running_server(live):
    base, secret, url = live
    args = ["simulate", "--api", base, "--token", secret, "--speed", "1000000", "--start", DAY, "--scale", "0.02",
            "--seed", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    stored = _count(url)
    assert stored > 100 and f"{stored} contacts: created {stored}, duplicates 0, errors 0" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and f"created 0, duplicates {stored}" in again.output
    refused = runner.invoke(app, [*args[:3], "--token", "kefu_wrong", *args[5:]])
    assert refused.exit_code == 2 and "answered 401" in " ".join(refused.output.split())


def test_records_go_out_when_their_calls_end_on_the_simulated_clock(monkeypatch):
    """--speed 60: an hour of calls in a minute; nothing is sent before it ended on that clock."""
    from datetime import date

    from kefu.simulate import sinks
    from kefu.simulate.model import Model, Scenario

    wall = [1000.0]
    sent: list[tuple[float, list[dict]]] = []
    monkeypatch.setattr(sinks, "post_bulk", lambda url, token, recs: sent.append((wall[0], recs)) or {
        "created": len(recs), "duplicates": 0, "errors": []})

    def sleep(seconds: float) -> None:
        wall[0] += seconds

    sc = Scenario(start=date(2026, 11, 2), days=1, seed=2, scale=0.02)
    model = Model(sc)
    day = model.day(sc.start)
    tally = sinks.to_api("http://x", "t", model, [day], lambda d: None, speed=60, clock=lambda: wall[0],
                         sleep=sleep)
    assert tally.created == len(day) == sum(len(b) for _, b in sent)
    first = int(day.ended.min())
    for at, batch in sent:
        simulated = first + (at - 1000.0) * 60
        assert len(batch) <= sinks.CHUNK
        assert all(datetime.fromisoformat(r["ended_at"]).timestamp() <= simulated for r in batch)
    span = (int(day.ended.max()) - first) / 60  # wall seconds the day takes at ×60
    assert sent[-1][0] - 1000.0 == pytest.approx(span, abs=2)
