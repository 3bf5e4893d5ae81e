"""Keeping the KPI rollups in step with the contacts, and rebuilding them from raw rows.

New contacts (``kefu.contacts.events.on_new``, a bulk batch or ORM objects) are added as deltas: their
tallies summed per key in Python (plain tuples), then one upsert ``… ON CONFLICT DO UPDATE SET x = x +
excluded.x`` for the whole batch through the driver (executemany on SQLite, COPY + INSERT … SELECT on
PostgreSQL), whatever its size. A changed contact (answered, ended, rated, assigned: ``on_changed``)
may move from one key to another, and the listener is told only its new state, so the (interval, channel)
slices it lies in are re-aggregated from the raw rows instead: their rollup rows deleted and recomputed,
inside the same transaction. A contact's ``offered_at`` and channel never change after it is stored.

The daily grains (a day of the center's time zone) are sums of the 30-minute ones (``daily``): new contacts add
both; a re-aggregated slice adds to its day the difference between its new and its old 30-minute rows, so a
day is never recomputed from raw rows. A 30-minute interval lies in one local day in whole- and half-hour
zones; after changing ``KEFU_TIMEZONE`` run ``kefu report rebuild`` (the days are cut where they were).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, delete, or_, select, tuple_
from sqlalchemy.orm import Session

from kefu.contacts import events
from kefu.contacts.events import FACT_COLUMNS, ContactFact
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.reports.kpis import MEASURES, Tally, Thresholds, measures_of
from kefu.reports.models import (
    GRAIN_AGENT,
    GRAIN_AGENT_CHANNEL,
    GRAIN_CATEGORY,
    GRAIN_CHANNEL,
    GRAIN_DAY_AGENT,
    GRAIN_DAY_CATEGORY,
    GRAIN_DAY_CHANNEL,
    INTERVAL_GRAINS,
    KEY_COLUMNS,
    KpiRollup,
)

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


def day_of(start: datetime) -> datetime:
    """The center's midnight (as UTC) starting the local day that holds ``start``: a daily grain's key."""
    tz = get_settings().tz
    return datetime.combine(start.astimezone(tz).date(), time(), tz).astimezone(UTC)


def aggregate(contacts: Iterable, th: Thresholds) -> dict[Key, Tally]:
    """Tallies per rollup key, every grain (30-minute and daily), of the given contacts."""
    return {key: Tally(*sums) for key, sums in _all_sums(contacts, th).items()}


def _all_sums(contacts: Iterable, th: Thresholds) -> dict[Key, list[int]]:
    sums = _sums(contacts, th)
    sums.update(daily(sums))
    return sums


_DAILY = {GRAIN_AGENT: GRAIN_DAY_AGENT, GRAIN_CATEGORY: GRAIN_DAY_CATEGORY, GRAIN_CHANNEL: GRAIN_DAY_CHANNEL}


def daily(sums: dict[Key, list[int]], *, sign: int = 1, into: dict | None = None) -> dict[Key, list[int]]:
    """The daily-grain sums of 30-minute sums (times ``sign``, added to ``into`` when given): grain 0 to the day
    × agent, grain 1 to the day × channel × queue × category × line, grain 2 to the day × channel."""
    out: dict[Key, list[int]] = {} if into is None else into
    days: dict[datetime, datetime] = {}
    for (grain, start, channel, queue, cat, line, agent), m in sums.items():
        g = _DAILY.get(grain)
        if g is None:
            continue
        day = days.get(start)
        if day is None:
            day = days[start] = day_of(start)
        key = (g, day, "", "", 0, 0, agent) if g == GRAIN_DAY_AGENT else (g, day, channel, queue, cat, line, 0)
        got = out.get(key)
        if got is None:
            out[key] = [sign * v for v in m]
        else:
            for i, v in enumerate(m):
                if v:
                    got[i] += sign * v
    return out


def _sums(contacts: Iterable, th: Thresholds) -> dict[Key, list[int]]:
    """The 30-minute grains."""
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
                    (GRAIN_CHANNEL, start, c.channel, "", 0, 0, 0),
                    (GRAIN_AGENT_CHANNEL, start, c.channel, "", 0, 0, c.agent_id or 0)):
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


# -- listeners -----------------------------------------------------------------
@events.on_new
def _new_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    _add(session, _all_sums(facts, thresholds()))


@events.on_changed
def _changed_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    slices = {(interval_of(f.offered_at), f.channel) for f in facts}
    reaggregate(session, slices)


def reaggregate(session: Session, slices: set[tuple[datetime, str]]) -> None:
    """Recompute the 30-minute rollups of these (interval start, channel) slices from the raw contacts, and move
    their days by the difference."""
    if not slices:
        return
    in_slices = and_(ROLLUPS.c.grain.in_(INTERVAL_GRAINS),
                     or_(*(and_(ROLLUPS.c.interval_start == start, ROLLUPS.c.channel == ch) for start, ch in slices)))
    old = {tuple(row[:len(KEY_COLUMNS)]): list(row[len(KEY_COLUMNS):])
           for row in session.execute(select(*(ROLLUPS.c[c] for c in _COLUMNS)).where(in_slices))}
    session.execute(delete(ROLLUPS).where(in_slices))
    cond = or_(*(and_(Contact.offered_at >= start, Contact.offered_at < start + INTERVAL, Contact.channel == ch)
                 for start, ch in slices))
    new = _sums(_facts(session, cond), thresholds())
    delta = daily(old, sign=-1, into=daily(new))
    _add(session, new | {k: m for k, m in delta.items() if any(m)})
    emptied = {k[:2] for k, m in delta.items() if m[0] < 0}  # a day key that lost contacts may now hold none
    if emptied:
        session.execute(delete(ROLLUPS).where(tuple_(ROLLUPS.c.grain, ROLLUPS.c.interval_start).in_(emptied),
                                              ROLLUPS.c.contacts == 0))


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
    """Recompute the rollups of [start, end) (default: every contact), widened to whole days of the center's
    time zone, from the raw rows, a day at a time; the number of contacts read. ``progress(days_done,
    days_total)`` is told after each day."""
    bounds = session.execute(select(Contact.offered_at).order_by(Contact.offered_at).limit(1)).scalar()
    last = session.execute(select(Contact.offered_at).order_by(Contact.offered_at.desc()).limit(1)).scalar()
    start = day_of(start or bounds or datetime.now(UTC))
    end = end or (last + INTERVAL if last else start)
    if day_of(end) < end:
        end = _next_day(end)
    session.execute(delete(ROLLUPS).where(ROLLUPS.c.interval_start >= start, ROLLUPS.c.interval_start < end))
    th, read, day, days = thresholds(), 0, start, []
    while day < end:
        days.append(day)
        day = _next_day(day)
    for done, day in enumerate(days, 1):
        facts = list(raw_contacts(session, day, _next_day(day)))
        _add(session, _all_sums(facts, th))
        read += len(facts)
        if progress:
            progress(done, len(days))
    return read


def _next_day(at: datetime) -> datetime:
    """The center's next midnight after ``at`` (a local day may be 23 or 25 hours long)."""
    tz = get_settings().tz
    return datetime.combine(at.astimezone(tz).date() + timedelta(days=1), time(), tz).astimezone(UTC)
