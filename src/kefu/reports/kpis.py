"""KPI definitions (docs/kpis.md), as plain functions over plain data: no web framework, no database.

Every additive KPI is built from a ``Tally`` of counts and sums. One contact gives one tally
(``tally_of``); tallies add. The rollups store tallies per interval key, the raw computation sums the
tallies of the rows: both go through ``tally_of`` and ``rates``, so they cannot define a KPI differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

OFFERED_CHANNELS = ("phone", "chat")  # offered to a queue: what answer rate and service level are about
SATISFIED = (4, 5)  # 5 非常满意, 4 满意, 3 一般, 2 不满意, 1 非常不满意
LEVELS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
FCR_DAYS = 7
RESOLUTION_HOURS = 72


@dataclass(slots=True)
class Tally:
    """The additive measures of a set of contacts (one contact, an interval key, a month…)."""

    contacts: int = 0  # every contact, any channel
    offered: int = 0  # phone/chat offered to a queue, less short abandons
    answered: int = 0
    abandoned: int = 0  # less short abandons
    short_abandoned: int = 0  # left out of offered and abandoned
    answered_in_sl: int = 0  # answered within the service-level threshold
    wait_seconds: int = 0  # sum over answered: answered_at - offered_at
    handle_seconds: int = 0  # sum over answered: talk + hold + wrap
    rated: int = 0
    r1: int = 0
    r2: int = 0
    r3: int = 0
    r4: int = 0
    r5: int = 0

    def add(self, other: Tally) -> Tally:
        for f in _FIELDS:
            setattr(self, f, getattr(self, f) + getattr(other, f))
        return self

    def as_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in _FIELDS}


_FIELDS = tuple(f.name for f in fields(Tally))
MEASURES = _FIELDS


@dataclass(frozen=True, slots=True)
class Thresholds:
    service_level_seconds: int = 20  # T of "answered within T seconds"
    short_abandon_seconds: int = 0  # abandons shorter than this are not counted at all


def _seconds(a: datetime | None, b: datetime | None) -> int | None:
    return None if a is None or b is None else max(0, round((b - a).total_seconds()))


def handle_seconds(c) -> int:
    """talk + hold + wrap of a contact; talk is answered → ended less hold when the source did not say."""
    hold, wrap = c.hold_seconds or 0, c.wrap_seconds or 0
    talk = c.talk_seconds
    if talk is None:
        span = _seconds(c.answered_at, c.ended_at)
        talk = max(0, span - hold) if span is not None else 0
    return talk + hold + wrap


def measures_of(c, th: Thresholds) -> tuple[int, ...]:
    """One contact's tally as a tuple in ``MEASURES`` order (anything with ContactFact's attributes). The one
    place the additive KPIs are defined; kept to plain tuples because bulk ingest runs it 10,000 times a batch."""
    sat = c.satisfaction
    rated = sat in LEVELS
    r = (int(sat == 1), int(sat == 2), int(sat == 3), int(sat == 4), int(sat == 5)) if rated else (0, 0, 0, 0, 0)
    if c.channel not in OFFERED_CHANNELS or c.outcome == "deflected":
        return (1, 0, 0, 0, 0, 0, 0, 0, int(rated), *r)
    abandoned = 0
    if c.outcome == "abandoned":
        waited = _seconds(c.offered_at, c.ended_at)
        if waited is not None and waited < th.short_abandon_seconds:
            return (1, 0, 0, 0, 1, 0, 0, 0, int(rated), *r)
        abandoned = 1
    if c.outcome == "answered" and c.answered_at is not None:
        wait = _seconds(c.offered_at, c.answered_at)
        return (1, 1, 1, 0, 0, int(wait <= th.service_level_seconds), wait, handle_seconds(c), int(rated), *r)
    return (1, 1, 0, abandoned, 0, 0, 0, 0, int(rated), *r)


def tally_of(c, th: Thresholds) -> Tally:
    """The tally of one contact."""
    return Tally(*measures_of(c, th))


def tally_all(contacts: Iterable, th: Thresholds) -> Tally:
    total = Tally()
    for c in contacts:
        total.add(tally_of(c, th))
    return total


def _ratio(num: float, den: float) -> float | None:
    return None if not den else num / den


def rates(t: Tally) -> dict[str, float | int | None]:
    """The KPIs of a tally: counts, rates as fractions 0–1 (None when there is nothing to divide by)."""
    return {
        "offered": t.offered, "answered": t.answered, "abandoned": t.abandoned,
        "short_abandoned": t.short_abandoned, "contacts": t.contacts, "rated": t.rated,
        "answer_rate": _ratio(t.answered, t.offered),
        "abandonment_rate": _ratio(t.abandoned, t.offered),
        "service_level": _ratio(t.answered_in_sl, t.offered),
        "asa_seconds": _ratio(t.wait_seconds, t.answered),
        "aht_seconds": _ratio(t.handle_seconds, t.answered),
        "satisfaction_rate": satisfaction_rate(t),
        "very_satisfied_share": _ratio(t.r5, t.rated),
        "satisfied_share": _ratio(t.r4, t.rated),
    }


def satisfaction_rate(t: Tally) -> float | None:
    """(非常满意 + 满意) / ratings."""
    return _ratio(t.r5 + t.r4, t.rated)


# -- KPIs that are not sums of one contact --------------------------------------
@dataclass(frozen=True, slots=True)
class Touch:
    """A contact as first-contact resolution sees it."""

    customer_id: int | None
    category_id: int | None
    at: datetime
    resolved: bool


def first_contact_resolution(touches: Iterable[Touch], *, start: datetime, end: datetime,
                             days: int = FCR_DAYS) -> float | None:
    """Share of resolved contacts in [start, end) whose customer made no other contact in the same category
    within ``days`` after it. ``touches`` must include the contacts up to ``end + days``."""
    by_key: dict[tuple, list[datetime]] = {}
    for t in touches:
        if t.customer_id is not None:
            by_key.setdefault((t.customer_id, t.category_id), []).append(t.at)
    for times in by_key.values():
        times.sort()
    resolved = first = 0
    window = timedelta(days=days)
    for t in touches:
        if not t.resolved or not (start <= t.at < end):
            continue
        resolved += 1
        if t.customer_id is None:
            first += 1
            continue
        times = by_key[(t.customer_id, t.category_id)]
        if not any(t.at < other <= t.at + window for other in times):
            first += 1
    return _ratio(first, resolved)


def resolution_rate(tickets: Iterable[tuple[datetime, datetime | None]], *, now: datetime,
                    hours: int = RESOLUTION_HOURS) -> float | None:
    """72-hour resolution rate: of tickets ``(created_at, resolved_at)`` created in the period that are
    resolved or older than ``hours`` at ``now``, the share resolved within ``hours`` of creation."""
    limit = timedelta(hours=hours)
    due = fast = 0
    for created, resolved in tickets:
        if resolved is None and now - created < limit:
            continue  # still open and not yet 72 h old: not judged
        due += 1
        fast += int(resolved is not None and resolved - created <= limit)
    return _ratio(fast, due)


def contacts_per_agent_day(handled: Mapping[tuple[int, date], int]) -> float | None:
    """Mean answered contacts per agent per day, over the (agent, day) pairs where the agent answered any."""
    days = [n for n in handled.values() if n > 0]
    return _ratio(sum(days), len(days))


def occupancy(handle_seconds: float, logged_in_seconds: float) -> float | None:
    """Handle time / logged-in time."""
    return _ratio(handle_seconds, logged_in_seconds)
