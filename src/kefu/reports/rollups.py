"""Keeping the KPI rollups in step with the contacts, and rebuilding them from raw rows.

New contacts (``kefu.contacts.events.on_new``, a bulk batch or ORM objects) are added as deltas by one
statement over their stored rows (``add_new``: ``measures_of`` written in SQL, summed per key, ``INSERT … SELECT
… GROUP BY … ON CONFLICT DO UPDATE SET x = x + excluded.x``), whatever the batch's size: no Python per
contact. ``aggregate`` (Python) stays the definition the raw computation and ``rebuild`` use; the property
test in ``tests/reports/test_rollups.py`` holds the two equal. A changed contact (answered, ended, rated,
assigned: ``on_changed``) may move from one key to another, and the listener is told only its new state, so the
(interval, channel) slices it lies in are re-aggregated from the raw rows instead: their rollup rows deleted and
recomputed, inside the same transaction. A contact's ``offered_at`` and channel never change after it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from kefu.contacts import events
from kefu.contacts.events import FACT_COLUMNS, ContactFact
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.reports.kpis import MEASURES, Tally, Thresholds, measures_of
from kefu.reports.models import GRAIN_AGENT, GRAIN_CATEGORY, GRAIN_CHANNEL, KEY_COLUMNS, KpiRollup

ROLLUPS = KpiRollup.__table__
INTERVAL = timedelta(minutes=30)
Key = tuple  # (grain, interval_start, channel, queue, category_id, business_line_id, agent_id)


def thresholds() -> Thresholds:
    s = get_settings()
    return Thresholds(service_level_seconds=s.service_level_seconds, short_abandon_seconds=s.short_abandon_seconds)


def interval_of(at: datetime) -> datetime:
    """The start of the 30-minute interval holding ``at`` (UTC; whole- and half-hour zones such as Asia/Shanghai
    share the boundaries)."""
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)


def aggregate(contacts: Iterable, th: Thresholds) -> dict[Key, Tally]:
    """Tallies per rollup key, every grain, of the given contacts."""
    return {key: Tally(*sums) for key, sums in _sums(contacts, th).items()}


def _sums(contacts: Iterable, th: Thresholds) -> dict[Key, list[int]]:
    out: dict[Key, list[int]] = {}
    starts: dict[int, datetime] = {}  # 30-minute slot number -> its start: one datetime per interval
    for c in contacts:
        m = measures_of(c, th)
        slot = int(c.offered_at.timestamp()) // 1800
        start = starts.get(slot)
        if start is None:
            start = starts[slot] = interval_of(c.offered_at)
        queue, cat, line = c.queue or "", c.category_id or 0, c.business_line_id or 0
        for key in ((GRAIN_AGENT, start, c.channel, queue, cat, line, c.agent_id or 0),
                    (GRAIN_CATEGORY, start, c.channel, queue, cat, line, 0),
                    (GRAIN_CHANNEL, start, c.channel, "", 0, 0, 0)):
            got = out.get(key)
            if got is None:
                out[key] = list(m)
            else:
                for i, v in enumerate(m):
                    if v:
                        got[i] += v
    return out


_COLUMNS = (*KEY_COLUMNS, *MEASURES)
_UPSERT = (f"INSERT INTO kpi_rollups ({', '.join(_COLUMNS)}) {{source}} ON CONFLICT ({', '.join(KEY_COLUMNS)}) "
           f"DO UPDATE SET {', '.join(f'{m} = kpi_rollups.{m} + excluded.{m}' for m in MEASURES)}")


def add(session: Session, tallies: dict[Key, Tally]) -> None:
    """Add tallies to the stored rollups."""
    _add(session, {k: list(t.as_dict().values()) for k, t in tallies.items()})


def _add(session: Session, sums: dict[Key, list[int]]) -> None:
    """One upsert of every key through the driver (like the contacts' bulk insert: no SQLAlchemy processing
    per row). SQLite: executemany; PostgreSQL: COPY into a temporary table, then one INSERT … SELECT."""
    if not sums:
        return
    dbapi = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        with dbapi.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS kpi_rollups_incoming ON COMMIT DELETE ROWS AS "
                        "SELECT * FROM kpi_rollups WITH NO DATA")
            cur.execute("TRUNCATE kpi_rollups_incoming")
            with cur.copy(f"COPY kpi_rollups_incoming ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for key, m in sums.items():
                    copy.write_row((*key, *m))
            cur.execute(_UPSERT.format(source=f"SELECT {', '.join(_COLUMNS)} FROM kpi_rollups_incoming"))
        return
    cur = dbapi.cursor()
    try:
        cur.executemany(_UPSERT.format(source=f"VALUES ({', '.join('?' * len(_COLUMNS))})"),
                        [(k[0], _sqlite_time(k[1]), *k[2:], *m) for k, m in sums.items()])
    finally:
        cur.close()


def _sqlite_time(dt: datetime) -> str:
    """How ``UTCDateTime`` stores a time on SQLite (naive UTC text), so the key matches rows stored by the ORM."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# -- new contacts, set-based -------------------------------------------------------
def _epoch_us(dialect: str, column: str) -> str:
    """A stored time as whole microseconds since the epoch, as SQL (SQLite stores naive UTC text
    ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    if dialect == "sqlite":
        # whole seconds of the text without its fraction: strftime would round 59.9995 up to the next second
        return (f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * 1000000 "
                f"+ CAST(substr({column}, 21, 6) AS INTEGER))")
    return f"CAST(extract(epoch FROM {column}) * 1000000 AS bigint)"


def _rounded(us: str) -> str:
    """``kpis._seconds`` in SQL: max(0, round(us / 1e6)), Python's round (half to even); NULL stays NULL."""
    return (f"(CASE WHEN {us} <= 0 THEN 0 ELSE {us} / 1000000 + CASE WHEN {us} % 1000000 > 500000 OR "
            f"({us} % 1000000 = 500000 AND {us} / 1000000 % 2 = 1) THEN 1 ELSE 0 END END)")


def _interval_sql(dialect: str) -> str:
    """``interval_of(offered_at)`` in SQL, as the rollups store it."""
    if dialect == "sqlite":
        return ("strftime('%Y-%m-%d %H:', offered_at) || CASE WHEN substr(offered_at, 15, 2) < '30' THEN '00' "
                "ELSE '30' END || ':00.000000'")
    return "to_timestamp(floor(extract(epoch FROM offered_at) / 1800) * 1800)"


def _new_sql(dialect: str, where: str, th: Thresholds) -> str:
    """One statement adding the contacts ``where`` selects to the rollups of every grain: ``measures_of`` per
    row, summed per key, upserted (``tests/reports/test_rollups.py`` holds it equal to the Python
    definition over the raw rows)."""
    r = "satisfaction"
    offered = "(channel IN ('phone', 'chat') AND outcome <> 'deflected')"
    short = f"(outcome = 'abandoned' AND ended_us IS NOT NULL AND ended_s < {int(th.short_abandon_seconds)})"
    answered = "(outcome = 'answered' AND answered_at IS NOT NULL)"
    talk = ("COALESCE(talk_seconds, CASE WHEN span_us IS NULL THEN 0 WHEN span_s - COALESCE(hold_seconds, 0) > 0 "
            "THEN span_s - COALESCE(hold_seconds, 0) ELSE 0 END)")
    handle = f"({talk} + COALESCE(hold_seconds, 0) + COALESCE(wrap_seconds, 0))"
    flag = "CASE WHEN {} THEN 1 ELSE 0 END".format
    sl = int(th.service_level_seconds)
    measures = {
        "contacts": "1",
        "offered": flag(f"{offered} AND NOT {short}"),
        "answered": flag(f"{offered} AND NOT {short} AND {answered}"),
        "abandoned": flag(f"{offered} AND NOT {short} AND NOT {answered} AND outcome = 'abandoned'"),
        "short_abandoned": flag(f"{offered} AND {short}"),
        "answered_in_sl": flag(f"{offered} AND NOT {short} AND {answered} AND wait_s <= {sl}"),
        "wait_seconds": f"CASE WHEN {offered} AND NOT {short} AND {answered} THEN wait_s ELSE 0 END",
        "handle_seconds": f"CASE WHEN {offered} AND NOT {short} AND {answered} THEN {handle} ELSE 0 END",
        "rated": flag(f"{r} IN (1, 2, 3, 4, 5)"),
        **{f"r{k}": flag(f"{r} = {k}") for k in range(1, 6)},
    }
    assert tuple(measures) == MEASURES
    us = {"ended_us": "e_at - o_at", "wait_us": "a_at - o_at", "span_us": "e_at - a_at"}  # NULL if a time is
    rows = (f"SELECT {_interval_sql(dialect)} AS slot, channel, COALESCE(queue, '') AS queue, "
            "COALESCE(category_id, 0) AS category_id, COALESCE(business_line_id, 0) AS business_line_id, "
            "COALESCE(agent_id, 0) AS agent_id, outcome, answered_at, satisfaction, talk_seconds, hold_seconds, "
            f"wrap_seconds, {_epoch_us(dialect, 'offered_at')} AS o_at, {_epoch_us(dialect, 'answered_at')} AS a_at, "
            f"{_epoch_us(dialect, 'ended_at')} AS e_at FROM contacts WHERE {where}")
    secs = ", ".join(f"{v} AS {k}" for k, v in us.items())
    secs += ", " + ", ".join(f"{_rounded(f'({v})')} AS {k[:-3]}_s" for k, v in us.items())
    dims = "slot, channel, queue, category_id, business_line_id, agent_id"
    sums = ", ".join(f"sum({k}) AS {k}" for k in MEASURES)
    # each step materialized: flattened, every use of a microsecond difference would compute it again
    source = (f"WITH r AS MATERIALIZED ({rows}), e AS MATERIALIZED (SELECT *, {secs} FROM r), "
              f"g0 AS MATERIALIZED (SELECT {dims}, "
              + ", ".join(f"sum({v}) AS {k}" for k, v in measures.items()) + f" FROM e GROUP BY {dims}) "
              f"SELECT * FROM (SELECT {GRAIN_AGENT} AS grain, {dims}, {', '.join(MEASURES)} FROM g0 UNION ALL "
              f"SELECT {GRAIN_CATEGORY}, slot, channel, queue, category_id, business_line_id, 0, {sums} FROM g0 "
              "GROUP BY slot, channel, queue, category_id, business_line_id UNION ALL "
              f"SELECT {GRAIN_CHANNEL}, slot, channel, '', 0, 0, 0, {sums} FROM g0 GROUP BY slot, channel) AS u "
              "WHERE true ORDER BY 1, 2, 3, 4, 5, 6, 7")
    sql = _UPSERT.format(source=source)
    return sql if dialect == "sqlite" else sql.replace("%", "%%").replace("%%s", "%s")


def add_new(session: Session, batch: events.NewContacts, th: Thresholds) -> None:
    """Add the contacts of a batch just stored to the rollups: one statement over their rows, no Python per
    contact."""
    dialect = session.get_bind().dialect.name
    where, params = batch.where(dialect)
    session.connection().exec_driver_sql(_new_sql(dialect, where, th), params)


# -- listeners -----------------------------------------------------------------
@events.on_new
def _new_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    add_new(session, events.NewContacts.of(facts), thresholds())


@events.on_changed
def _changed_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    slices = {(interval_of(f.offered_at), f.channel) for f in facts}
    reaggregate(session, slices)


def reaggregate(session: Session, slices: set[tuple[datetime, str]]) -> None:
    """Recompute the rollups of these (interval start, channel) slices from the raw contacts."""
    if not slices:
        return
    session.execute(delete(ROLLUPS).where(or_(*(and_(ROLLUPS.c.interval_start == start, ROLLUPS.c.channel == ch)
                                                 for start, ch in slices))))
    cond = or_(*(and_(Contact.offered_at >= start, Contact.offered_at < start + INTERVAL, Contact.channel == ch)
                 for start, ch in slices))
    _add(session, _sums(_facts(session, cond), thresholds()))


# -- from raw rows ---------------------------------------------------------------
_FACT_SELECT = [getattr(Contact, c) for c in FACT_COLUMNS]


def _facts(session: Session, cond) -> Iterator[ContactFact]:
    for row in session.execute(select(*_FACT_SELECT).where(cond).execution_options(yield_per=5000)):
        yield ContactFact(*row)


def raw_contacts(session: Session, start: datetime, end: datetime) -> Iterator[ContactFact]:
    """The contacts offered in [start, end), as facts."""
    return _facts(session, and_(Contact.offered_at >= start, Contact.offered_at < end))


def rebuild(session: Session, start: datetime | None = None, end: datetime | None = None, *,
            progress=None) -> int:
    """Recompute the rollups of [start, end) (default: every contact) from the raw rows, a day at a time;
    the number of contacts read. ``progress(days_done, days_total)`` is told after each day."""
    bounds = session.execute(select(Contact.offered_at).order_by(Contact.offered_at).limit(1)).scalar()
    last = session.execute(select(Contact.offered_at).order_by(Contact.offered_at.desc()).limit(1)).scalar()
    start = interval_of(start or bounds or datetime.now(UTC))
    end = end or (last + INTERVAL if last else start)
    session.execute(delete(ROLLUPS).where(ROLLUPS.c.interval_start >= start, ROLLUPS.c.interval_start < end))
    th, read, day = thresholds(), 0, start
    days = max(1, -(-(end - start) // timedelta(days=1)))
    for done in range(1, days + 1):
        stop = min(end, day + timedelta(days=1))
        facts = list(raw_contacts(session, day, stop))
        _add(session, _sums(facts, th))
        read += len(facts)
        day = stop
        if progress:
            progress(done, days)
    return read
