"""Keeping the KPI rollups in step with the contacts, and rebuilding them from raw rows.

New contacts (``kefu.contacts.events.on_new``, a bulk batch or ORM objects) are added as deltas: their
tallies summed per key in Python (plain tuples), then one upsert ``… ON CONFLICT DO UPDATE SET x = x +
excluded.x`` for the whole batch through the driver (executemany on SQLite, COPY + INSERT … SELECT on
PostgreSQL), whatever its size. A changed contact (answered, ended, rated, assigned: ``on_changed``)
may move from one key to another, and the listener is told only its new state, so the (interval, channel)
slices it lies in are re-aggregated from the raw rows instead: their rollup rows deleted and recomputed,
inside the same transaction. A contact's ``offered_at`` and channel never change after it is stored.
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
from kefu.reports.models import (
    GRAIN_AGENT,
    GRAIN_AGENT_CHANNEL,
    GRAIN_CATEGORY,
    GRAIN_CHANNEL,
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
    _add(session, _sums(facts, thresholds()))


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
