"""The shared counts: contacts per category per bucket, as rows every server process adds to and reads.

A batch of new contacts adds to its (grain, category, bucket) rows with one upsert (rows in key order, so
two writers take their row locks in the same order and never deadlock); windows are read back as the rows of
their range. ``rebuild`` recomputes the rows from the stored contacts (after a restart with a new rule
resolution, or by ``kefu alerts rebuild``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kefu.alerts.models import AlertCount
from kefu.alerts.rules import RuleSet
from kefu.contacts.events import NewContacts
from kefu.contacts.models import Contact
from kefu.core.db import advisory_xact_locks


def grains_of(rules: RuleSet) -> set[int]:
    return {r.resolution for r in rules.of_kind("ladder")}


def horizon_of(rules: RuleSet) -> int:
    return max((r.horizon for r in rules.of_kind("ladder")), default=0)


LOCK_SPACE = 0x6B6566  # 'kef': the first key of the advisory locks alerts take per category


def lock_categories(session: Session, category_ids: Iterable[int]) -> None:
    """PostgreSQL: take each category's transaction-scoped advisory lock, in id order. Two writers adding to one
    category then evaluate one after the other, the later one reading the earlier one's committed counts (rows of
    different minutes alone would not make them wait, and each could miss the other's contacts). SQLite has
    one writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        advisory_xact_locks(session, LOCK_SPACE, category_ids)


def add(session: Session, pairs: Iterable[tuple[int, float]], grains: Iterable[int]) -> None:
    """Add ``(category_id, epoch seconds)`` contacts to the rows of each grain: one ``executemany`` through the
    driver (a 10,000-contact batch is some thousands of rows; SQLAlchemy's parameter handling would cost more
    than the statement)."""
    pairs = list(pairs)
    counter: Counter[tuple[int, int, int]] = Counter()
    for grain in grains:
        counter.update((grain, category_id, int(ts // grain)) for category_id, ts in pairs)
    if not counter:
        return
    rows = [(g, c, b, n) for (g, c, b), n in sorted(counter.items())]
    mark = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    session.connection().exec_driver_sql(
        f"INSERT INTO alert_counts (grain, category_id, bucket, n) VALUES ({mark}, {mark}, {mark}, {mark}) "
        "ON CONFLICT (grain, category_id, bucket) DO UPDATE SET n = alert_counts.n + excluded.n", rows)


def _bucket_sql(dialect: str, grain: int) -> str:
    """``int(offered_at.timestamp() // grain)`` in SQL (SQLite stores naive UTC text)."""
    if dialect == "sqlite":
        # the text's whole seconds: strftime would round a fraction of 59.9995 or more up to the next second
        return f"CAST(strftime('%s', substr(c.offered_at, 1, 19)) AS INTEGER) / {int(grain)}"
    return f"CAST(floor(extract(epoch FROM c.offered_at) / {int(grain)}) AS bigint)"


def add_new(session: Session, batch: NewContacts, grains: Iterable[int]) -> None:
    """Add a batch of contacts just stored to the rows of each grain: one ``INSERT … SELECT … GROUP BY`` over
    their rows (in key order, as ``add``), no Python per contact."""
    grains = sorted(set(grains))
    if not grains:
        return
    dialect = session.get_bind().dialect.name
    where, params = batch.where(dialect, "c.id")
    per_grain = " UNION ALL ".join(
        f"SELECT {int(g)} AS grain, c.category_id AS category_id, {_bucket_sql(dialect, g)} AS bucket "
        f"FROM contacts AS c WHERE {where} AND c.category_id IS NOT NULL" for g in grains)
    sql = ("INSERT INTO alert_counts (grain, category_id, bucket, n) SELECT grain, category_id, bucket, count(*) "
           f"FROM ({per_grain}) AS b WHERE true GROUP BY grain, category_id, bucket "
           "ORDER BY grain, category_id, bucket "
           "ON CONFLICT (grain, category_id, bucket) DO UPDATE SET n = alert_counts.n + excluded.n")
    session.connection().exec_driver_sql(sql, params * len(grains))


def read(session: Session, *, grain: int, category_ids: Sequence[int], first: int,
         last: int | None = None) -> dict[int, dict]:
    """``{category_id: {bucket: n}}`` for buckets ``first..last`` (no end: to the newest)."""
    out: dict[int, dict[int, int]] = {c: {} for c in category_ids}
    rows = session.execute(select(AlertCount.category_id, AlertCount.bucket, AlertCount.n).where(
        AlertCount.grain == grain, AlertCount.category_id.in_(list(category_ids)),
        AlertCount.bucket >= first, AlertCount.bucket <= (last if last is not None else 2**62)))
    for category_id, bucket, n in rows:
        out[category_id][bucket] = n
    return out


def window(buckets: dict[int, int], *, end: int, span: int) -> int:
    """Contacts in the ``span`` buckets ending with bucket ``end``."""
    return sum(n for b, n in buckets.items() if end - span < b <= end)


def prune(session: Session, *, rules: RuleSet, now: datetime) -> int:
    """Drop rows older than any rule looks back."""
    horizon = horizon_of(rules)
    dropped = 0
    for grain in grains_of(rules):
        oldest = int((now.timestamp() - horizon) // grain) - 1
        dropped += session.execute(delete(AlertCount).where(AlertCount.grain == grain, AlertCount.bucket < oldest)
                                   .execution_options(synchronize_session=False)).rowcount
    return dropped


def rebuild(session: Session, *, rules: RuleSet, now: datetime, grains: Iterable[int] | None = None) -> int:
    """Recompute the rows of ``grains`` (default: every grain the rules use) from the contacts stored over the
    rules' horizon; how many contacts were counted."""
    grains = sorted(set(grains) if grains is not None else grains_of(rules))
    if not grains:
        return 0
    session.execute(delete(AlertCount).where(AlertCount.grain.in_(grains)).execution_options(
        synchronize_session=False))
    since = now - timedelta(seconds=horizon_of(rules))
    counted = 0
    batch: list[tuple[int, float]] = []
    rows = session.execute(select(Contact.category_id, Contact.offered_at).where(
        Contact.offered_at >= since, Contact.category_id.is_not(None)).execution_options(yield_per=20_000))
    for category_id, offered_at in rows:
        at = offered_at if offered_at.tzinfo else offered_at.replace(tzinfo=UTC)
        batch.append((category_id, at.timestamp()))
        if len(batch) >= 20_000:
            add(session, batch, grains)
            counted += len(batch)
            batch = []
    add(session, batch, grains)
    return counted + len(batch)
