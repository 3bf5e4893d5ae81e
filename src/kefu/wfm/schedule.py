"""Shift scheduling (排班): the problem, read from plain data (a JSON document), and checked.

A plan covers consecutive ``days``; each day has a requirement per interval from midnight (agents needed
on the phones, e.g. Erlang ``raw_positions``), opening hours, and may be a holiday (closed, shorter hours,
holiday pay). ``shifts`` are templates: a length, the allowed start times, and breaks (paid rest breaks,
an unpaid lunch) each with a window after the shift start in which it must begin. ``agents`` have the
templates they may work, fixed days off, availability windows, a weekly day cap and a cap on consecutive
working days (with the days already worked before the plan). ``rules`` hold the center-wide defaults, the
cap on contacts per agent per day (about 150 in the seeds), the peak weight of the objective and the
solver's time limit, seed and workers.

``parse_plan`` raises ``PlanError`` naming the offending path (``agents[2].days_off[0]``). The solver is
``kefu.wfm.schedule_model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PlanError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True)
class BreakRule:
    name: str  # 小休 / 午餐
    minutes: int
    paid: bool
    earliest: int  # minutes after the shift start the break may begin
    latest: int


@dataclass(frozen=True, eq=False)  # one object per template in a plan: compared (and hashed) by identity
class ShiftTemplate:
    name: str
    minutes: int
    starts: tuple[int, ...]  # minutes after midnight
    breaks: tuple[BreakRule, ...] = ()

    @property
    def paid_minutes(self) -> int:
        return self.minutes - sum(b.minutes for b in self.breaks if not b.paid)

    def crosses_midnight(self, start: int) -> bool:
        """Whether the shift starting at ``start`` ends on the next day (a night shift, 22:00–06:00): it
        belongs to the day it starts on (days worked, weekly caps) and covers the next day's first hours."""
        return start + self.minutes > 1440


@dataclass(frozen=True)
class Day:
    date: date
    requirement: tuple[float, ...]  # agents on the phones per interval from midnight
    open: int  # minutes after midnight
    close: int
    holiday: str | None = None
    calls: tuple[float, ...] | None = None  # calls per interval, for the contacts cap


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    shifts: tuple[str, ...] | None = None  # templates allowed; None: all
    days_off: frozenset[int] = frozenset()  # day indexes
    available: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # day → windows
    max_days_per_week: int | None = None
    max_consecutive_days: int | None = None
    worked_before: int = 0  # consecutive days worked right before the plan
    hourly_cost: float = 1.0


@dataclass(frozen=True)
class Rules:
    interval: int = 30  # minutes
    max_days_per_week: int = 5
    max_consecutive_days: int = 6
    max_contacts_per_day: int | None = 150
    aht: float = 300.0  # seconds, for the contacts cap when a day gives no calls
    occupancy: float = 0.85
    peak_weight: float = 1.0  # a shortfall at the busiest interval weighs 1 + peak_weight times a quiet one
    holiday_pay: float = 3.0  # 法定节假日: three times the pay
    min_rest_minutes: int = 0  # least rest between one shift's end and the agent's next start (0: no rule)
    time_limit: float = 10.0  # seconds, wall clock
    seed: int = 0
    workers: int = 1


@dataclass(frozen=True)
class Plan:
    days: tuple[Day, ...]
    shifts: tuple[ShiftTemplate, ...]
    agents: tuple[Agent, ...]
    rules: Rules

    @property
    def slots(self) -> int:
        return 1440 // self.rules.interval


def hhmm(value, path: str) -> int:
    """Minutes after midnight from ``"08:30"`` (``"24:00"`` allowed for a close)."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    else:
        try:
            h, m = str(value).split(":")
            minutes = int(h) * 60 + int(m)
        except ValueError:
            raise PlanError(path, f"expected a time like 08:30, got {value!r}") from None
    if not 0 <= minutes <= 1440:
        raise PlanError(path, f"time out of the day: {value!r}")
    return minutes


def _int(value, path: str, lo: int = 0, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise PlanError(path, f"expected a whole number, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        raise PlanError(path, f"must be between {lo} and {hi}" if hi is not None else f"must be ≥ {lo}")
    return int(value)


def _num(value, path: str, lo: float = 0.0, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise PlanError(path, f"expected a number, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        raise PlanError(path, f"must be between {lo:g} and {hi:g}" if hi is not None else f"must be ≥ {lo:g}")
    return float(value)


def _list(data: dict, key: str, path: str, required: bool = True) -> list:
    value = data.get(key, None if required else [])
    if not isinstance(value, list) or (required and not value):
        raise PlanError(f"{path}{key}", "expected a non-empty list" if required else "expected a list")
    return value


def parse_rules(data: dict) -> Rules:
    if not isinstance(data, dict):
        raise PlanError("rules", "expected an object")
    known = Rules.__dataclass_fields__
    for key in data:
        if key not in known:
            raise PlanError(f"rules.{key}", f"unknown rule (known: {', '.join(known)})")
    interval = _int(data.get("interval", 30), "rules.interval", 5, 120)
    if 1440 % interval:
        raise PlanError("rules.interval", "must divide the day (5, 10, 15, 30, 60…)")
    cap = data.get("max_contacts_per_day", 150)
    return Rules(
        interval=interval,
        max_days_per_week=_int(data.get("max_days_per_week", 5), "rules.max_days_per_week", 0, 7),
        max_consecutive_days=_int(data.get("max_consecutive_days", 6), "rules.max_consecutive_days", 1),
        max_contacts_per_day=None if cap is None else _int(cap, "rules.max_contacts_per_day", 1),
        aht=_num(data.get("aht", 300), "rules.aht", 1),
        occupancy=_num(data.get("occupancy", 0.85), "rules.occupancy", 0.01, 1),
        peak_weight=_num(data.get("peak_weight", 1.0), "rules.peak_weight", 0, 100),
        holiday_pay=_num(data.get("holiday_pay", 3.0), "rules.holiday_pay", 0, 10),
        min_rest_minutes=_int(data.get("min_rest_minutes", 0), "rules.min_rest_minutes", 0, 1440),
        time_limit=_num(data.get("time_limit", 10), "rules.time_limit", 0.1, 3600),
        seed=_int(data.get("seed", 0), "rules.seed"), workers=_int(data.get("workers", 1), "rules.workers", 1, 64))


def parse_shift(data: dict, path: str, interval: int) -> ShiftTemplate:
    if not isinstance(data, dict) or not data.get("name"):
        raise PlanError(path, "a shift needs a name")
    minutes = _int(data.get("minutes"), f"{path}.minutes", interval, 1440)
    if minutes % interval:
        raise PlanError(f"{path}.minutes", f"must be a multiple of the {interval}-minute interval")
    starts = tuple(hhmm(s, f"{path}.starts[{i}]") for i, s in enumerate(_list(data, "starts", f"{path}.")))
    for i, s in enumerate(starts):
        if s % interval or s >= 1440:
            raise PlanError(f"{path}.starts[{i}]", "must fall on an interval of the day (00:00 to before 24:00)")
    breaks = []
    for j, b in enumerate(_list(data, "breaks", f"{path}.", required=False)):
        bp = f"{path}.breaks[{j}]"
        if not isinstance(b, dict):
            raise PlanError(bp, "expected an object")
        rule = BreakRule(name=str(b.get("name") or f"break{j + 1}"), minutes=_int(b.get("minutes"), f"{bp}.minutes", 1),
                         paid=bool(b.get("paid", True)), earliest=_int(b.get("earliest", 0), f"{bp}.earliest"),
                         latest=_int(b.get("latest", minutes), f"{bp}.latest"))
        if rule.earliest > rule.latest or rule.earliest + rule.minutes > minutes:
            raise PlanError(bp, "its window must lie inside the shift (earliest ≤ latest, ending before the shift)")
        breaks.append(rule)
    for j in range(1, len(breaks)):
        before = breaks[j - 1]
        if breaks[j].earliest < before.latest + before.minutes:
            raise PlanError(f"{path}.breaks[{j}]", f"its window must start after {before.name}'s ends "
                            f"(earliest ≥ {before.latest + before.minutes}): breaks follow each other")
    if sum(b.minutes for b in breaks) >= minutes:
        raise PlanError(f"{path}.breaks", "the breaks take the whole shift")
    return ShiftTemplate(name=str(data["name"]), minutes=minutes, starts=starts, breaks=tuple(breaks))


def parse_day(data: dict, path: str, slots: int, first: date, index: int) -> Day:
    if not isinstance(data, dict):
        raise PlanError(path, "expected an object")
    try:
        day = date.fromisoformat(data["date"]) if "date" in data else first + timedelta(days=index)
    except (TypeError, ValueError):
        raise PlanError(f"{path}.date", f"expected a date like 2026-12-07, got {data.get('date')!r}") from None
    req = _list(data, "requirement", f"{path}.")
    if len(req) > slots:
        raise PlanError(f"{path}.requirement", f"at most {slots} intervals a day")
    values = tuple(_num(v, f"{path}.requirement[{i}]") for i, v in enumerate(req)) + (0.0,) * (slots - len(req))
    calls = data.get("calls")
    if calls is not None:
        if not isinstance(calls, list) or len(calls) > slots:
            raise PlanError(f"{path}.calls", f"expected a list of at most {slots} numbers")
        calls = tuple(_num(v, f"{path}.calls[{i}]") for i, v in enumerate(calls)) + (0.0,) * (slots - len(calls))
    closed = bool(data.get("closed", False))
    opens, closes = hhmm(data.get("open", "00:00"), f"{path}.open"), hhmm(data.get("close", "24:00"), f"{path}.close")
    if closes <= opens and not closed:
        raise PlanError(f"{path}.close", "must be after the opening time")
    return Day(date=day, requirement=values, open=opens, close=opens if closed else closes,
               holiday=data.get("holiday") or None, calls=calls)


def _day_index(value, days: tuple[Day, ...], path: str) -> list[int]:
    """Day indexes named by an ISO date, a weekday (mon…sun) or an index."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(days):
        return [value]
    if isinstance(value, str) and value.lower()[:3] in WEEKDAYS and not value[:1].isdigit():
        wd = WEEKDAYS.index(value.lower()[:3])
        return [i for i, d in enumerate(days) if d.date.weekday() == wd]
    try:
        when = date.fromisoformat(str(value))
    except ValueError:
        raise PlanError(path, f"expected a date, a weekday (mon…sun) or a day index, got {value!r}") from None
    return [i for i, d in enumerate(days) if d.date == when]


def parse_agent(data: dict, path: str, days: tuple[Day, ...], shifts: set[str]) -> Agent:
    if not isinstance(data, dict) or not data.get("id"):
        raise PlanError(path, "an agent needs an id")
    allowed = data.get("shifts")
    if allowed is not None:
        for i, name in enumerate(allowed):
            if name not in shifts:
                raise PlanError(f"{path}.shifts[{i}]", f"no shift template named {name!r}")
        allowed = tuple(allowed)
    off = set()
    for i, v in enumerate(_list(data, "days_off", f"{path}.", required=False)):
        off.update(_day_index(v, days, f"{path}.days_off[{i}]"))
    available: dict[int, tuple[tuple[int, int], ...]] = {}
    windows = data.get("available") or {}
    if not isinstance(windows, dict):
        raise PlanError(f"{path}.available", "expected {day: [[from, to], …]}")
    for key, spans in windows.items():
        sp = f"{path}.available.{key}"
        parsed = tuple((hhmm(a, f"{sp}[{i}][0]"), hhmm(b, f"{sp}[{i}][1]")) for i, (a, b) in enumerate(spans))
        for i in _day_index(key, days, sp):
            available[i] = parsed
    return Agent(id=str(data["id"]), name=str(data.get("name") or data["id"]), shifts=allowed, days_off=frozenset(off),
                 available=available,
                 max_days_per_week=None if data.get("max_days_per_week") is None else
                 _int(data["max_days_per_week"], f"{path}.max_days_per_week", 0, 7),
                 max_consecutive_days=None if data.get("max_consecutive_days") is None else
                 _int(data["max_consecutive_days"], f"{path}.max_consecutive_days", 1),
                 worked_before=_int(data.get("worked_before", 0), f"{path}.worked_before"),
                 hourly_cost=_num(data.get("hourly_cost", 1.0), f"{path}.hourly_cost"))


def parse_plan(data: dict) -> Plan:
    """The plan from its JSON form; ``PlanError`` names the first bad field."""
    if not isinstance(data, dict):
        raise PlanError("plan", "expected a JSON object with days, shifts and agents")
    rules = parse_rules(data.get("rules") or {})
    slots = 1440 // rules.interval
    first = date.fromisoformat(str(data.get("start", "2026-01-05")))
    days = tuple(parse_day(d, f"days[{i}]", slots, first, i) for i, d in enumerate(_list(data, "days", "")))
    shifts = tuple(parse_shift(s, f"shifts[{i}]", rules.interval) for i, s in enumerate(_list(data, "shifts", "")))
    if len({s.name for s in shifts}) != len(shifts):
        raise PlanError("shifts", "shift names must be unique")
    names = {s.name for s in shifts}
    agents = tuple(parse_agent(a, f"agents[{i}]", days, names) for i, a in enumerate(_list(data, "agents", "")))
    if len({a.id for a in agents}) != len(agents):
        raise PlanError("agents", "agent ids must be unique")
    return Plan(days=days, shifts=shifts, agents=agents, rules=rules)
