"""Reading the SLA calendar form: weekly hours as ``09:00-12:00, 13:30-18:00`` and dates as
``2026-10-01~2026-10-07``, one line each. Plain functions over strings (no web framework, no database).

Bad input raises ``Invalid`` naming the form field (``hours_0`` … ``hours_6``, ``holidays``,
``extra_workdays``), with the value the user typed in the message.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from kefu.core.errors import Invalid

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_DATES = 1000
_SPLIT = re.compile(r"[,,、;;\s]+")
_WINDOW = re.compile(r"(\d{1,2})[::](\d{2})\s*(?:-|–|—|~|〜|～|至|到)\s*(\d{1,2})[::](\d{2})")
_RANGE = re.compile(r"\s*(?:~|〜|～|\.\.|至|到)\s*")


def _minute(hour: str, minute: str) -> int | None:
    h, m = int(hour), int(minute)
    if m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def parse_day_hours(text: str, weekday: int) -> list[list[int]]:
    """``09:00-12:00, 13:30-18:00`` → ``[[540, 720], [810, 1080]]`` (minutes from local midnight); empty → []."""
    text = text.strip()
    if not text:
        return []
    day, field = WEEKDAYS[weekday], f"hours_{weekday}"
    bad = Invalid(f"{day} hours {text!r} are not HH:MM-HH:MM ranges", field=field)
    if _SPLIT.sub("", _WINDOW.sub(" ", text)):  # anything left that is not a window or a separator
        raise bad
    windows = []
    for found in _WINDOW.finditer(text):
        start, end = _minute(*found.group(1, 2)), _minute(*found.group(3, 4))
        if start is None or end is None or start >= end:
            raise bad
        windows.append([start, end])
    windows.sort()
    if any(a[1] > b[0] for a, b in zip(windows, windows[1:], strict=False)):
        raise Invalid(f"{day} hours {text!r} overlap", field=field)
    return windows


def format_day_hours(windows) -> str:
    """The inverse of :func:`parse_day_hours`, for showing a stored calendar."""
    return ", ".join(f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in windows or ())


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise Invalid(f"{text!r} is not a date (YYYY-MM-DD)", field=field) from None


def parse_dates(text: str, field: str) -> list[date]:
    """Dates and ranges, one per line or separated by commas: sorted, without repeats."""
    days: set[date] = set()
    for line in re.split(r"[\n,,、;;]+", text):
        line = line.strip()
        if not line:
            continue
        ends = _RANGE.split(line)
        if len(ends) == 1:
            if " " in line:
                raise Invalid(f"{line!r} is not a date (YYYY-MM-DD)", field=field)
            days.add(_date(line, field))
            continue
        if len(ends) != 2:
            raise Invalid(f"{line!r} is not a date range", field=field)
        first, last = _date(ends[0], field), _date(ends[1], field)
        if last < first or (last - first).days > 366:
            raise Invalid(f"{line!r} is not a date range", field=field)
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
        if len(days) > MAX_DATES:
            break
    if len(days) > MAX_DATES:
        raise Invalid(f"too many dates (at most {MAX_DATES})", field=field)
    return sorted(days)


def format_dates(days) -> str:
    """Stored ISO dates as the form shows them, consecutive days folded into ``first~last``."""
    ordered = sorted(date.fromisoformat(d) if isinstance(d, str) else d for d in days or ())
    lines, start = [], None
    for i, day in enumerate(ordered):
        start = start or day
        if i + 1 == len(ordered) or ordered[i + 1] != day + timedelta(days=1):
            lines.append(start.isoformat() if start == day else f"{start.isoformat()}~{day.isoformat()}")
            start = None
    return "\n".join(lines)


def week_summary(hours: dict) -> list[tuple[int, int, str]]:
    """Stored weekly hours as runs of weekdays with the same windows: ``[(0, 4, '09:00-18:00')]`` is
    Monday to Friday 09:00-18:00. Days without hours are left out."""
    texts = [format_day_hours((hours or {}).get(str(d)) or (hours or {}).get(d)) for d in range(7)]
    runs: list[tuple[int, int, str]] = []
    for day, text in enumerate(texts):
        if not text:
            continue
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))
    return runs
