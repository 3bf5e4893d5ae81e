"""A simulated day as call-detail records: dicts for the contacts API, rows for CSV (same columns).

Times are ISO 8601 in center time with ``+08:00``; absent values are ``None`` in a record and empty in CSV.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

import numpy as np
from numpy.dtypes import StringDType

from kefu.simulate import profile as P
from kefu.simulate.model import NONE, Day, Model

COLUMNS = ("call_id", "channel", "customer_phone", "queue", "offered_at", "answered_at", "ended_at", "outcome",
           "talk_seconds", "hold_seconds", "wrap_seconds", "customer_role", "business_line", "category", "agent")
_TIME_OF_DAY: np.ndarray | None = None


def _time_of_day() -> np.ndarray:
    """"HH:MM:SS+08:00" for each second of a day, made once: formatting is a table look-up."""
    global _TIME_OF_DAY
    if _TIME_OF_DAY is None:
        _TIME_OF_DAY = np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+08:00" for s in range(86400)],
                                dtype=object)
    return _TIME_OF_DAY


def _iso(epoch: np.ndarray) -> list[str]:
    absent = epoch == NONE
    if absent.all():
        return [""] * len(epoch)
    local = epoch + 8 * 3600
    first = int(local[~absent].min()) // 86400
    local = np.where(absent, first * 86400, local)
    days, seconds = local // 86400 - first, local % 86400
    dates = np.array([f"{np.datetime64(first + k, 'D')}T" for k in range(int(days.max()) + 1)], dtype=object)
    text = dates[days] + _time_of_day()[seconds]
    text[absent] = ""
    return text.tolist()


_NUMBERS = np.array([], dtype=object)


def _ints(values: np.ndarray) -> list[str]:
    """Seconds as text ("" for NONE) by table look-up; a table of small numbers is made once."""
    global _NUMBERS
    top = int(values.max(initial=0))
    if top >= 1_000_000:
        text = values.astype(StringDType())
        text[values == NONE] = ""
        return text.tolist()
    if len(_NUMBERS) <= top + 1:
        _NUMBERS = np.array([str(k) for k in range(max(top + 2, 2 * len(_NUMBERS), 20_000))] + [""], dtype=object)
        _NUMBERS[-1] = ""
    return _NUMBERS[np.where(values == NONE, len(_NUMBERS) - 1, values)].tolist()


def _phones(values: np.ndarray) -> list[str]:
    return values.astype(StringDType()).tolist()


def _pick(names, index: np.ndarray) -> list[str]:
    return np.array(list(names), dtype=object)[index].tolist()


def columns(model: Model, day: Day) -> dict[str, list[str]]:
    """The day's CSV columns as lists of strings (absent: empty)."""
    queues = [f"{line}.{ch}" for line in model.lines for ch in P.CHANNELS]
    return {
        "call_id": day.call_ids,
        "channel": _pick(P.CHANNELS, day.channel),
        "customer_phone": _phones(day.phone),
        "queue": _pick(queues, day.line * len(P.CHANNELS) + day.channel),
        "offered_at": _iso(day.offered),
        "answered_at": _iso(day.answered),
        "ended_at": _iso(day.ended),
        "outcome": _pick(P.OUTCOMES, day.outcome),
        "talk_seconds": _ints(day.talk),
        "hold_seconds": _ints(day.hold),
        "wrap_seconds": _ints(day.wrap),
        "customer_role": _pick(P.ROLES, day.role),
        "business_line": _pick(model.lines, day.line),
        "category": _pick(model.codes, day.category),
        "agent": _pick([*model.sc.agents, ""], day.agent),  # NONE (-1) picks the trailing ""
    }


def records(model: Model, day: Day) -> Iterator[dict]:
    """The day's records as the contacts API takes them (absent values None, seconds as ints)."""
    cols = columns(model, day)
    ints = {"talk_seconds", "hold_seconds", "wrap_seconds"}
    for row in zip(*(cols[c] for c in COLUMNS), strict=True):
        rec = {}
        for name, value in zip(COLUMNS, row, strict=True):
            rec[name] = (int(value) if name in ints else value) if value != "" else None
        if rec["agent"] is None:
            del rec["agent"]
        yield rec


def write_csv_header(out: TextIO) -> None:
    out.write(",".join(COLUMNS) + "\n")


def write_csv_day(out: TextIO, model: Model, day: Day) -> None:
    """Append the day's rows. No field can hold a comma, quote or newline (codes, digits, ISO times,
    ASCII usernames are checked by the CLI), so rows are joined without the csv module's quoting pass."""
    if len(day):
        cols = columns(model, day)
        out.write("\n".join(map(",".join, zip(*(cols[c] for c in COLUMNS), strict=True))) + "\n")
