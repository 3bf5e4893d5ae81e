"""Agents' logged states (坐席状态), as plain functions over plain data: no web framework, no database.

An agent has one state at a time; each reported change starts a *span* that lasts until the next change
(``end`` is None while it is the current one). States:

* ``ready`` (示闲): logged in, waiting for contacts;
* ``busy`` (通话中 / 接待中): handling a contact;
* ``acw`` (话后处理): after-call work;
* ``not_ready`` (示忙), with a reason such as 小休, 就餐, 培训, 会议;
* ``logged_out`` (签出): not logged in; the only state that is not logged-in time.

Events may come late or twice: a change at ``at`` splits whatever span holds ``at`` (``place``), and the
store keeps an event id so that a resend is stored once. Logged-in seconds are cut per 30-minute interval
(``seconds_by_interval``) for the occupancy rollup (``kefu.wfm.state_store``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

STATES = ("ready", "busy", "acw", "not_ready", "logged_out")
LOGGED_IN = frozenset(STATES) - {"logged_out"}
LABELS = {"ready": "示闲", "busy": "通话中", "acw": "话后处理", "not_ready": "示忙", "logged_out": "签出"}
SOURCES = ("chat", "telephony", "api")
ALIASES = {
    "示闲": "ready", "idle": "ready", "available": "ready", "logged_in": "ready", "login": "ready",
    "通话中": "busy", "talking": "busy", "on_call": "busy", "hold": "busy", "outbound": "busy",
    "话后处理": "acw", "wrap_up": "acw", "after_call_work": "acw",
    "示忙": "not_ready", "away": "not_ready", "break": "not_ready", "小休": "not_ready",
    "签出": "logged_out", "offline": "logged_out", "logout": "logged_out",
}
# not-ready reasons that name a planned activity of the roster (kefu.wfm.adherence); others are just 示忙
REASON_ACTIVITY = {"小休": "break", "break": "break", "就餐": "lunch", "用餐": "lunch", "lunch": "lunch",
                   "培训": "training", "training": "training", "会议": "meeting", "meeting": "meeting"}
INTERVAL = timedelta(minutes=30)
MAX_REASON = 32


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime | None  # None: the current state
    state: str
    reason: str = ""
    source: str = "api"


def normalize(state: str, reason: str | None = None) -> tuple[str, str]:
    """``(state, reason)`` from what a system reports: English names or the Chinese labels; ``小休`` alone is
    示忙 with reason 小休. ``ValueError`` names what is wrong."""
    raw = (state or "").strip()
    key = raw.lower()
    name = key if key in STATES else ALIASES.get(key) or ALIASES.get(raw)
    if name is None:
        raise ValueError(f"unknown state {raw!r}: one of {', '.join(STATES)} (or 示闲, 示忙, 话后处理, 签出)")
    why = (reason or "").strip()
    if not why and raw in ("小休",):
        why = raw
    if len(why) > MAX_REASON:
        raise ValueError(f"reason: at most {MAX_REASON} characters")
    return name, (why if name == "not_ready" else "")


def place(spans: list[Span], at: datetime) -> tuple[int, datetime | None]:
    """Where a change at ``at`` goes in an agent's spans (sorted by start): the index of the span it cuts
    (the last one starting at or before ``at``; -1 when ``at`` is before them all) and the new span's end
    (the next span's start; None when it becomes the current state)."""
    i = -1
    for k, s in enumerate(spans):
        if s.start <= at:
            i = k
        else:
            break
    nxt = spans[i + 1].start if i + 1 < len(spans) else None
    return i, nxt


def activity(span: Span) -> str:
    """What adherence compares with the roster: ``phone`` for ready/busy/acw, the planned activity of a
    not-ready reason (小休 → break, 就餐 → lunch, 培训 → training, 会议 → meeting), ``not_ready`` for any
    other, ``off`` when logged out."""
    if span.state == "logged_out":
        return "off"
    if span.state == "not_ready":
        return REASON_ACTIVITY.get(span.reason.lower(), "not_ready")
    return "phone"


def interval_of(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)


def seconds_by_interval(spans: Iterable[Span], *, start: datetime | None = None, end: datetime | None = None,
                        now: datetime | None = None) -> dict[datetime, dict[str, float]]:
    """Seconds per 30-minute interval (UTC start) and logged-in state, of the spans clipped to [start, end);
    a current span (no end) runs until ``now``. Logged-out time is left out."""
    out: dict[datetime, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for s in spans:
        if s.state not in LOGGED_IN:
            continue
        a, b = s.start, s.end if s.end is not None else now
        if b is None:
            raise ValueError("a current span needs now")
        a, b = max(a, start) if start else a, min(b, end) if end else b
        t = a
        while t < b:
            slot = interval_of(t)
            stop = min(b, slot + INTERVAL)
            out[slot][s.state] += (stop - t).total_seconds()
            t = stop
    return {k: dict(v) for k, v in out.items()}


def logged_in_seconds(cells: dict[str, float]) -> float:
    return sum(v for k, v in cells.items() if k in LOGGED_IN)
