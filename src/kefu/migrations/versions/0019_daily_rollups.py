"""kpi_rollups daily grains 3 (day × channel), 4 (day × channel × queue × category × line) and 5 (day × agent)
filled from the 30-minute grains 2, 1 and 0 of a store that already has contacts, so an upgraded center's reports
(which read a daily grain whenever no 30-minute bucket is needed) include the months stored before; the day is
the center's (KEFU_TIMEZONE at the time of the upgrade; after changing it, `kefu report rebuild`)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 20:40:00
"""
from datetime import UTC, datetime, time

import sqlalchemy as sa
from alembic import op

import kefu.core.db
from kefu.core.settings import get_settings

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None
_MEASURES = ("contacts", "offered", "answered", "abandoned", "short_abandoned", "answered_in_sl", "wait_seconds",
             "handle_seconds", "rated", "r1", "r2", "r3", "r4", "r5")
# 30-minute grain -> (daily grain, its key columns: the others are '' or 0)
_DAILY = {0: (5, ("agent_id",)),
          1: (4, ("channel", "queue", "category_id", "business_line_id")),
          2: (3, ("channel",))}
_KEYS = {"channel": "''", "queue": "''", "category_id": "0", "business_line_id": "0", "agent_id": "0"}


def upgrade() -> None:
    bind = op.get_bind()
    starts = [row[0] for row in bind.execute(sa.select(sa.column("interval_start", kefu.core.db.UTCDateTime()))
                                             .select_from(sa.table("kpi_rollups"))
                                             .where(sa.column("grain").in_(list(_DAILY))).distinct())]
    if not starts:
        return
    tz = get_settings().tz
    days = sa.Table("kefu_rollup_days", sa.MetaData(),
                    sa.Column("interval_start", kefu.core.db.UTCDateTime(), primary_key=True),
                    sa.Column("day", kefu.core.db.UTCDateTime(), nullable=False),
                    prefixes=["TEMPORARY"])
    days.create(bind)
    bind.execute(days.insert(), [
        {"interval_start": s, "day": datetime.combine(s.astimezone(tz).date(), time(), tz).astimezone(UTC)}
        for s in starts])
    sums = ", ".join(f"SUM(r.{m})" for m in _MEASURES)
    for grain, (day_grain, keys) in _DAILY.items():
        cols = ", ".join(f"r.{k}" if k in keys else f"{v}" for k, v in _KEYS.items())
        group = ", ".join(f"r.{k}" for k in keys)
        bind.execute(sa.text(
            f"INSERT INTO kpi_rollups (grain, interval_start, {', '.join(_KEYS)}, {', '.join(_MEASURES)}) "
            f"SELECT {day_grain}, d.day, {cols}, {sums} FROM kpi_rollups r "
            f"JOIN kefu_rollup_days d ON d.interval_start = r.interval_start "
            f"WHERE r.grain = {grain} GROUP BY d.day, {group}"))
    days.drop(bind)


def downgrade() -> None:
    op.execute("DELETE FROM kpi_rollups WHERE grain IN (3, 4, 5)")
