"""Migration 0017 fills the KPI rollups' new grain 6 (interval × channel × agent) from a store's grain 0, so an
upgraded center's occupancy and per-agent figures include the contacts stored before."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from kefu.core.db import make_engine
from kefu.migrate import alembic_config


def test_grain_6_is_filled_from_grain_0(tmp_path):
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
                                "WHERE grain = 6 ORDER BY agent_id")).all()
    engine.dispose()
    assert [tuple(r) for r in got] == [(0, "", 0, 1, 0), (7, "", 0, 3, 600)]


def test_daily_grains_are_filled_from_the_30_minute_ones_by_the_centers_day(tmp_path):
    """Migration 0019: a store upgraded with months of rollups gets their daily grains, cut at Shanghai's midnight
    (16:00 UTC), so the reports that read a daily grain show the history stored before."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0018")
    engine = make_engine(url)
    cols = ("grain, interval_start, channel, queue, category_id, business_line_id, agent_id, contacts, offered, "
            "answered, abandoned, short_abandoned, answered_in_sl, wait_seconds, handle_seconds, rated, r1, r2, r3, "
            "r4, r5")
    # 15:30 UTC is 23:30 on the 20th in Shanghai; 16:00 UTC is 00:00 on the 21st
    rows = [(0, "15:30", "phone", "外卖热线", 11, 7, 2), (0, "16:00", "phone", "外卖热线", 11, 7, 3),
            (0, "15:00", "chat", "外卖在线", 12, 8, 4),
            (1, "15:30", "phone", "外卖热线", 11, 0, 2), (1, "16:00", "phone", "外卖热线", 11, 0, 3),
            (1, "15:00", "chat", "外卖在线", 12, 0, 4),
            (2, "15:30", "phone", "", 0, 0, 2), (2, "16:00", "phone", "", 0, 0, 3), (2, "15:00", "chat", "", 0, 0, 4)]
    with engine.begin() as conn:
        for grain, at, channel, queue, cat, agent, n in rows:
            conn.execute(text(f"INSERT INTO kpi_rollups ({cols}) VALUES ({grain}, '2026-11-20 {at}:00.000000', "
                              f"'{channel}', :q, {cat}, {1 if cat else 0}, {agent}, {n}, {n}, {n}, 0, 0, {n}, "
                              f"{5 * n}, {60 * n}, 0, 0, 0, 0, 0, 0)"), {"q": queue})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        got = conn.execute(text("SELECT grain, interval_start, channel, queue, category_id, agent_id, contacts, "
                                "handle_seconds FROM kpi_rollups WHERE grain IN (3, 4, 5) "
                                "ORDER BY grain, interval_start, channel, agent_id")).all()
    engine.dispose()
    day20, day21 = "2026-11-19 16:00:00.000000", "2026-11-20 16:00:00.000000"
    assert [tuple(r) for r in got] == [
        (3, day20, "chat", "", 0, 0, 4, 240), (3, day20, "phone", "", 0, 0, 2, 120),
        (3, day21, "phone", "", 0, 0, 3, 180),
        (4, day20, "chat", "外卖在线", 12, 0, 4, 240), (4, day20, "phone", "外卖热线", 11, 0, 2, 120),
        (4, day21, "phone", "外卖热线", 11, 0, 3, 180),
        (5, day20, "", "", 0, 7, 2, 120), (5, day20, "", "", 0, 8, 4, 240), (5, day21, "", "", 0, 7, 3, 180)]
