"""The SLA clock: business-time arithmetic for ticket due times (standard library only).

A :class:`BusinessCalendar` says when the service desk works: per weekday, local working windows
given in minutes from local midnight (``(540, 1080)`` is 09:00-18:00, a whole day is ``(0, 1440)``),
plus holidays (法定节假日, no working time) and extra workdays (调休补班, worked with
``extra_workday_hours``, by default Monday's windows) in the calendar's IANA time zone.

Conventions callers can rely on:

* Every public function takes timezone-aware datetimes (any zone) and returns UTC-aware ones.
  Naive datetimes, negative or non-finite durations raise ``ValueError``.
* Durations are seconds as ``float``; the arithmetic is exact in integer microseconds (the
  resolution of ``datetime``), so minute- or second-aligned inputs round-trip exactly.
* Working time is defined per instant: an instant works when its local wall-clock time, in the
  calendar's zone, lies in a window of its local date. Local times are never converted back to
  instants, so no ``fold`` choice is ever made. On daylight-saving days this means: a local time
  that does not exist (spring forward) holds no working time, and a repeated local hour (fall back)
  is worked twice when a window covers it. A 24x7 calendar is therefore exactly wall-clock time.
* ``add_business_seconds(cal, start, 0)`` is ``start`` itself, even outside working hours. For a
  positive amount the result is the *earliest* instant reaching it, so a budget used up exactly at
  the end of a window is due at that window's end (Friday 18:00, not Monday 09:00).
* A calendar without enough working time ahead (no windows at all, or only a finite number of extra
  workdays) makes ``add_business_seconds`` / ``due_at`` raise ``ValueError`` instead of looping.
  There is no arbitrary horizon: weekly hours guarantee that any amount is eventually reached.
* ``due_at`` with a still-open pause returns ``None`` unless the target was already reached before
  that pause began; then the (past) due time is returned, so pausing never hides a breach.
* Offset changes of the zone are found by probing every 12 hours (then bisecting to the second), so
  a zone changing its offset and back within 12 hours would be missed (checked against the tzdb
  transition tables of all zones for 1970-2040: none does).
* Supported instants lie in the years 0002 through 9998.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BusinessCalendar",
    "Pause",
    "Window",
    "add_business_seconds",
    "business_seconds_between",
    "due_at",
    "elapsed",
    "working_windows",
]

Window = tuple[int, int]
Pause = tuple[datetime, datetime | None]

_US = 1_000_000  # microseconds per second
_MINUTE_US = 60 * _US
_DAY_US = 86_400 * _US
_DAY_MINUTES = 1440
_FULL_DAY: tuple[Window, ...] = ((0, _DAY_MINUTES),)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)  # a Thursday: weekday(day n) == (n + 3) % 7
_ONE_US = timedelta(microseconds=1)
_MIN_YEAR, _MAX_YEAR = 2, 9998
_PROBE_US = 12 * 3600 * _US  # how often the zone's UTC offset is sampled
_FOREVER = 2**62  # "open" end of a pause, in microseconds


# --------------------------------------------------------------------------- calendar


class _WeekHours(Mapping[int, tuple[Window, ...]]):
    """Immutable, hashable weekday -> windows mapping (all seven weekdays present)."""

    __slots__ = ("_days",)

    def __init__(self, days: Mapping[int, tuple[Window, ...]]) -> None:
        self._days = {day: days.get(day, ()) for day in range(7)} | dict(days)

    def __getitem__(self, day: int) -> tuple[Window, ...]:
        return self._days[day]

    def __iter__(self) -> Iterator[int]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)

    def __hash__(self) -> int:
        return hash(tuple(self._days.items()))

    def __repr__(self) -> str:
        return repr(self._days)


@dataclass(frozen=True, kw_only=True)
class BusinessCalendar:
    """When the clock runs. Built with keywords; validated and normalised on construction.

    ``hours`` maps weekday (0=Monday..6=Sunday) to working windows ``(start_minute, end_minute)``,
    ``0 <= start < end <= 1440``, non-overlapping (adjacent is fine); missing weekdays do not work.
    ``holidays`` and ``extra_workdays`` are local dates (``date`` or ISO strings). An extra workday
    uses ``extra_workday_hours``, or Monday's windows when that is ``None``.
    """

    timezone: str = "Asia/Shanghai"
    hours: Mapping[int, tuple[Window, ...]]
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    extra_workday_hours: tuple[Window, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.hours, Mapping):
            raise ValueError("hours must map weekday (0=Monday..6=Sunday) to windows")
        hours = {day: _as_windows(windows, f"hours[{day!r}]") for day, windows in self.hours.items()}
        extra = self.extra_workday_hours
        set_ = object.__setattr__
        set_(self, "hours", _WeekHours(hours))
        set_(self, "holidays", frozenset(_as_date(d, "holidays") for d in self.holidays))
        set_(self, "extra_workdays", frozenset(_as_date(d, "extra_workdays") for d in self.extra_workdays))
        if extra is not None:
            set_(self, "extra_workday_hours", _as_windows(extra, "extra_workday_hours"))
        self.validate()
        set_(self, "hours", _WeekHours({day: tuple(sorted(w)) for day, w in self.hours.items()}))
        if extra is not None:
            set_(self, "extra_workday_hours", tuple(sorted(self.extra_workday_hours)))

    @classmethod
    def always(cls, timezone: str = "Asia/Shanghai") -> BusinessCalendar:
        """24x7: every day is worked all day; there are no holidays."""
        return cls(timezone=timezone, hours=dict.fromkeys(range(7), _FULL_DAY))

    @classmethod
    def business_hours(
        cls,
        *,
        start: str = "09:00",
        end: str = "18:00",
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        timezone: str = "Asia/Shanghai",
        holidays: Iterable[date | str] = (),
        extra_workdays: Iterable[date | str] = (),
    ) -> BusinessCalendar:
        """One daily window ``start``-``end`` ("HH:MM", end may be "24:00") on ``weekdays``;
        extra workdays (调休) get the same window."""
        window = (_parse_hhmm(start, "start"), _parse_hhmm(end, "end"))
        return cls(
            timezone=timezone,
            hours=dict.fromkeys(weekdays, (window,)),
            holidays=frozenset(holidays),
            extra_workdays=frozenset(extra_workdays),
            extra_workday_hours=(window,),
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first problem found; return ``None`` when valid."""
        _zone(self.timezone)
        for day, windows in self.hours.items():
            if isinstance(day, bool) or day not in range(7):
                raise ValueError(f"hours: weekday must be 0 (Monday)..6 (Sunday), got {day!r}")
            _check_windows(windows, f"hours[{day}]")
        if self.extra_workday_hours is not None:
            _check_windows(self.extra_workday_hours, "extra_workday_hours")
        both = sorted(self.holidays & self.extra_workdays)
        if both:
            raise ValueError(f"{both[0].isoformat()} is both a holiday and an extra workday")
        if self.extra_workdays and self.extra_workday_hours is None and not self.hours.get(0):
            raise ValueError("extra_workdays given but no hours for them: set extra_workday_hours "
                             "(the default, Monday's windows, is empty)")

    def is_24x7(self) -> bool:
        """True when every instant is working time."""
        full = all(self.hours[day] == _FULL_DAY for day in range(7))
        return full and not self.holidays and (not self.extra_workdays or self._extra_windows() == _FULL_DAY)

    def _extra_windows(self) -> tuple[Window, ...]:
        return self.hours.get(0, ()) if self.extra_workday_hours is None else self.extra_workday_hours

    @cached_property
    def _plan(self) -> _Plan:
        return _Plan(self)


def _as_windows(windows: object, where: str) -> tuple[Window, ...]:
    try:
        return tuple(tuple(window) for window in windows)  # type: ignore[attr-defined]
    except TypeError:
        raise ValueError(f"{where}: expected a sequence of (start_minute, end_minute) pairs") from None


def _check_windows(windows: tuple[Window, ...], where: str) -> None:
    for window in windows:
        if len(window) != 2 or not all(isinstance(m, int) and not isinstance(m, bool) for m in window):
            raise ValueError(f"{where}: window {window!r} is not a pair of integer minutes")
        begin, end = window
        if not 0 <= begin < end <= _DAY_MINUTES:
            raise ValueError(f"{where}: bad window {window!r}, need 0 <= start < end <= 1440 minutes")
    ordered = sorted(windows)
    for (_, end), (begin, _) in zip(ordered, ordered[1:], strict=False):
        if begin < end:
            raise ValueError(f"{where}: windows overlap around minute {begin}")


def _as_date(value: object, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise ValueError(f"{where}: expected a date or 'YYYY-MM-DD', got {value!r}")
    return value if isinstance(value, date) else date.fromisoformat(value)


def _parse_hhmm(text: str, where: str) -> int:
    hh, sep, mm = text.partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and int(mm) < 60):
        raise ValueError(f"{where}: expected 'HH:MM', got {text!r}")
    return int(hh) * 60 + int(mm)


def _zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(f"unknown time zone {key!r}") from None


# --------------------------------------------------------------------------- compiled calendar


class _Plan:
    """A calendar compiled to integers. Local instants are microseconds since 1970-01-01 00:00 local
    time; day ``n`` is the local date ``1970-01-01 + n days``."""

    def __init__(self, cal: BusinessCalendar) -> None:
        self.zone_key = cal.timezone
        self.week = tuple(_micro(cal.hours[day]) for day in range(7))
        totals = [_length(windows) for windows in self.week]
        self.week_total = sum(totals)
        self.week_prefix = tuple(accumulate(totals, initial=0))
        extra = _micro(cal._extra_windows())
        self.special = {_day_number(d): () for d in cal.holidays}
        self.special |= {_day_number(d): extra for d in cal.extra_workdays}
        self.special_days = sorted(self.special)
        changes = (_length(self.special[n]) - totals[(n + 3) % 7] for n in self.special_days)
        self.special_prefix = tuple(accumulate(changes, initial=0))

    def windows(self, n: int) -> tuple[Window, ...]:
        """Working windows of local day ``n``, in microseconds from its midnight."""
        special = self.special.get(n)
        return self.week[(n + 3) % 7] if special is None else special

    def cumulative(self, x: int) -> int:
        """Working microseconds from a fixed reference (Monday 1969-12-29) to local instant ``x``."""
        n, into_day = divmod(x, _DAY_US)
        weeks, weekday = divmod(n + 3, 7)
        done = weeks * self.week_total + self.week_prefix[weekday]
        done += self.special_prefix[bisect_left(self.special_days, n)]
        return done + sum(min(end, into_day) - begin for begin, end in self.windows(n) if begin < into_day)

    def reach(self, target: int, lo: int, hi: int) -> int:
        """Earliest local instant y in [lo, hi] with cumulative(y) == target, given
        cumulative(lo) < target <= cumulative(hi)."""
        first, last = lo // _DAY_US, (hi - 1) // _DAY_US
        while first < last:  # the first day whose end reaches the target
            mid = (first + last) // 2
            if self.cumulative((mid + 1) * _DAY_US) >= target:
                last = mid
            else:
                first = mid + 1
        midnight = first * _DAY_US
        done = self.cumulative(midnight)
        for begin, end in self.windows(first):
            if done + end - begin >= target:
                return midnight + begin + (target - done)
            done += end - begin
        raise AssertionError("unreachable: target lies within this day")

    def horizon(self) -> int:
        """UTC instant bounding every search: the end of the supported range or, for a calendar
        without weekly hours, shortly after its last worked extra day."""
        if self.week_total:
            return _year_start(_MAX_YEAR + 1)
        worked = [n for n in self.special_days if self.special[n]]
        return (worked[-1] + 2) * _DAY_US if worked else _year_start(_MIN_YEAR)


def _micro(windows: tuple[Window, ...]) -> tuple[Window, ...]:
    return tuple((begin * _MINUTE_US, end * _MINUTE_US) for begin, end in windows)


def _length(windows: tuple[Window, ...]) -> int:
    return sum(end - begin for begin, end in windows)


def _day_number(day: date) -> int:
    return (day - _EPOCH_DATE).days


# --------------------------------------------------------------------------- zone offsets


def _offset(zone: ZoneInfo, t: int) -> int:
    """UTC offset of ``zone`` at UTC instant ``t``, in microseconds."""
    return _from_us(t).astimezone(zone).utcoffset() // _ONE_US


def _first_change(zone: ZoneInfo, lo: int, hi: int, offset: int) -> int:
    """First whole second in (lo, hi] whose offset differs, given offset(lo) == offset != offset(hi)."""
    while hi - lo > _US:
        mid = lo + (hi - lo) // (2 * _US) * _US
        if _offset(zone, mid) == offset:
            lo = mid
        else:
            hi = mid
    return hi


@lru_cache(maxsize=2048)
def _year_segments(zone_key: str, year: int) -> tuple[tuple[int, int, int], ...]:
    """UTC year ``year`` split into (start, end, offset) pieces of constant UTC offset."""
    zone = ZoneInfo(zone_key)
    start, stop = _year_start(year), _year_start(year + 1)
    pieces, t, offset = [], start, _offset(zone, start)
    while t < stop:
        probe = min(t + _PROBE_US, stop)
        if _offset(zone, probe) != offset:
            change = _first_change(zone, t, probe, offset)
            if change < stop:
                pieces.append((start, change, offset))
                start, t, offset = change, change, _offset(zone, change)
                continue
        t = probe
    pieces.append((start, stop, offset))
    return tuple(pieces)


def _segments(zone_key: str, lo: int, hi: int) -> Iterator[tuple[int, int, int]]:
    """Pieces (a, b, offset) of constant offset covering UTC [lo, hi), in order."""
    year = _from_us(lo).year
    while lo < hi and year <= _MAX_YEAR:
        for a, b, offset in _year_segments(zone_key, year):
            if a < hi and b > lo:
                yield max(a, lo), min(b, hi), offset
        year += 1
        lo = max(lo, _year_start(year))


def _year_start(year: int) -> int:
    return (datetime(year, 1, 1) - datetime(1970, 1, 1)) // _ONE_US


# --------------------------------------------------------------------------- integer core


def _business(plan: _Plan, lo: int, hi: int) -> int:
    """Working microseconds in UTC [lo, hi)."""
    total = 0
    for a, b, offset in _segments(plan.zone_key, lo, hi):
        total += plan.cumulative(b + offset) - plan.cumulative(a + offset)
    return total


def _add(plan: _Plan, lo: int, amount: int) -> int:
    """Earliest UTC instant t >= lo with _business(lo, t) == amount (amount > 0)."""
    horizon = plan.horizon()
    if lo >= horizon:
        raise ValueError("the calendar has no working time after the start")
    if amount > horizon - lo:  # there is never more working time than wall-clock time
        raise ValueError(f"cannot add {amount / _US:g} s: more than the time left in the calendar's range")
    needed = amount
    for a, b, offset in _segments(plan.zone_key, lo, horizon):
        x, y = a + offset, b + offset
        done = plan.cumulative(x)
        available = plan.cumulative(y) - done
        if amount <= available:
            return plan.reach(done + amount, x, y) - offset
        amount -= available
    if amount == needed:
        raise ValueError("the calendar has no working time after the start")
    raise ValueError(f"the calendar has not enough working time ahead: short by {amount / _US:g} s")


def _intervals(plan: _Plan, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Working intervals within UTC [lo, hi), in order, adjacent ones merged."""
    current: tuple[int, int] | None = None
    for a, b, offset in _segments(plan.zone_key, lo, hi):
        for n in range((a + offset) // _DAY_US, (b + offset - 1) // _DAY_US + 1):
            midnight = n * _DAY_US - offset
            for begin, end in plan.windows(n):
                s, e = max(midnight + begin, a), min(midnight + end, b)
                if s >= e:
                    continue
                if current and current[1] == s:
                    current = (current[0], e)
                else:
                    if current:
                        yield current
                    current = (s, e)
    if current:
        yield current


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint union of the non-empty intervals."""
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return merged


def _pause_bounds(pause: Pause) -> tuple[int, int | None]:
    try:
        begin, end = pause
    except (TypeError, ValueError):
        raise ValueError(f"a pause must be a (start, end or None) pair, got {pause!r}") from None
    begin_us = _to_us(begin, "pause start")
    end_us = None if end is None else _to_us(end, "pause end")
    if end_us is not None and end_us < begin_us:
        raise ValueError(f"pause ends before it starts: {pause!r}")
    return begin_us, end_us


# --------------------------------------------------------------------------- conversions


def _to_us(moment: datetime, name: str) -> int:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    t = (moment - _EPOCH) // _ONE_US
    if not _year_start(_MIN_YEAR) <= t < _year_start(_MAX_YEAR + 1):
        raise ValueError(f"{name} is outside the supported years {_MIN_YEAR}..{_MAX_YEAR}: {moment!r}")
    return t


def _from_us(t: int) -> datetime:
    return _EPOCH + timedelta(microseconds=t)


def _seconds_to_us(seconds: float, name: str) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"{name} must be a number of seconds, got {seconds!r}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {seconds!r}")
    return seconds * _US if isinstance(seconds, int) else round(seconds * _US)


# --------------------------------------------------------------------------- public API


def working_windows(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """UTC working intervals intersecting [start, end), clipped to it; adjacent ones are merged
    (a 24x7 calendar yields a single interval). Arguments are checked before iteration starts."""
    lo, hi = _to_us(start, "start"), _to_us(end, "end")
    return ((_from_us(s), _from_us(e)) for s, e in _intervals(calendar._plan, lo, hi))


def business_seconds_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Working seconds in [start, end); 0 when end <= start."""
    lo, hi = _to_us(start, "start"), _to_us(end, "end")
    return _business(calendar._plan, lo, hi) / _US if hi > lo else 0.0


def add_business_seconds(calendar: BusinessCalendar, start: datetime, seconds: float) -> datetime:
    """The earliest instant t >= start with business_seconds_between(start, t) == seconds.

    ``seconds == 0`` returns ``start`` itself (in UTC), even outside working hours. Raises
    ``ValueError`` when the calendar has not enough working time ahead."""
    lo, amount = _to_us(start, "start"), _seconds_to_us(seconds, "seconds")
    return _from_us(_add(calendar._plan, lo, amount) if amount else lo)


def elapsed(
    calendar: BusinessCalendar, start: datetime, now: datetime, pauses: Sequence[Pause] = ()
) -> float:
    """Working seconds in [start, now) outside the pauses. A pause is (start, end); end None means
    still open (lasts until now). Pauses may overlap; their parts outside [start, now] are ignored."""
    lo, hi = _to_us(start, "start"), _to_us(now, "now")
    bounds = [_pause_bounds(pause) for pause in pauses]
    paused = _merge((max(b, lo), min(hi if e is None else e, hi)) for b, e in bounds)
    if hi <= lo:
        return 0.0
    plan = calendar._plan
    return (_business(plan, lo, hi) - sum(_business(plan, b, e) for b, e in paused)) / _US


def due_at(
    calendar: BusinessCalendar,
    start: datetime,
    target_seconds: float,
    pauses: Sequence[Pause] = (),
    now: datetime | None = None,
) -> datetime | None:
    """The instant when elapsed(calendar, start, t, pauses) reaches ``target_seconds``.

    Closed pauses push the due time later by their working-time overlap. An open pause (end None)
    stops the clock for good: the result is None ("paused, no due time") unless the target was
    already reached before that pause began, in which case that (past) instant is returned, so a
    breach is never hidden by pausing afterwards. When ``now`` is given, pause time after ``now``
    is ignored (as in ``elapsed``), and so is an open pause starting after ``now``.
    ``target_seconds == 0`` returns ``start``."""
    lo, amount = _to_us(start, "start"), _seconds_to_us(target_seconds, "target_seconds")
    hi = _FOREVER if now is None else _to_us(now, "now")
    bounds = [_pause_bounds(pause) for pause in pauses]
    stopped = [(max(b, lo), _FOREVER) for b, e in bounds if e is None and b <= hi]
    paused = _merge([(max(b, lo), min(e, hi)) for b, e in bounds if e is not None] + stopped)
    if not amount:
        return _from_us(lo)
    plan, cursor = calendar._plan, lo
    for begin, end in paused:
        available = _business(plan, cursor, begin)
        if amount <= available:
            return _from_us(_add(plan, cursor, amount))
        if end >= _FOREVER:
            return None
        amount -= available
        cursor = end
    return _from_us(_add(plan, cursor, amount))
