"""Where forecast histories come from: the ``contacts`` table or a CSV file, bucketed per queue into local
intervals of the center's time zone (历史话务量)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, cast, func, or_, select
from sqlalchemy.orm import Session

from kefu.contacts.models import Contact
from kefu.wfm.forecasting import History, from_counts

NO_QUEUE = "未分配队列"  # contacts that named no queue
BUCKET = 900  # seconds: UTC quarter-hours, fine enough for any zone offset (+05:45 included)


class SourceError(ValueError):
    """The history cannot be read; ``field`` names the input at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _bucket(dialect: str):
    if dialect == "postgresql":
        epoch = cast(func.floor(func.extract("epoch", Contact.offered_at)), BigInteger)
    else:  # stored 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds only, strftime would round 59.9999995 up
        epoch = cast(func.strftime("%s", func.substr(Contact.offered_at, 1, 19)), Integer)
    return epoch / BUCKET


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def histories_from_contacts(session: Session, *, first: date, until: date, tz: ZoneInfo,
                            queues: list[str] | None = None, channel: str | None = None,
                            slot_minutes: int = 30) -> dict[str, History]:
    """Inbound contacts offered from local day ``first`` up to (not including) local day ``until``, counted
    per queue and interval. One grouped query; queues asked for but without contacts are missing."""
    bucket = _bucket(session.get_bind().dialect.name).label("bucket")
    stmt = (select(Contact.queue, bucket, func.count())
            .where(Contact.offered_at >= local_midnight(first, tz), Contact.offered_at < local_midnight(until, tz),
                   Contact.direction == "inbound")
            .group_by(Contact.queue, bucket))
    if queues:
        wanted = [Contact.queue.in_([q for q in queues if q != NO_QUEUE])]
        if NO_QUEUE in queues:
            wanted.append(Contact.queue.is_(None))
        stmt = stmt.where(or_(*wanted))
    if channel:
        stmt = stmt.where(Contact.channel == channel)
    points: dict[str, tuple[list[datetime], list[float]]] = defaultdict(lambda: ([], []))
    for queue, b, n in session.execute(stmt):
        at = datetime.fromtimestamp(int(b) * BUCKET, UTC).astimezone(tz).replace(tzinfo=None)
        times, counts = points[queue or NO_QUEUE]
        times.append(at)
        counts.append(float(n))
    return {q: from_counts(q, t, c, slot_minutes=slot_minutes) for q, (t, c) in sorted(points.items())}


def _parse_time(text: str, tz: ZoneInfo, line: int, column: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SourceError(f"line {line}: {column} {text!r} is not an ISO date-time", field=column) from None
    return t.astimezone(tz).replace(tzinfo=None) if t.tzinfo else t


def _count(row: dict, column: str | None, line: int) -> float:
    if column is None:
        return 1.0
    try:
        count = float(row[column])
    except (TypeError, ValueError):
        raise SourceError(f"line {line}: {column} {row[column]!r} is not a number", field=column) from None
    if not 0 <= count < float("inf"):  # also NaN
        raise SourceError(f"line {line}: {column} must be a count, not {row[column]!r}", field=column)
    return count


def histories_from_csv(text: str, *, tz: ZoneInfo, time_column: str = "interval_start",
                       count_column: str | None = "count", queue_column: str = "queue",
                       slot_minutes: int = 30) -> dict[str, History]:
    """A CSV with a header: interval start (ISO; naive times are the center's local time, times with an
    offset are converted to it), count, and optionally a queue (absent: one queue named 全部). With
    ``count_column=None`` each row is one contact (a CDR export, ``kefu simulate --csv``): rows are counted."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    for column in (time_column, count_column):
        if column is not None and column not in header:
            raise SourceError(f"the CSV has no column {column!r} (columns: {', '.join(header) or 'none'})",
                              field=column)
    points: dict[str, tuple[list[datetime], list[float]]] = defaultdict(lambda: ([], []))
    for line, row in enumerate(reader, start=2):
        count = _count(row, count_column, line)
        times, counts = points[(row.get(queue_column) or "").strip() or "全部"]
        times.append(_parse_time(row[time_column] or "", tz, line, time_column))
        counts.append(count)
    if not points:
        raise SourceError("the CSV has no rows", field=time_column)
    out = {}
    for q, (t, c) in sorted(points.items()):
        try:
            out[q] = from_counts(q, t, c, slot_minutes=slot_minutes)
        except ValueError as exc:
            raise SourceError(str(exc), field=count_column or time_column) from None
    return out


def default_window(today: date, history_days: int) -> tuple[date, date]:
    """History from ``history_days`` days ago up to yesterday (today is not over)."""
    return today - timedelta(days=history_days), today
