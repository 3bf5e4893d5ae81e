"""Day effects a forecast multiplies in (节假日与活动效应): Chinese holidays and events, the first open day after a
closure, the first open day of a month.

- Holidays and events are the windows of ``kefu.simulate.calendar`` (春节, 国庆, 618, 双11, 立冬…), known for
  2024–2030; for other years there are none, and the forecast says so in its notes rather than pretending.
- 节后首日: the first open day after a day the center was closed on an open weekday (a public holiday, an
  outage): the calls that could not come wait for it.
- 月初首日: the first open day of a month (bills, statements, salaries).

A ``Calendar`` maps a day to the names of the events covering it; tests inject their own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from functools import lru_cache

from kefu.simulate import calendar as cn

Calendar = Callable[[date], list[str]]
AFTER_CLOSURE = "节后首日"
MONTH_START = "月初首日"


def chinese_events(day: date) -> list[str]:
    """Names of the Chinese holidays and events covering ``day``; none outside the years the calendar knows."""
    return list(_chinese(day))


@lru_cache(maxsize=4096)
def _chinese(day: date) -> tuple[str, ...]:
    if not cn.FIRST_YEAR <= day.year <= cn.LAST_YEAR:
        return ()
    return tuple(e.name for e in cn.events_on(day))


def no_events(day: date) -> list[str]:
    return []


def uncovered_years(days: Iterable[date]) -> list[int]:
    """Years among ``days`` the Chinese calendar does not cover (their holidays cannot be modelled)."""
    return sorted({d.year for d in days} - set(range(cn.FIRST_YEAR, cn.LAST_YEAR + 1)))


def _after_closure(day: date, known: Collection[date], open_weekdays: Collection[int], first: date) -> bool:
    prev = day - timedelta(days=1)
    for _ in range(7):
        if prev.weekday() in open_weekdays:
            break
        prev -= timedelta(days=1)
    return first <= prev and prev not in known


def _month_start(day: date, known: Collection[date], first: date) -> bool:
    start = day.replace(day=1)
    if start < first:
        return False
    return not any(start + timedelta(days=i) in known for i in range((day - start).days))


def day_effects(days: Iterable[date], *, known: Collection[date], open_weekdays: Collection[int],
                calendar: Calendar) -> list[list[str]]:
    """For each of ``days``, the names of the effects on it. ``known`` is every open day of history and
    forecast together (a day missing from it on an open weekday was a closure)."""
    first = min(known)
    out = []
    for day in days:
        names = list(calendar(day))
        if _after_closure(day, known, open_weekdays, first):
            names.append(AFTER_CLOSURE)
        if _month_start(day, known, first):
            names.append(MONTH_START)
        out.append(names)
    return out
