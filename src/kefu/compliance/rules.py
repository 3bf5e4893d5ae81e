"""The etiquette rules as data (``rules.toml`` in this package), loaded once and compiled into a few regexes.

``load_rules(path)`` reads a center's own file: each top-level table it has replaces the packaged one, so a
center may ship only ``[[forbidden_wording]]`` and keep the rest. A bad file raises ``RulesError`` naming
the table and key.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("rules.toml")


class RulesError(ValueError):
    """The rules file cannot be read or is not shaped like ``rules.toml``."""


@dataclass(frozen=True)
class Wording:
    """One forbidden wording and what to say instead."""

    words: tuple[str, ...]
    message: str
    suggestion: str | None


@dataclass(frozen=True)
class Advice:
    message: str
    suggestion: str | None


@dataclass(frozen=True)
class RuleSet:
    wordings: tuple[Wording, ...]
    judging_words: tuple[str, ...]
    judging: Advice
    exclamation_max: int
    exclamation: Advice
    repeat_threshold: float
    repeated: Advice
    question_endings: tuple[str, ...]
    function_words: tuple[str, ...]
    repeat_exempt: tuple[str, ...]
    opening_phrases: tuple[str, ...]
    opening: Advice
    closing_phrases: tuple[str, ...]
    closing: Advice
    internal_markers: tuple[str, ...]
    host_suffixes: tuple[str, ...]
    host_prefixes: tuple[str, ...]
    internal: Advice
    pii_allowed: frozenset[str]

    @functools.cached_property
    def words_re(self) -> re.Pattern[str]:
        """Forbidden wordings, judging words and internal markers in one alternation, longest first (one pass
        over the text finds all three kinds; ``word_kind`` says which a match is)."""
        return _alternation(list(self.word_kind))

    @functools.cached_property
    def word_kind(self) -> dict[str, tuple[str, Any]]:
        """Lower-cased word → (rule, Wording | Advice)."""
        kinds: dict[str, tuple[str, Any]] = {}
        for marker in self.internal_markers:
            kinds.setdefault(marker.lower(), ("internal_leak", self.internal))
        for wording in self.wordings:
            for word in wording.words:
                kinds.setdefault(word.lower(), ("forbidden_wording", wording))
        for word in self.judging_words:
            kinds.setdefault(word.lower(), ("judging_customer", self.judging))
        return kinds

    @functools.cached_property
    def function_re(self) -> re.Pattern[str]:
        return _alternation(list(self.function_words))

    @functools.cached_property
    def opening_re(self) -> re.Pattern[str]:
        return _alternation(list(self.opening_phrases))

    @functools.cached_property
    def closing_re(self) -> re.Pattern[str]:
        return _alternation(list(self.closing_phrases))

    @functools.cached_property
    def exempt_re(self) -> re.Pattern[str]:
        return _alternation(list(self.repeat_exempt))

    @functools.cached_property
    def question_end_re(self) -> re.Pattern[str]:
        endings = "".join(re.escape(e) for e in self.question_endings if len(e) == 1)
        return re.compile(rf"(?:[?？]|[{endings}][\s~～…。.!！]*)$" if endings else r"[?？]$")


def _alternation(words: list[str]) -> re.Pattern[str]:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def _table(data: dict, name: str) -> dict:
    value = data.get(name)
    if not isinstance(value, dict):
        raise RulesError(f"[{name}] is missing or not a table")
    return value


def _str(table: dict, name: str, key: str, *, optional: bool = False) -> str | None:
    value = table.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        raise RulesError(f"[{name}] {key} must be a non-empty string")
    return value


def _strings(table: dict, name: str, key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"[{name}] {key} must be a list of non-empty strings")
    return tuple(value)


def _advice(table: dict, name: str) -> Advice:
    return Advice(message=_str(table, name, "message"), suggestion=_str(table, name, "suggestion", optional=True))


def _number(table: dict, name: str, key: str, low: float, high: float) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise RulesError(f"[{name}] {key} must be a number from {low} to {high}")
    return value


def rules_from_dict(data: dict) -> RuleSet:
    """A RuleSet from data shaped like ``rules.toml``."""
    entries = data.get("forbidden_wording")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RulesError("[[forbidden_wording]] must be a list of tables")
    wordings = tuple(Wording(words=_strings(e, "forbidden_wording", "words"),
                             message=_str(e, "forbidden_wording", "message"),
                             suggestion=_str(e, "forbidden_wording", "suggestion", optional=True)) for e in entries)
    judging, excl, rep = (_table(data, n) for n in ("judging_customer", "exclamation", "repeated_question"))
    opening, closing, internal = (_table(data, n) for n in ("opening", "closing", "internal_leak"))
    pii = data.get("pii", {})
    if not isinstance(pii, dict):
        raise RulesError("[pii] must be a table")
    return RuleSet(
        wordings=wordings,
        judging_words=_strings(judging, "judging_customer", "words"),
        judging=_advice(judging, "judging_customer"),
        exclamation_max=int(_number(excl, "exclamation", "max", 0, 100)),
        exclamation=_advice(excl, "exclamation"),
        repeat_threshold=float(_number(rep, "repeated_question", "threshold", 0.01, 1.0)),
        repeated=_advice(rep, "repeated_question"),
        question_endings=_strings(rep, "repeated_question", "question_endings"),
        function_words=_strings(rep, "repeated_question", "function_words"),
        repeat_exempt=_strings(rep, "repeated_question", "exempt"),
        opening_phrases=_strings(opening, "opening", "phrases"),
        opening=_advice(opening, "opening"),
        closing_phrases=_strings(closing, "closing", "phrases"),
        closing=_advice(closing, "closing"),
        internal_markers=_strings(internal, "internal_leak", "markers"),
        host_suffixes=tuple(s.lower() for s in _strings(internal, "internal_leak", "host_suffixes")),
        host_prefixes=tuple(s.lower() for s in _strings(internal, "internal_leak", "host_prefixes")),
        internal=_advice(internal, "internal_leak"),
        pii_allowed=frozenset(_strings(pii, "pii", "allowed")),
    )


def _read(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise RulesError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path} is not valid TOML: {exc}") from None


@functools.cache
def default_rules() -> RuleSet:
    return rules_from_dict(_read(DEFAULT_PATH))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The packaged rules, with the tables of the file at ``path`` (if given) replacing theirs."""
    if path is None:
        return default_rules()
    data = _read(DEFAULT_PATH)
    data.update(_read(Path(path)))
    return rules_from_dict(data)
