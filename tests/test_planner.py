"""The list's queue views are served by an index, not by sorting every match.

SQLite picks indexes from statistics (``ANALYZE``); without them it preferred (status, created_at) for
"open tickets in queue order" and sorted all of them. kefu refreshes the statistics (``kefu db upgrade``,
``kefu db analyze``, the worker). These tests read SQLite's own plan for the queries the list runs.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.dialects import sqlite
from typer.testing import CliRunner

from kefu.cli import app as cli
from kefu.core.db import make_engine, make_sessionmaker, refresh_planner_statistics
from kefu.core.settings import get_settings
from kefu.migrate import upgrade
from kefu.tickets import queries
from kefu.tickets.models import Ticket, queue_keys

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
STATUSES = ["closed"] * 20 + ["resolved"] * 6 + ["open"] * 3 + ["pending", "new"]


def _load(engine, n: int) -> None:
    rnd = random.Random(5)
    rows = []
    for i in range(n):
        status = rnd.choice(STATUSES)
        priority = rnd.choice(["low", "normal", "normal", "high", "urgent"])
        created = NOW - timedelta(minutes=3 * (n - i))
        due = created + timedelta(hours=72) if status in ("open", "new") else None
        rows.append(dict(subject=f"配送超时{i}", description="骑手迟到", status=status, priority=priority,
                         channel="phone", tier=1, complaint_type="none", created_at=created, updated_at=created,
                         resolution_due_at=due, sla_paused_seconds=0.0, sla_status="on_track",
                         first_response_breached=False, resolution_breached=False, search_text="",
                         **queue_keys(status, priority, due)))
    with engine.begin() as conn:
        conn.execute(insert(Ticket), rows)


def _plan(session, f: queries.TicketFilter) -> str:
    stmt = queries.build_query(session, f, now=NOW, today_start=NOW - timedelta(hours=2))
    page = stmt.where(Ticket.created_at < NOW - timedelta(hours=2)).order_by(*queries.QUEUE_KEYS).limit(50)
    sql = str(page.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    return "\n".join(row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_statistics_make_the_queue_views_walk_an_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = make_engine(url)
    _load(engine, 6000)
    factory = make_sessionmaker(engine)
    with factory() as session:
        assert session.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
        before = _plan(session, queries.TicketFilter(status=["open"]))
    refresh_planner_statistics(engine)
    with factory() as session:
        assert session.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tickets'")) > 5
        open_plan = _plan(session, queries.TicketFilter(status=["open"]))
        active_plan = _plan(session, queries.TicketFilter(active=True))
        # the page is read in index order and the scan stops after 50 rows: no sort of every open ticket
        assert "TEMP B-TREE" not in open_plan and "ix_tickets_status_queue" in open_plan, (before, open_plan)
        assert "TEMP B-TREE" not in active_plan, active_plan
        # and the answer is the queue order itself
        ids = list(session.scalars(select(Ticket.id).where(Ticket.status == "open")
                                   .order_by(*queries.QUEUE_KEYS).limit(50)))
        page = queries.page_tickets(session, queries.TicketFilter(status=["open"]), now=NOW,
                                    today_start=NOW + timedelta(days=1), limit=50, offset=0)
        assert [t.id for t in page.rows] == ids
    engine.dispose()


def test_db_analyze_command(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    engine = make_engine(url)
    _load(engine, 500)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM sqlite_stat1")
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["db", "analyze"])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "statistics refreshed" in result.output
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'tickets'")).scalar() > 5
    engine.dispose()
