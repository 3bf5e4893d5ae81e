"""One queue's volume history as a matrix: a row per open day, a column per interval of the day (半小时话务量).

Timestamps are local wall-clock times of the center (the caller converts from UTC). A day whose total is zero
is a closed day (a public holiday, an outage): it is left out, and the day after it is "the first day after a
closure" for the model. Weekdays that never carry volume (a center closed on Sundays) are closed weekdays: the
forecast skips them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class History:
    """Counts per (open day, interval). Columns start at ``first_slot`` minutes after midnight."""

    queue: str
    days: tuple[date, ...]
    values: np.ndarray  # shape (len(days), slots), float
    first_slot: int = 0
    slot_minutes: int = 30

    def __post_init__(self) -> None:
        if self.values.ndim != 2 or self.values.shape[0] != len(self.days):
            raise ValueError("values must have one row per day")
        if list(self.days) != sorted(set(self.days)):
            raise ValueError("days must be distinct and in order")

    @property
    def slots(self) -> int:
        return self.values.shape[1]

    @property
    def open_weekdays(self) -> frozenset[int]:
        return frozenset(d.weekday() for d in self.days)

    def head(self, n: int) -> History:
        """The first ``n`` days: what was known before day ``n``."""
        return History(self.queue, self.days[:n], self.values[:n], self.first_slot, self.slot_minutes)

    def slot_times(self) -> list[time]:
        start = datetime(2000, 1, 1) + timedelta(minutes=self.first_slot)
        return [(start + timedelta(minutes=self.slot_minutes * i)).time() for i in range(self.slots)]

    def interval_starts(self, days: Iterable[date]) -> list[datetime]:
        """The local start of every interval of ``days``, day by day: the x axis of a forecast."""
        times = self.slot_times()
        return [datetime.combine(d, t) for d in days for t in times]


def from_counts(queue: str, times: Sequence[datetime], counts: Sequence[float], *,
                slot_minutes: int = 30) -> History:
    """Bucket (local time, count) pairs into intervals of ``slot_minutes`` (finer data is summed: five-minute
    counts become half-hours). The columns span the earliest to the latest interval seen on any day."""
    if not 1 <= slot_minutes <= 1440 or 1440 % slot_minutes:
        raise ValueError(f"slot_minutes must divide a day, not {slot_minutes}")
    if len(times) != len(counts):
        raise ValueError("times and counts differ in length")
    if not len(times):
        raise ValueError(f"no volume for queue {queue}")
    c = np.asarray(counts, dtype=float)
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ValueError("counts must be finite and not negative")
    day_ord = np.array([t.toordinal() for t in times])
    slot = np.array([(t.hour * 60 + t.minute) // slot_minutes for t in times])
    lo, hi = int(slot.min()), int(slot.max())
    first = int(day_ord.min())
    offset = day_ord - first
    totals = np.bincount(offset, weights=c)
    is_open = totals > 0
    if not is_open.any():
        raise ValueError(f"no volume for queue {queue}: every count is zero")
    row_of = np.cumsum(is_open) - 1
    keep = is_open[offset]
    values = np.zeros((int(is_open.sum()), hi - lo + 1))
    np.add.at(values, (row_of[offset[keep]], slot[keep] - lo), c[keep])
    days = tuple(date.fromordinal(first + int(k)) for k in np.flatnonzero(is_open))
    return History(queue, days, values, lo * slot_minutes, slot_minutes)


def future_days(history: History, horizon_days: int, *, start: date | None = None,
                closed: Iterable[date] = ()) -> list[date]:
    """The open days among ``horizon_days`` calendar days from ``start`` (default: the day after the history):
    open weekdays only, minus days known to be ``closed``."""
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    start = start or history.days[-1] + timedelta(days=1)
    if start <= history.days[-1]:
        raise ValueError(f"the forecast must start after the history, which ends {history.days[-1]}")
    shut = set(closed)
    days = (start + timedelta(days=i) for i in range(horizon_days))
    return [d for d in days if d.weekday() in history.open_weekdays and d not in shut]
