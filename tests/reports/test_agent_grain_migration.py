"""Migration 0017 fills the KPI rollups' new grain 3 (interval × channel × agent) from a store's grain 0, so an
upgraded center's occupancy and per-agent figures include the contacts stored before."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from kefu.core.db import make_engine
from kefu.migrate import alembic_config


def test_grain_3_is_filled_from_grain_0(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0016")
    engine = make_engine(url)
    cols = ("grain, interval_start, channel, queue, category_id, business_line_id, agent_id, contacts, offered, "
            "answered, abandoned, short_abandoned, answered_in_sl, wait_seconds, handle_seconds, rated, r1, r2, r3, "
            "r4, r5")
    rows = [(0, "外卖热线", 11, 7, 300), (0, "外卖热线", 12, 7, 200), (0, "阅读热线", 11, 7, 100),
            (0, "外卖热线", 11, 0, 0)]
    with engine.begin() as conn:
        for grain, queue, cat, agent, handle in rows:
            conn.execute(text(f"INSERT INTO kpi_rollups ({cols}) VALUES ({grain}, '2026-11-20 01:00:00.000000', "
                              f"'phone', :q, {cat}, 1, {agent}, 1, 1, 1, 0, 0, 1, 5, {handle}, 0, 0, 0, 0, 0, 0)"),
                         {"q": queue})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        got = conn.execute(text("SELECT agent_id, queue, category_id, contacts, handle_seconds FROM kpi_rollups "
                                "WHERE grain = 3 ORDER BY agent_id")).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [(0, "", 0, 1, 0), (7, "", 0, 3, 600)]
