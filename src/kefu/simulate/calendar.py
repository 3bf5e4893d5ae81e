"""Chinese holidays, festivals and shopping events as traffic multipliers per business line (节假日与活动).

A holiday does not close a 7×24 center: it moves traffic between business lines. During 春节 fewer
riders work and fewer meals are delivered while travel and reading surge; 国庆 and 劳动节 send people
travelling; 情人节 fills restaurants and cinemas; on 立冬 the north orders dumplings (立冬吃饺子); 618 and
双11 bring promotion questions. Each event is a window of days with a multiplier per business line (lines
not named keep 1.0; several events on one day multiply).

Where the dates come from:

- Gregorian fixed dates (元旦, 情人节, 劳动节, 520, 618, 国庆, 双11, 双12) are the calendar itself.
- Lunar festivals (春节 = 正月初一, 端午 = 五月初五, 中秋 = 八月十五) for 2024–2030 are the dates of the
  Chinese lunisolar calendar as published in the Purple Mountain Observatory's almanac (紫金山天文台
  《中国天文年历》); they agree with the tables of the ``holidays`` package (vacanza/holidays,
  ``holidays/calendars/chinese.py``).
- Solar terms (清明, 立冬, 冬至) for 2024–2030 are the days (Beijing time) of those terms in the same almanac.
- The windows are when traffic changes, not the State Council's days off (those are announced each
  November and include make-up workdays, 调休); ``kefu.demo.reference`` keeps the official 2026 list for
  the SLA calendars.

Years outside 2024–2030 raise ``ValueError`` rather than silently losing their lunar festivals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

FIRST_YEAR, LAST_YEAR = 2024, 2030

# 正月初一, 五月初五, 八月十五 (lunisolar calendar)
SPRING_FESTIVAL = {2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
                   2030: (2, 3)}
DRAGON_BOAT = {2024: (6, 10), 2025: (5, 31), 2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16),
               2030: (6, 5)}
MID_AUTUMN = {2024: (9, 17), 2025: (10, 6), 2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22),
              2030: (9, 12)}
# solar terms, Beijing time
QINGMING = {2024: (4, 4), 2025: (4, 4), 2026: (4, 5), 2027: (4, 5), 2028: (4, 4), 2029: (4, 4), 2030: (4, 5)}
LIDONG = {2024: (11, 7), 2025: (11, 7), 2026: (11, 7), 2027: (11, 8), 2028: (11, 7), 2029: (11, 7), 2030: (11, 7)}
DONGZHI = {2024: (12, 21), 2025: (12, 21), 2026: (12, 22), 2027: (12, 22), 2028: (12, 21), 2029: (12, 21),
           2030: (12, 22)}


@dataclass(frozen=True)
class Event:
    """A named window of days and its traffic multiplier per business line (lines not named: 1.0)."""

    name: str
    first: date
    days: int
    factors: dict[str, float] = field(default_factory=dict)

    def covers(self, day: date) -> bool:
        return self.first <= day < self.first + timedelta(days=self.days)


def _on(year: int, table: dict[int, tuple[int, int]], offset: int = 0) -> date:
    if year not in table:
        raise ValueError(f"the simulator knows Chinese festivals for {FIRST_YEAR}–{LAST_YEAR}, not {year}")
    return date(year, *table[year]) + timedelta(days=offset)


def events(year: int) -> list[Event]:
    """Every event of ``year`` that changes traffic."""
    d = date
    return [
        Event("元旦", d(year, 1, 1), 1, {"dianying": 1.4, "daodian": 1.2, "lvxing": 1.2}),
        # 春运 before, then 除夕…初六: meals and riders scarce, travel and reading up
        Event("春运", _on(year, SPRING_FESTIVAL, -15), 14, {"chuxing": 1.35, "lvxing": 1.3}),
        Event("春节", _on(year, SPRING_FESTIVAL, -1), 8,
              {"waimai": 0.65, "daojia": 0.5, "daodian": 0.8, "chuxing": 1.2, "lvxing": 1.5, "yuedu": 1.35,
               "dianying": 1.6, "jinrong": 0.8}),
        Event("情人节", d(year, 2, 14), 1, {"waimai": 1.25, "daodian": 1.5, "dianying": 1.6}),
        Event("清明", _on(year, QINGMING, -1), 3, {"lvxing": 1.3, "chuxing": 1.3}),
        Event("劳动节", d(year, 5, 1), 5, {"lvxing": 1.7, "chuxing": 1.35, "daodian": 1.25, "waimai": 0.95}),
        Event("520", d(year, 5, 20), 1, {"waimai": 1.15, "daodian": 1.3, "dianying": 1.3}),
        Event("端午", _on(year, DRAGON_BOAT, -1), 3, {"lvxing": 1.3, "chuxing": 1.2, "waimai": 1.1}),
        Event("618", d(year, 6, 16), 4, {"waimai": 1.2, "daodian": 1.2, "daojia": 1.2, "jinrong": 1.2}),
        Event("中秋", _on(year, MID_AUTUMN, -1), 3, {"lvxing": 1.4, "chuxing": 1.3, "waimai": 1.1}),
        Event("国庆", d(year, 10, 1), 7,
              {"lvxing": 1.8, "chuxing": 1.4, "daodian": 1.3, "dianying": 1.3, "waimai": 0.9}),
        Event("立冬", _on(year, LIDONG), 1, {"waimai": 1.3}),
        Event("双11", d(year, 11, 10), 3, {"waimai": 1.3, "daodian": 1.2, "daojia": 1.2, "jinrong": 1.3}),
        Event("双12", d(year, 12, 12), 1, {"waimai": 1.15, "daodian": 1.1}),
        Event("冬至", _on(year, DONGZHI), 1, {"waimai": 1.25}),
    ]


_CACHE: dict[int, list[Event]] = {}


def events_on(day: date) -> list[Event]:
    """The events whose window covers ``day`` (a window may start in the previous year: 春运)."""
    found = []
    for year in (day.year, day.year + 1):
        if year > LAST_YEAR and day.year <= LAST_YEAR:
            continue
        if year not in _CACHE:
            _CACHE[year] = events(year)
        found += [e for e in _CACHE[year] if e.covers(day)]
    return found


def line_factors(day: date, lines: list[str]) -> list[float]:
    """The product of every event's multiplier on ``day`` for each business line in ``lines``."""
    out = [1.0] * len(lines)
    for event in events_on(day):
        for i, line in enumerate(lines):
            out[i] *= event.factors.get(line, 1.0)
    return out
