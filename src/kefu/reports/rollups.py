"""Keeping the KPI rollups in step with the contacts, and rebuilding them from raw rows.

New contacts (``kefu.contacts.events.on_new``, a bulk batch or ORM objects) are added as deltas by one
statement over their stored rows (``add_new``: ``measures_of`` written in SQL, summed per key, ``INSERT … SELECT
… GROUP BY … ON CONFLICT DO UPDATE SET x = x + excluded.x``), whatever the batch's size: no Python per
contact. ``aggregate`` (Python) stays the definition the raw computation and ``rebuild`` use; the property
test in ``tests/reports/test_rollups.py`` holds the two equal. A changed contact (answered, ended, rated,
assigned: ``on_changed``) may move from one key to another, and the listener is told only its new state, so the
(interval, channel) slices it lies in are re-aggregated from the raw rows instead: their rollup rows deleted and
recomputed, inside the same transaction. A contact's ``offered_at`` and channel never change after it is stored.

The daily grains (a day of the center's time zone) are sums of the 30-minute ones (``daily``): new contacts add
both (in the same statement); a re-aggregated slice adds to its day the difference between its new and its old
30-minute rows, so a day is never recomputed from raw rows. A 30-minute interval lies in one local day in
whole- and half-hour zones; after changing ``KEFU_TIMEZONE`` run ``kefu report rebuild`` (the days are cut
where they were).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import and_, delete, event, or_, select, text, tuple_
from sqlalchemy.orm import Session

from kefu.contacts import events
from kefu.contacts.events import FACT_COLUMNS, ContactFact
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.reports.kpis import MEASURES, Tally, Thresholds, measures_of
from kefu.reports.models import (
    DAY_GRAINS,
    GRAIN_AGENT,
    GRAIN_AGENT_CHANNEL,
    GRAIN_CATEGORY,
    GRAIN_CHANNEL,
    GRAIN_DAY_AGENT,
    GRAIN_DAY_CATEGORY,
    GRAIN_DAY_CHANNEL,
    GRAINS,
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


def daily(sums: dict[Key, list[int]]) -> dict[Key, list[int]]:
    """The daily-grain sums of 30-minute sums: grain 0 to the day × agent, grain 1 to the day × channel × queue ×
    category × line, grain 2 to the day × channel."""
    out: dict[Key, list[int]] = {}
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
            out[key] = list(m)
        else:
            for i, v in enumerate(m):
                if v:
                    got[i] += v
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


def _new_sql(dialect: str, where: str, th: Thresholds, days: str) -> str:
    """One statement adding the contacts ``where`` selects to the rollups of every grain: ``measures_of`` per
    row, summed per key, upserted (``tests/reports/test_rollups.py`` holds it equal to the Python
    definition over the raw rows). ``days`` is the SQL ``VALUES`` list of (interval start, its local day) for the
    batch's intervals (``_days_sql``): a day of the center's time zone is computed in Python, not in SQL.

    Each row's facts are worked out once (``e``: its seconds, and whether it is offered, a short abandon,
    answered), each measure is then one filtered count or sum per key (``g0``, the finest grain), and every coarser
    grain is summed from the nearest finer one's few rows (``g1`` from ``g0``, ``g2`` from ``g1``, the days from
    those), not from the contacts again: measured at less than half the CPU of one ``CASE`` per measure and row
    and every grain summed from ``g0``."""
    us = {"ended_us": "e_at - o_at", "wait_us": "a_at - o_at", "span_us": "e_at - a_at"}  # NULL if a time is
    rows = (f"SELECT {_interval_sql(dialect)} AS slot, channel, COALESCE(queue, '') AS queue, "
            "COALESCE(category_id, 0) AS category_id, COALESCE(business_line_id, 0) AS business_line_id, "
            "COALESCE(agent_id, 0) AS agent_id, outcome, channel IN ('phone', 'chat') AND outcome <> 'deflected' "
            "AS queued, outcome = 'answered' AND answered_at IS NOT NULL AS took, satisfaction, talk_seconds, "
            f"hold_seconds, wrap_seconds, {_epoch_us(dialect, 'offered_at')} AS o_at, "
            f"{_epoch_us(dialect, 'answered_at')} AS a_at, {_epoch_us(dialect, 'ended_at')} AS e_at "
            f"FROM contacts WHERE {where}")
    secs = ", ".join(f"{_rounded(f'({v})')} AS {k[:-3]}_s" for k, v in us.items())
    # per row: offered to a queue and not a short abandon (ok), a short abandon (sh), answered (ans)
    short = f"(outcome = 'abandoned' AND e_at IS NOT NULL AND ended_s < {int(th.short_abandon_seconds)})"
    flags = (f"SELECT slot, channel, queue, category_id, business_line_id, agent_id, outcome, satisfaction, "
             f"wait_s, span_s, talk_seconds, hold_seconds, wrap_seconds, queued AND NOT {short} AS ok, "
             f"queued AND {short} AS sh, took AS ans FROM (SELECT *, {secs} FROM r) AS s")
    talk = ("COALESCE(talk_seconds, CASE WHEN span_s IS NULL THEN 0 WHEN span_s - COALESCE(hold_seconds, 0) > 0 "
            "THEN span_s - COALESCE(hold_seconds, 0) ELSE 0 END)")
    handle = f"{talk} + COALESCE(hold_seconds, 0) + COALESCE(wrap_seconds, 0)"
    # PostgreSQL: every sum and count kept an integer, as the rollups store it. A count is a bigint there and the
    # sum of bigints a numeric, slow to add up again at each coarser grain, and wide: the rows to sort outgrew
    # work_mem and were sorted on disk
    def as_int(sql: str) -> str:
        return sql if dialect == "sqlite" else f"CAST({sql} AS integer)"

    def n(where: str) -> str:
        return as_int(f"count(*) FILTER (WHERE {where})")

    def total(expr: str, where: str | None = None) -> str:
        got = f"sum({expr})" + (f" FILTER (WHERE {where})" if where else "")
        return as_int(f"COALESCE({got}, 0)" if where else got)

    sl = int(th.service_level_seconds)
    measures = {
        "contacts": as_int("count(*)"),
        "offered": n("ok"),
        "answered": n("ok AND ans"),
        "abandoned": n("ok AND NOT ans AND outcome = 'abandoned'"),
        "short_abandoned": n("sh"),
        "answered_in_sl": n(f"ok AND ans AND wait_s <= {sl}"),
        "wait_seconds": total("wait_s", "ok AND ans"),
        "handle_seconds": total(handle, "ok AND ans"),
        "rated": n("satisfaction IN (1, 2, 3, 4, 5)"),
        **{f"r{k}": n(f"satisfaction = {k}") for k in range(1, 6)},
    }
    assert tuple(measures) == MEASURES
    dims = "slot, channel, queue, category_id, business_line_id, agent_id"
    sums = ", ".join(f"{total(k)} AS {k}" for k in MEASURES)
    m = ", ".join(MEASURES)

    def coarser(name: str, keys: str, source: str) -> str:
        return f"{name} AS MATERIALIZED (SELECT {keys}, {sums} FROM {source} GROUP BY {keys})"

    # each step materialized: flattened, every use of a row's seconds or flags would compute them again
    source = (f"WITH d (slot, day) AS (VALUES {days}), r AS MATERIALIZED ({rows}), f AS MATERIALIZED ({flags}), "
              f"g0 AS MATERIALIZED (SELECT {dims}, " + ", ".join(f"{v} AS {k}" for k, v in measures.items())
              + f" FROM f GROUP BY {dims}), "
              + coarser("g1", "slot, channel, queue, category_id, business_line_id", "g0") + ", "
              + coarser("g6", "slot, channel, agent_id", "g0") + ", "
              + coarser("g2", "slot, channel", "g1") + " "
              f"SELECT * FROM (SELECT {GRAIN_AGENT} AS grain, {dims}, {m} FROM g0 UNION ALL "
              f"SELECT {GRAIN_CATEGORY}, slot, channel, queue, category_id, business_line_id, 0, {m} FROM g1 UNION ALL "
              f"SELECT {GRAIN_CHANNEL}, slot, channel, '', 0, 0, 0, {m} FROM g2 UNION ALL "
              f"SELECT {GRAIN_AGENT_CHANNEL}, slot, channel, '', 0, 0, agent_id, {m} FROM g6 UNION ALL "
              f"SELECT {GRAIN_DAY_CHANNEL}, d.day, channel, '', 0, 0, 0, {sums} FROM g2 JOIN d ON d.slot = g2.slot "
              "GROUP BY d.day, channel UNION ALL "
              f"SELECT {GRAIN_DAY_CATEGORY}, d.day, channel, queue, category_id, business_line_id, 0, {sums} FROM g1 "
              "JOIN d ON d.slot = g1.slot GROUP BY d.day, channel, queue, category_id, business_line_id UNION ALL "
              f"SELECT {GRAIN_DAY_AGENT}, d.day, '', '', 0, 0, agent_id, {sums} FROM g6 JOIN d ON d.slot = g6.slot "
              "GROUP BY d.day, agent_id) AS u "
              # PostgreSQL: rows in key order, so two writers take their row locks in one order and never deadlock
              # (SQLite has one writer at a time: sorting 20,000 rows would be CPU for nothing)
              + ("WHERE true" if dialect == "sqlite" else "WHERE true ORDER BY 1, 2, 3, 4, 5, 6, 7"))
    sql = _UPSERT.format(source=source)
    return sql if dialect == "sqlite" else sql.replace("%", "%%").replace("%%s", "%s")


def add_new(session: Session, batch: events.NewContacts, th: Thresholds) -> None:
    """Add the contacts of a batch just stored to the rollups: one statement over their rows, no Python per
    contact."""
    dialect = session.get_bind().dialect.name
    where, params = batch.where(dialect)
    conn = session.connection()
    slots = [row[0] for row in conn.exec_driver_sql(
        f"SELECT DISTINCT {_interval_sql(dialect)} FROM contacts WHERE {where}", params)]
    if slots:
        conn.exec_driver_sql(_new_sql(dialect, where, th, _days_sql(dialect, slots)), params)


def _days_sql(dialect: str, slots: list) -> str:
    """``(interval start, local day)`` pairs as SQL literals (made here from datetimes, never from input)."""
    if dialect == "sqlite":
        pairs = ((s, _sqlite_time(day_of(datetime.fromisoformat(s).replace(tzinfo=UTC)))) for s in slots)
        return ", ".join(f"('{s}', '{d}')" for s, d in pairs)
    return ", ".join(f"(timestamptz '{s.astimezone(UTC).isoformat()}', timestamptz '{day_of(s).isoformat()}')"
                     for s in slots)


# -- listeners -----------------------------------------------------------------
# What a unit of work's contacts owe the rollups is noted as they are stored or change, and applied once, just
# before the unit commits (``apply_pending``). Every chat start, assignment, end and rating changes a contact, and
# a busy interval's chat contacts all fall in the same rollup rows: written at once, each chat's transaction held
# those rows' locks for the rest of its work, chats queued behind one another, and two that had written in
# different orders deadlocked (PostgreSQL). Applied last, under one transaction-scoped advisory lock taken before
# any rollup row, the rows are held only for the few milliseconds to the commit, and every writer takes them in
# the same order. On SQLite a group of chat writes (``kefu.chat.hub.GroupWriter``) applies its units' changes in
# one go.
PENDING = "kefu.reports.rollups.pending"
LOCK_SPACE = 0x6B6567  # 'keg': the advisory lock (PostgreSQL) every rollup writer takes before its first row


def _pending(session: Session) -> tuple[list[events.NewContacts], dict[tuple[datetime, str], set[int]],
                                        list[ContactFact]]:
    """(new batches, slices to recompute with the changed contacts in them, changed contacts whose state before
    is known)."""
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = ([], {}, [])
    return found


@events.on_new
def _new_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    _pending(session)[0].append(events.NewContacts.of(facts))


@events.on_changed
def _changed_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    _, slices, moved = _pending(session)
    for f in facts:
        if f.before is not None:
            moved.append(f)  # its counts move from the old keys to the new: no recount
        else:
            slices.setdefault((interval_of(f.offered_at), f.channel), set()).add(f.id)


def apply_pending(session: Session) -> None:
    """Add the unit's new contacts (``add_new``, their state as the unit leaves them), move the counts of the
    contacts it changed from their old keys to their new ones (a delta per key: the old state's measures out, the
    new state's in), then recompute from the raw rows the slices of changed contacts whose old state was not known
    (``reaggregate``). A contact both new and changed here is counted once, by ``add_new``."""
    pending = session.info.pop(PENDING, None)
    if not pending or not any(pending):
        return
    batches, slices, moved = pending
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:space, 0)"), {"space": LOCK_SPACE})
    th = thresholds()
    for batch in batches:
        add_new(session, batch, th)
    if batches and (moved or slices):  # a contact new in this unit is counted as the unit leaves it, by add_new
        new_ids = {i for batch in batches for i in batch.ids}
        moved = [f for f in moved if f.id not in new_ids]
        slices = {s: ids for s, ids in slices.items() if not ids <= new_ids}
    if moved:
        delta = _all_sums(moved, th)
        for key, m in _all_sums([f.before for f in moved], th).items():
            got = delta.setdefault(key, [0] * len(m))
            for i, v in enumerate(m):
                got[i] -= v
        _add(session, {k: m for k, m in delta.items() if any(m)})
        touched = {k[:2] for k in delta}  # a key all of whose contacts moved away holds none now
        session.execute(delete(ROLLUPS).where(tuple_(ROLLUPS.c.grain, ROLLUPS.c.interval_start).in_(touched),
                                              ROLLUPS.c.contacts == 0))
    reaggregate(session, set(slices))


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this hook: its contacts' changes are noted first
    if session.info.get(PENDING):
        apply_pending(session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)


def reaggregate(session: Session, slices: set[tuple[datetime, str]]) -> None:
    """Recompute the 30-minute rollups of these (interval start, channel) slices from the raw contacts, and move
    their days by the difference — in three statements, no Python per contact or rollup row: a chat assigned,
    ended or rated changes its contact in the chat's own transaction (on SQLite the one writer every chat
    message waits for), and its slice may hold thousands of contacts at a busy hour.

    1. the slices' 30-minute rows are taken out of their days (their sums subtracted from the day rows);
    2. those rows are deleted;
    3. the slices' contacts are added to every grain by the statement new contacts go through (``_new_sql``);
    then day rows left with no contacts are deleted."""
    if not slices:
        return
    dialect = session.get_bind().dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    ordered = sorted(slices)
    starts = [_sqlite_time(start) if dialect == "sqlite" else start for start, _ in ordered]
    days_sql = _days_sql(dialect, sorted(set(starts)))  # one row per interval: a join must not count it twice
    th = thresholds()
    conn = session.connection()

    on_rollups = " OR ".join(f"(r.interval_start = {mark} AND r.channel = {mark})" for _ in ordered)
    rollup_params = tuple(v for start, (_, ch) in zip(starts, ordered, strict=True) for v in (start, ch))
    neg = ", ".join((f"-sum(r.{m})" if dialect == "sqlite" else f"CAST(-sum(r.{m}) AS integer)") for m in MEASURES)
    parts = ((GRAIN_DAY_CHANNEL, GRAIN_CHANNEL, "d.day, r.channel, '', 0, 0, 0", "d.day, r.channel"),
             (GRAIN_DAY_CATEGORY, GRAIN_CATEGORY, "d.day, r.channel, r.queue, r.category_id, r.business_line_id, 0",
              "d.day, r.channel, r.queue, r.category_id, r.business_line_id"),
             (GRAIN_DAY_AGENT, GRAIN_AGENT_CHANNEL, "d.day, '', '', 0, 0, r.agent_id", "d.day, r.agent_id"))
    out_of_days = " UNION ALL ".join(
        f"SELECT {day_grain}, {keys}, {neg} FROM kpi_rollups AS r JOIN d ON d.slot = r.interval_start "
        f"WHERE r.grain = {grain} AND ({on_rollups}) GROUP BY {group}" for day_grain, grain, keys, group in parts)
    order = "" if dialect == "sqlite" else " ORDER BY 1, 2, 3, 4, 5, 6, 7"  # PostgreSQL: row locks in one order
    conn.exec_driver_sql(_UPSERT.format(
        source=f"WITH d (slot, day) AS (VALUES {days_sql}) SELECT * FROM ({out_of_days}) AS u WHERE true{order}"),
        rollup_params * len(parts))

    in_slices = and_(ROLLUPS.c.grain.in_(INTERVAL_GRAINS),
                     or_(*(and_(ROLLUPS.c.interval_start == start, ROLLUPS.c.channel == ch) for start, ch in slices)))
    session.execute(delete(ROLLUPS).where(in_slices))

    on_contacts = " OR ".join(f"(offered_at >= {mark} AND offered_at < {mark} AND channel = {mark})" for _ in ordered)
    contact_params = tuple(v for (start, ch), at in zip(ordered, starts, strict=True)
                           for v in (at, _sqlite_time(start + INTERVAL) if dialect == "sqlite" else start + INTERVAL,
                                     ch))
    conn.exec_driver_sql(_new_sql(dialect, f"({on_contacts})", th, days_sql), contact_params)

    days = {day_of(start) for start, _ in slices}  # a day that lost contacts may now hold none
    session.execute(delete(ROLLUPS).where(ROLLUPS.c.grain.in_(DAY_GRAINS), ROLLUPS.c.interval_start.in_(days),
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
    session.execute(delete(ROLLUPS).where(ROLLUPS.c.grain.in_(GRAINS), ROLLUPS.c.interval_start >= start,
                                          ROLLUPS.c.interval_start < end))  # every grain: the key serves it
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
