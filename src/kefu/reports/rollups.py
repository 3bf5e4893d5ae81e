"""Keeping the KPI rollups in step with the contacts, and rebuilding them from raw rows.

New contacts (``kefu.contacts.events.on_new``, a bulk batch or ORM objects) are added as deltas: their
tallies summed per key in Python, then one multi-row upsert ``… ON CONFLICT DO UPDATE SET x = x + excluded.x``
for the whole batch, whatever its size. A changed contact (answered, ended, rated, assigned: ``on_changed``)
may move from one key to another, and the listener is told only its new state, so the (interval, channel)
slices it lies in are re-aggregated from the raw rows instead: their rollup rows deleted and recomputed,
inside the same transaction. A contact's ``offered_at`` and channel never change after it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.contacts import events
from kefu.contacts.events import FACT_COLUMNS, ContactFact
from kefu.contacts.models import Contact
from kefu.core.settings import get_settings
from kefu.reports.kpis import MEASURES, Tally, Thresholds, tally_of
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


def keys_of(c) -> tuple[Key, Key, Key]:
    start = interval_of(c.offered_at)
    full = (GRAIN_AGENT, start, c.channel, c.queue or "", c.category_id or 0, c.business_line_id or 0,
            c.agent_id or 0)
    return full, (GRAIN_CATEGORY, *full[1:6], 0), (GRAIN_CHANNEL, start, c.channel, "", 0, 0, 0)


def aggregate(contacts: Iterable, th: Thresholds) -> dict[Key, Tally]:
    """Tallies per rollup key, every grain, of the given contacts."""
    out: dict[Key, Tally] = {}
    for c in contacts:
        t = tally_of(c, th)
        for key in keys_of(c):
            got = out.get(key)
            if got is None:
                out[key] = Tally().add(t)
            else:
                got.add(t)
    return out


def _rows(tallies: dict[Key, Tally]) -> list[dict]:
    return [dict(zip(KEY_COLUMNS, key, strict=True)) | t.as_dict() for key, t in tallies.items()]


def add(session: Session, tallies: dict[Key, Tally]) -> None:
    """Add tallies to the stored rollups: one upsert for all keys."""
    if not tallies:
        return
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(ROLLUPS)
    stmt = stmt.on_conflict_do_update(index_elements=list(KEY_COLUMNS),
                                      set_={m: ROLLUPS.c[m] + stmt.excluded[m] for m in MEASURES})
    session.execute(stmt, _rows(tallies))


# -- listeners -----------------------------------------------------------------
@events.on_new
def _new_contacts(session: Session, facts: Sequence[ContactFact]) -> None:
    add(session, aggregate(facts, thresholds()))


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
    add(session, aggregate(_facts(session, cond), thresholds()))


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
        add(session, aggregate(facts, th))
        read += len(facts)
        day = stop
        if progress:
            progress(done, days)
    return read
