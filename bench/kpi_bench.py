"""A month's KPIs from the rollups vs. the same figures from the raw contacts, on SQLite and PostgreSQL.

The raw month (default 10,000,000 contacts over November 2026: phone, chat, WeChat, e-mail, self-service; 40
categories in 8 business lines, 600 agents, 8 queues, waits, handle times, outcomes and ratings drawn from a
hash of the row number) is generated inside the database by SQL (a recursive CTE on SQLite, generate_series on
PostgreSQL): 10 million rows through Python would take longer than the benchmark. For the same reason the
rollups are computed here by one ``INSERT … SELECT … GROUP BY`` per grain, with the KPI definitions written
in SQL for this data (no short abandons, T = 20 s), instead of through ``kefu.reports.rollups``; the benchmark
checks that one day's rollups (grain 1 and the daily grains 3, 4, 5) equal ``kefu.reports.rollups.aggregate``
of that day's raw rows, so both agree. The 30-minute agent grain (0, about one row per contact at this agent
count) is not built: no query without filters reads it.

Measured, best of --repeat, each a fresh session: ``kefu.reports.service.kpi_report`` of the month (totals, as
``GET /api/v1/reports/kpis`` without group_by) and grouped by every group_by the API offers; and the month's
totals from the raw rows by one SQL aggregate over ``contacts`` (the fastest raw way: no Python per row).

    .venv/bin/python bench/kpi_bench.py --contacts 10000000 --pg postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import text

from kefu.core.db import make_engine, make_sessionmaker
from kefu.migrate import upgrade

START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 in Shanghai
SECONDS = 30 * 86400
CHANNELS = ("phone", "phone", "phone", "phone", "chat", "chat", "chat", "wechat", "email", "self_service")


def _h(expr: str, mod: int, salt: int) -> str:
    """A pseudo-random integer in [0, mod) from the row number (Knuth's multiplicative hash)."""
    return f"((({expr}) * 2654435761 + {salt * 40503}) % 4294967296 % {mod})"


def _at(dialect: str, sec: str) -> str:
    if dialect == "sqlite":
        return f"strftime('%Y-%m-%d %H:%M:%S', {int(START.timestamp())} + {sec}, 'unixepoch') || '.000000'"
    return f"to_timestamp({int(START.timestamp())} + {sec})"


INSERT = ("INSERT INTO contacts (channel, direction, category_id, business_line_id, agent_id, queue, offered_at, "
          "answered_at, ended_at, talk_seconds, hold_seconds, wrap_seconds, outcome, satisfaction, created_at) ")


def generate(conn, dialect: str, n: int, chunk: int = 1_000_000) -> None:
    ch = "CASE " + " ".join(f"WHEN {_h('i', 10, 1)} = {k} THEN '{c}'" for k, c in enumerate(CHANNELS)) + " END"
    rated = (f"CASE WHEN {_h('i', 10, 10)} < 3 THEN 1 + (CASE WHEN {_h('i', 100, 11)} < 84 THEN 4 "
             f"WHEN {_h('i', 100, 11)} < 98 THEN 3 ELSE {_h('i', 3, 12)} END) END")
    base = (f"SELECT i * {SECONDS} / {n} AS o, {ch} AS ch, {_h('i', 100, 2)} AS h, {_h('i', 60, 3)} AS w, "
            f"{_h('i', 40, 4)} AS cat, {_h('i', 600, 5)} AS agent, {_h('i', 400, 7)} AS talk, "
            f"{_h('i', 4, 8)} AS hold, {_h('i', 60, 9)} AS wrap, {rated} AS sat FROM s")
    outcome = ("SELECT *, CASE WHEN ch = 'self_service' THEN 'deflected' WHEN h < 8 THEN 'abandoned' "
               "WHEN h < 10 THEN 'callback_requested' ELSE 'answered' END AS oc FROM b")
    ans = "oc = 'answered'"
    cols = (f"ch, 'inbound', 1 + cat, 1 + cat / 5, 1 + agent, ch || '-' || (1 + cat / 5), {_at(dialect, 'o')}, "
            f"CASE WHEN {ans} THEN {_at(dialect, 'o + w')} END, {_at(dialect, 'o + w + 200')}, "
            f"CASE WHEN {ans} THEN 60 + talk END, CASE WHEN {ans} THEN hold * 10 END, CASE WHEN {ans} THEN wrap END, "
            f"oc, sat, {_at(dialect, 'o')}")
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        if dialect == "sqlite":
            series = f"s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {hi - 1})"
        else:
            series = f"s(i) AS (SELECT generate_series({lo}::bigint, {hi - 1}))"
        sql = f"WITH RECURSIVE {series}, b AS ({base}), c AS ({outcome}) {INSERT} SELECT {cols} FROM c"
        conn.exec_driver_sql(sql if dialect == "sqlite" else sql.replace("%", "%%"))  # psycopg's placeholders
        print(f"  {hi:,} contacts", file=sys.stderr, flush=True)


def _wait(dialect: str) -> str:
    if dialect == "sqlite":
        return "CAST(round((julianday(answered_at) - julianday(offered_at)) * 86400) AS INTEGER)"
    return "CAST(round(extract(epoch FROM answered_at - offered_at)) AS INTEGER)"


def measures(dialect: str) -> str:
    """The KPI tallies in SQL for this data (kefu.reports.kpis.tally_of, with no short abandons and T = 20 s)."""
    offered = "(channel IN ('phone', 'chat') AND outcome <> 'deflected')"
    answered = f"({offered} AND outcome = 'answered' AND answered_at IS NOT NULL)"
    w = _wait(dialect)
    return ", ".join([
        "count(*)", f"sum(CASE WHEN {offered} THEN 1 ELSE 0 END)", f"sum(CASE WHEN {answered} THEN 1 ELSE 0 END)",
        f"sum(CASE WHEN {offered} AND outcome = 'abandoned' THEN 1 ELSE 0 END)", "0",
        f"sum(CASE WHEN {answered} AND {w} <= 20 THEN 1 ELSE 0 END)",
        f"sum(CASE WHEN {answered} THEN {w} ELSE 0 END)",
        f"sum(CASE WHEN {answered} THEN coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + "
        f"coalesce(wrap_seconds, 0) ELSE 0 END)",
        "sum(CASE WHEN satisfaction BETWEEN 1 AND 5 THEN 1 ELSE 0 END)",
        *(f"sum(CASE WHEN satisfaction = {k} THEN 1 ELSE 0 END)" for k in range(1, 6))])


MEASURE_COLUMNS = ("contacts, offered, answered, abandoned, short_abandoned, answered_in_sl, wait_seconds, "
                   "handle_seconds, rated, r1, r2, r3, r4, r5")


def build_rollups(conn, dialect: str) -> None:
    if dialect == "sqlite":
        interval = ("strftime('%Y-%m-%d %H:%M:%S', CAST(strftime('%s', offered_at) AS INTEGER) / 1800 * 1800, "
                    "'unixepoch') || '.000000'")
    else:
        interval = "to_timestamp(floor(extract(epoch FROM offered_at) / 1800) * 1800)"
    k = ("channel", "coalesce(queue, '')", "coalesce(category_id, 0)", "coalesce(business_line_id, 0)")
    conn.exec_driver_sql(
        f"INSERT INTO kpi_rollups (grain, interval_start, channel, queue, category_id, business_line_id, agent_id, "
        f"{MEASURE_COLUMNS}) SELECT 1, {interval}, {', '.join(k)}, 0, {measures(dialect)} FROM contacts "
        f"GROUP BY {interval}, {', '.join(k)}")
    print("  rollups grain 1 (from the raw rows)", file=sys.stderr, flush=True)
    sums = ", ".join(f"sum({c.strip()})" for c in MEASURE_COLUMNS.split(","))
    conn.exec_driver_sql(
        f"INSERT INTO kpi_rollups (grain, interval_start, channel, queue, category_id, business_line_id, agent_id, "
        f"{MEASURE_COLUMNS}) SELECT 2, interval_start, channel, '', 0, 0, 0, {sums} FROM kpi_rollups WHERE grain = 1 "
        f"GROUP BY interval_start, channel")
    print("  rollups grain 2 (from grain 1)", file=sys.stderr, flush=True)
    build_daily(conn, dialect, sums)


def _day(dialect: str, col: str) -> str:
    """The Shanghai midnight (UTC +8, no daylight saving) starting the day of ``col``, as the store keeps times."""
    if dialect == "sqlite":
        return (f"strftime('%Y-%m-%d %H:%M:%S', (CAST(strftime('%s', {col}) AS INTEGER) + 28800) / 86400 * 86400 "
                f"- 28800, 'unixepoch') || '.000000'")
    return f"to_timestamp(floor((extract(epoch FROM {col}) + 28800) / 86400) * 86400 - 28800)"


def build_daily(conn, dialect: str, sums: str) -> None:
    """The daily grains: 3 (day × channel) from grain 2, 4 (day × channel × queue × category × line) from grain 1,
    5 (day × agent) from the raw rows."""
    cols = f"grain, interval_start, channel, queue, category_id, business_line_id, agent_id, {MEASURE_COLUMNS}"
    day = _day(dialect, "interval_start")
    conn.exec_driver_sql(f"INSERT INTO kpi_rollups ({cols}) SELECT 3, {day}, channel, '', 0, 0, 0, {sums} "
                         f"FROM kpi_rollups WHERE grain = 2 GROUP BY {day}, channel")
    conn.exec_driver_sql(f"INSERT INTO kpi_rollups ({cols}) SELECT 4, {day}, channel, queue, category_id, "
                         f"business_line_id, 0, {sums} FROM kpi_rollups WHERE grain = 1 "
                         f"GROUP BY {day}, channel, queue, category_id, business_line_id")
    raw_day = _day(dialect, "offered_at")
    conn.exec_driver_sql(f"INSERT INTO kpi_rollups ({cols}) SELECT 5, {raw_day}, '', '', 0, 0, coalesce(agent_id, 0), "
                         f"{measures(dialect)} FROM contacts GROUP BY {raw_day}, coalesce(agent_id, 0)")
    print("  rollups grains 3, 4 (from 2 and 1) and 5 (from the raw rows)", file=sys.stderr, flush=True)


def raw_totals(session, dialect: str, p) -> tuple:
    return session.execute(text(f"SELECT {measures(dialect)} FROM contacts WHERE offered_at >= :a AND "
                                f"offered_at < :b"), {"a": _bound(p.start, dialect), "b": _bound(p.end, dialect)}).one()


def _bound(dt: datetime, dialect: str):
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000") if dialect == "sqlite" else dt


CPU: dict[str, float] = {}  # the CPU time of this process in the best run of each measure (--cpu)


def _best(fn, repeat: int, name: str = "") -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        if times[-1] == min(times):
            CPU[name] = time.process_time() - c0
    return min(times), out


def check_one_day(factory, p) -> None:
    """One day's rollups (grains 1, 3, 4, 5) equal kefu's own aggregation of that day's raw rows."""
    from datetime import timedelta

    from sqlalchemy import select

    from kefu.reports.kpis import MEASURES, Thresholds
    from kefu.reports.models import KpiRollup
    from kefu.reports.rollups import aggregate, raw_contacts

    day0, day1 = p.start + timedelta(days=14), p.start + timedelta(days=15)
    with factory() as s:
        ours = {k: t.as_dict() for k, t in aggregate(raw_contacts(s, day0, day1), Thresholds()).items()
                if k[0] in (1, 3, 4, 5)}
        stored = {}
        for r in s.scalars(select(KpiRollup).where(KpiRollup.grain.in_((1, 3, 4, 5)), KpiRollup.interval_start >= day0,
                                                   KpiRollup.interval_start < day1)):
            stored[(r.grain, r.interval_start, r.channel, r.queue, r.category_id, r.business_line_id,
                    r.agent_id)] = {m: getattr(r, m) for m in MEASURES}
    assert ours == stored, "the SQL rollups differ from kefu.reports.rollups.aggregate"
    print(f"  one day checked: {len(stored):,} keys of grains 1, 3, 4, 5 equal kefu's aggregation", file=sys.stderr)


LIST_INDEXES = ("ix_contacts_category_offered", "ix_contacts_queue_offered", "ix_contacts_customer",
                "ix_contacts_ticket")
SCHEMA = "kefu_kpi_bench"  # PostgreSQL: the benchmark's own schema, dropped at the end


def _engine(url: str):
    """A migrated, empty store: SQLite a fresh file; PostgreSQL a schema of the benchmark's own."""
    from alembic import command

    from kefu.migrate import alembic_config

    if url.startswith("sqlite"):
        upgrade(url)
        return make_engine(url)
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
    admin.dispose()
    engine = make_engine(url, connect_args={"options": f"-csearch_path={SCHEMA}"})
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return engine


def reference(conn) -> None:
    """The 8 business lines, 40 categories and 600 agents the generated contacts name."""
    from sqlalchemy import insert

    from kefu.accounts.models import User
    from kefu.catalog.models import BusinessLine, Category

    conn.execute(insert(BusinessLine), [{"id": k, "code": f"line{k}", "name": f"业务线{k}", "is_active": True}
                                        for k in range(1, 9)])
    conn.execute(insert(Category), [{"id": k, "code": f"cat{k}", "name": f"问题{k}", "severity_class": "general",
                                     "business_line_id": 1 + (k - 1) // 5, "sort_order": 0, "is_active": True}
                                    for k in range(1, 41)])
    now = datetime.now(UTC)
    conn.execute(insert(User), [{"id": k, "username": f"agent{k}", "display_name": f"客服{k}", "password_hash": "x",
                                 "role": "agent", "is_active": True, "created_at": now} for k in range(1, 601)])


def run(url: str, n: int, repeat: int, reuse: bool = False) -> dict:
    from kefu.core.settings import get_settings

    assert get_settings().timezone == "Asia/Shanghai", "the SQL daily grains cut days at UTC+8"
    if reuse:  # SQLite: the file of an earlier run, measured again
        engine = make_engine(url)
        return _measure(engine, engine.dialect.name, {"contacts": n, "generate_s": 0, "rollups_s": 0}, repeat)
    engine = _engine(url)
    dialect = engine.dialect.name
    with engine.begin() as conn:
        reference(conn)
        for index in LIST_INDEXES:  # the contact list's indexes: the raw month query uses ix_contacts_offered only
            conn.exec_driver_sql(f"DROP INDEX {index}")
    t0 = time.perf_counter()
    with engine.begin() as conn:
        if dialect == "sqlite":  # a bulk load: a big page cache, no fsync (the benchmark's file only)
            conn.exec_driver_sql("PRAGMA cache_size = -400000")
            conn.exec_driver_sql("PRAGMA synchronous = OFF")
        else:
            conn.exec_driver_sql("SET synchronous_commit = off")
        generate(conn, dialect, n)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:
        build_rollups(conn, dialect)
    roll = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    out = _measure(engine, dialect, {"contacts": n, "generate_s": gen, "rollups_s": roll}, repeat)
    engine.dispose()
    if dialect == "postgresql":
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.dispose()
    return out


def _measure(engine, dialect: str, out: dict, repeat: int) -> dict:
    from kefu.reports import service
    from kefu.reports.kpis import Tally, rates
    from kefu.reports.queries import GROUPS, Period

    with engine.begin() as conn:
        rows = conn.exec_driver_sql("SELECT grain, count(*) FROM kpi_rollups GROUP BY grain ORDER BY grain").all()
    factory = make_sessionmaker(engine)
    from zoneinfo import ZoneInfo

    p = Period(date(2026, 11, 1), date(2026, 11, 30), ZoneInfo("Asia/Shanghai"))
    check_one_day(factory, p)

    def kpis(group_by=None):
        with factory() as s:
            return service.kpi_report(s, p, group_by=group_by)

    def raw():
        with factory() as s:
            return raw_totals(s, dialect, p)

    out |= {"dialect": dialect, "rollup_rows": dict(rows)}
    out["totals_s"], report = _best(kpis, repeat, "totals")
    out["groups"] = {}
    for group in GROUPS:
        seconds, grouped = _best(lambda g=group: kpis(g), repeat, group)
        out["groups"][group] = (seconds, len(grouped["rows"]))
    # the same groups from the 30-minute grains only (the planner before the daily grains; agent and team would
    # read grain 0, not built here)
    from kefu.reports import queries

    planner = queries.grain_for
    queries.grain_for = lambda dims, intervals=False: planner(dims, intervals=True)
    try:
        out["thirty"] = {g: _best(lambda g=g: kpis(g), repeat, f"30-{g}")[0] for g in GROUPS
                         if g not in ("agent", "team", "interval")}
    finally:
        queries.grain_for = planner
    out["raw_s"], raw_row = _best(raw, max(1, repeat // 2), "raw")
    # (occupancy comes from the agents' state log, not from contacts: the raw rows have none)
    assert rates(Tally(*raw_row)) == {k: v for k, v in report["totals"].items() if k != "occupancy"}, \
        "rollups and raw rows disagree"
    out["offered"], out["answer_rate"] = report["totals"]["offered"], report["totals"]["answer_rate"]
    out["cpu"] = dict(CPU)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contacts", type=int, default=10_000_000)
    ap.add_argument("--sqlite", default="/tmp/w6/kpi_bench.db", help="SQLite file ('' to skip SQLite)")
    ap.add_argument("--pg", default=None, help="PostgreSQL URL (its tables are replaced)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--reuse", action="store_true", help="SQLite: measure the file of an earlier run again")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()}", file=sys.stderr)
    results = []
    for url in filter(None, (args.sqlite and f"sqlite:///{args.sqlite}", args.pg)):
        reuse = args.reuse and url.startswith("sqlite") and os.path.exists(args.sqlite)
        if url.startswith("sqlite") and not reuse:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(args.sqlite + suffix):
                    os.remove(args.sqlite + suffix)
        results.append(run(url, args.contacts, args.repeat, reuse))
    for r in results:
        print(f"{r['dialect']}: {r['contacts']:,} contacts (generated {r['generate_s']:.0f} s, rollups "
              f"{r['rollups_s']:.0f} s, rows per grain {r['rollup_rows']}); offered {r['offered']:,}, answer rate "
              f"{r['answer_rate']:.4f}")
        print(f"  month totals from rollups {r['totals_s'] * 1000:.1f} ms; from raw rows {r['raw_s'] * 1000:.0f} ms "
              f"(raw / rollups = {r['raw_s'] / r['totals_s']:.0f}×)")
        for group, (seconds, n) in r["groups"].items():
            before = f"; from the 30-minute grains {r['thirty'][group] * 1000:.1f} ms" if group in r["thirty"] else ""
            print(f"  by {group}: {seconds * 1000:.1f} ms ({n} rows; this process's CPU "
                  f"{r['cpu'][group] * 1000:.1f} ms{before})")
    print(f"load average {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
