"""The contact list's time windows are served by ``ix_contacts_offered`` (SQLite's own plan), newest first
without sorting every match."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite

from kefu.contacts import queries, service
from kefu.core.db import make_engine, make_sessionmaker, refresh_planner_statistics
from kefu.migrate import upgrade

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _plan(session, stmt) -> str:
    sql = str(stmt.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    return "\n".join(row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_time_window_walks_the_offered_index(tmp_path):
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        records = [{"call_id": f"P{i}", "customer_phone": f"139{i % 700:08d}", "queue": ["外卖热线", "阅读热线"][i % 2],
                    "offered_at": (NOW - timedelta(minutes=2 * i)).isoformat(),
                    "outcome": ["answered", "abandoned"][i % 5 == 0]} for i in range(6000)]
        assert service.ingest(session, records, now=NOW).created == 6000
        session.commit()
    refresh_planner_statistics(engine)
    window = queries.ContactFilter(offered_from=NOW - timedelta(hours=24), offered_to=NOW - timedelta(hours=20))
    with factory() as session:
        for f in (window, queries.ContactFilter(offered_from=window.offered_from, offered_to=window.offered_to,
                                                outcome="abandoned"), queries.ContactFilter()):
            page = queries.build_query(f).order_by(*queries.NEWEST).limit(50)
            plan = _plan(session, page)
            assert "ix_contacts_offered" in plan and "TEMP B-TREE" not in plan, plan
        count = select(func.count()).select_from(queries.build_query(window).limit(1001).subquery())
        assert "ix_contacts_offered" in _plan(session, count)
        # and the page is the window's newest calls
        got = queries.page_contacts(session, window, limit=3, offset=0)
        assert [c.call_id for c in got.rows] == ["P601", "P602", "P603"] and got.count == 120
    engine.dispose()
