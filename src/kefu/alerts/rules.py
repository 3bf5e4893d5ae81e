"""Alert rules as data: the rules file (YAML, ``default_rules.yaml`` in this package), parsed and validated.

``parse_rules(text)`` / ``load_rules(path)`` give a ``RuleSet`` or raise ``RulesError`` whose message names
the rule and the field (``rules[1] (general).thresholds[2].window: …``). Three kinds of rule:

- ``ladder``: thresholds over sliding windows mapped to levels, plus optional volume ``growth``;
- ``same_issue``: several distinct customers reporting one issue within a short window (rule id
  ``same_issue`` by default), by category and/or by similar text;
- ``digest``: key-launch tracking (重点项目上线), a daily digest of feedback about each launch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).with_name("default_rules.yaml")
LEVELS = ("二级", "一级", "红色")  # low → high
RANK = {name: i for i, name in enumerate(LEVELS)}
PERIODS = {"day": 86400, "week": 7 * 86400, "year": 364 * 86400}  # a "year" is 52 weeks: same weekday
KINDS = ("ladder", "same_issue", "digest")
CLASSES = ("severe", "general", "intermittent", "none")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class RulesError(ValueError):
    """The rules cannot be read or are not valid; the message names where."""


def parse_duration(value: Any) -> int:
    """'30m' → 1800 seconds ('s', 'm', 'h', 'd', 'w'); a bare positive integer is seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration such as 30m, 3h, 1d or 1w")
    if isinstance(value, int):
        seconds = value
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not a duration such as 30m, 3h, 1d or 1w")
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    return seconds


def format_duration(seconds: int) -> str:
    """1800 → '30m', 10800 → '3h', 604800 → '1w' (the largest unit that divides it)."""
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class Threshold:
    window: int  # seconds, a multiple of the rule's resolution
    more_than: int  # crossed at more_than + 1
    level: str


@dataclass(frozen=True, slots=True)
class GrowthStep:
    more_than_percent: float
    level: str


@dataclass(frozen=True, slots=True)
class Growth:
    window: int
    period: int  # seconds between the window and the one it is compared with
    period_name: str
    min_base: int
    every: int
    steps: tuple[GrowthStep, ...]

    def level_for(self, current: int, previous: int) -> str | None:
        """The highest step whose growth is exceeded, or None (previous below the minimum base)."""
        if previous < self.min_base or previous <= 0:
            return None
        percent = (current - previous) * 100.0 / previous
        best = None
        for step in self.steps:
            if percent > step.more_than_percent and (best is None or RANK[step.level] > RANK[best]):
                best = step.level
        return best


@dataclass(frozen=True, slots=True)
class Launch:
    name: str
    start: datetime
    end: datetime
    categories: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    kind: str
    classes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # codes or names
    resolution: int = 60
    thresholds: tuple[Threshold, ...] = ()
    growth: Growth | None = None
    cooldown: int = 3600
    level: str = "一级"  # same_issue and digest rules raise at one level
    window: int = 600  # same_issue
    min_customers: int = 3
    by_category: bool = True
    by_text: bool = True
    similarity: float = 0.6
    send_at: time = time(18, 0)
    launches: tuple[Launch, ...] = ()
    enabled: bool = True

    def matches(self, code: str | None, name: str | None, klass: str | None) -> bool:
        """Does a contact of this category count for this rule (by class, code or name)?"""
        if code is None and name is None:
            return False
        return (klass in self.classes) or (code in self.categories) or (name in self.categories)

    @property
    def windows(self) -> tuple[int, ...]:
        """The ladder's distinct windows, shortest first."""
        return tuple(sorted({t.window for t in self.thresholds}))

    @property
    def horizon(self) -> int:
        """How far back (seconds) this rule ever looks."""
        longest = max(self.windows, default=0)
        if self.growth:
            longest = max(longest, self.growth.period + self.growth.window)
        return longest


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str = field(default="", compare=False)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def of_kind(self, kind: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind and r.enabled)


def load_rules(path: str | Path | None = None) -> RuleSet:
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc.strerror or exc})") from None
    return parse_rules(text)


def default_rules() -> RuleSet:
    return load_rules(DEFAULT_PATH)


def parse_rules(text: str) -> RuleSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RulesError(f"the rules file is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return rules_from_data(data, source=text)


def rules_from_data(data: Any, *, source: str = "") -> RuleSet:
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RulesError("rules: the file must be a mapping with a list under 'rules'")
    unknown = set(data) - {"version", "rules"}
    if unknown:
        raise RulesError(f"{sorted(unknown)[0]}: unknown top-level key (expected version, rules)")
    rules, seen = [], set()
    for i, raw in enumerate(data["rules"]):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"rules[{i}]" + (f" ({rule_id})" if isinstance(rule_id, str) else "")
        rule = _Reader(where, raw).rule()
        if rule.id in seen:
            raise RulesError(f"{where}.id: {rule.id!r} is used by another rule")
        seen.add(rule.id)
        rules.append(rule)
    return RuleSet(tuple(rules), source=source)


_COMMON = {"id", "name", "kind", "enabled", "classes", "categories", "cooldown", "level"}
_KEYS = {
    "ladder": _COMMON | {"resolution", "thresholds", "growth"},
    "same_issue": _COMMON | {"window", "min_customers", "by_category", "by_text", "similarity"},
    "digest": _COMMON | {"send_at", "launches"},
}


class _Reader:
    """Reads one rule mapping, raising ``RulesError`` with the path of the bad field."""

    def __init__(self, where: str, raw: Any) -> None:
        if not isinstance(raw, dict):
            raise RulesError(f"{where}: each rule must be a mapping")
        self.where, self.raw = where, raw

    def fail(self, key: str, message: str) -> RulesError:
        return RulesError(f"{self.where}.{key}: {message}")

    def rule(self) -> Rule:
        raw = self.raw
        kind = raw.get("kind", "ladder")
        if kind not in KINDS:
            raise self.fail("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        unknown = sorted(set(raw) - _KEYS[kind])
        if unknown:
            raise self.fail(unknown[0], f"unknown key for a {kind} rule")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            raise self.fail("id", "required: lower-case letters, digits and _ (at most 40), starting with a letter")
        common = {
            "id": rule_id, "name": self.text("name", rule_id), "kind": kind,
            "enabled": self.flag("enabled", True), "classes": self.classes(), "categories": self.strings("categories"),
            "cooldown": self.duration("cooldown", 3600), "level": self.level("level", "一级"),
        }
        if kind == "ladder":
            return self.ladder(common)
        if kind == "same_issue":
            return self.same_issue(common)
        return Rule(**common, send_at=self.clock("send_at"), launches=self.launches())

    def ladder(self, common: dict) -> Rule:
        if not common["classes"] and not common["categories"]:
            raise self.fail("classes", "a ladder rule needs classes or categories to count")
        resolution = self.duration("resolution", 60)
        rows = self.raw.get("thresholds")
        if not isinstance(rows, list) or not rows:
            raise self.fail("thresholds", "a ladder rule needs a non-empty list of thresholds")
        thresholds = tuple(self.threshold(f"thresholds[{j}]", row, resolution) for j, row in enumerate(rows))
        growth = self.growth(resolution) if self.raw.get("growth") is not None else None
        return Rule(**common, resolution=resolution, thresholds=thresholds, growth=growth)

    def threshold(self, key: str, row: Any, resolution: int) -> Threshold:
        if not isinstance(row, dict) or set(row) != {"window", "more_than", "level"}:
            raise self.fail(key, "each threshold is {window, more_than, level}")
        window = self._duration(f"{key}.window", row["window"])
        if window % resolution:
            raise self.fail(f"{key}.window", f"{format_duration(window)} is not a whole number of the rule's "
                                             f"resolution ({format_duration(resolution)})")
        more_than = row["more_than"]
        if isinstance(more_than, bool) or not isinstance(more_than, int) or more_than < 0:
            raise self.fail(f"{key}.more_than", "must be a whole number ≥ 0 (more_than: 5 is crossed at 6)")
        return Threshold(window, more_than, self._level(f"{key}.level", row["level"]))

    def growth(self, resolution: int) -> Growth:
        raw = self.raw["growth"]
        if not isinstance(raw, dict):
            raise self.fail("growth", "must be a mapping {window, period, min_base, every, steps}")
        unknown = sorted(set(raw) - {"window", "period", "min_base", "every", "steps"})
        if unknown:
            raise self.fail(f"growth.{unknown[0]}", "unknown key")
        window = self._duration("growth.window", raw.get("window", "1d"))
        if window % resolution:
            raise self.fail("growth.window", "is not a whole number of the rule's resolution")
        period_name = raw.get("period", "week")
        if period_name not in PERIODS:
            raise self.fail("growth.period", f"{period_name!r} is not one of day, week, year")
        min_base = raw.get("min_base", 20)
        if isinstance(min_base, bool) or not isinstance(min_base, int) or min_base < 1:
            raise self.fail("growth.min_base", "must be a whole number ≥ 1")
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise self.fail("growth.steps", "needs a non-empty list of {more_than_percent, level}")
        steps = []
        for j, step in enumerate(steps_raw):
            key = f"growth.steps[{j}]"
            if not isinstance(step, dict) or set(step) != {"more_than_percent", "level"}:
                raise self.fail(key, "each step is {more_than_percent, level}")
            pct = step["more_than_percent"]
            if isinstance(pct, bool) or not isinstance(pct, int | float) or pct < 0:
                raise self.fail(f"{key}.more_than_percent", "must be a number ≥ 0")
            steps.append(GrowthStep(float(pct), self._level(f"{key}.level", step["level"])))
        every = self._duration("growth.every", raw.get("every", "1h"))
        return Growth(window, PERIODS[period_name], period_name, min_base, every, tuple(steps))

    def same_issue(self, common: dict) -> Rule:
        by_category, by_text = self.flag("by_category", True), self.flag("by_text", True)
        if not (by_category or by_text):
            raise self.fail("by_text", "a same_issue rule needs by_category or by_text")
        min_customers = self.raw.get("min_customers", 3)
        if isinstance(min_customers, bool) or not isinstance(min_customers, int) or min_customers < 2:
            raise self.fail("min_customers", "must be a whole number ≥ 2")
        similarity = self.raw.get("similarity", 0.6)
        if isinstance(similarity, bool) or not isinstance(similarity, int | float) or not 0 < similarity <= 1:
            raise self.fail("similarity", "must be a number in (0, 1]")
        return Rule(**common, window=self.duration("window", 600), min_customers=min_customers,
                    by_category=by_category, by_text=by_text, similarity=float(similarity))

    def launches(self) -> tuple[Launch, ...]:
        raw = self.raw.get("launches", [])
        if not isinstance(raw, list):
            raise self.fail("launches", "must be a list of {name, start, end, categories, keywords}")
        out = []
        for j, item in enumerate(raw):
            key = f"launches[{j}]"
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
                raise self.fail(f"{key}.name", "each launch needs a name")
            start, end = (self._datetime(f"{key}.{k}", item.get(k)) for k in ("start", "end"))
            if end < start:
                raise self.fail(f"{key}.end", "is before start")
            cats = tuple(str(c) for c in item.get("categories") or ())
            words = tuple(str(w) for w in item.get("keywords") or ())
            if not cats and not words:
                raise self.fail(f"{key}.keywords", "a launch needs categories or keywords")
            out.append(Launch(item["name"].strip(), start, end, cats, words))
        return tuple(out)

    # ---- scalar readers
    def text(self, key: str, default: str) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip() or len(value) > 100:
            raise self.fail(key, "must be text of 1 to 100 characters")
        return value.strip()

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "must be a list of category codes or names")
        return tuple(v.strip() for v in value)

    def classes(self) -> tuple[str, ...]:
        value = self.strings("classes")
        bad = [c for c in value if c not in CLASSES]
        if bad:
            raise self.fail("classes", f"{bad[0]!r} is not one of {', '.join(CLASSES)}")
        return value

    def duration(self, key: str, default: Any) -> int:
        return self._duration(key, self.raw.get(key, default))

    def _duration(self, key: str, value: Any) -> int:
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def level(self, key: str, default: str) -> str:
        return self._level(key, self.raw.get(key, default))

    def _level(self, key: str, value: Any) -> str:
        if value not in RANK:
            raise self.fail(key, f"{value!r} is not a level: 二级, 一级 or 红色")
        return value

    def clock(self, key: str) -> time:
        value = str(self.raw.get(key, "18:00"))
        try:
            return time.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"{value!r} is not a time of day such as 18:00") from None

    def _datetime(self, key: str, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"{value!r} is not an ISO 8601 date and time") from None
