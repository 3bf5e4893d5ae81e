"""Reading a scheduling plan from files: the plan's JSON, and per-interval requirements from a CSV
(``date,time,requirement[,calls]``, one row per interval; UTF-8 or GB18030, as Excel saves it)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from kefu.core.textfiles import TextFileError, read_chinese_text


class InputError(ValueError):
    pass


def _text(path: Path) -> str:
    try:
        return read_chinese_text(path)
    except TextFileError as exc:
        raise InputError(str(exc)) from None


def read_plan(path: Path, requirements: Path | None = None) -> dict:
    try:
        data = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with days, shifts and agents")
    if requirements is not None:
        merge_requirements(data, _text(requirements), str(requirements))
    return data


def merge_requirements(data: dict, text: str, name: str = "requirements") -> None:
    """Put the CSV's requirements (and calls) into the plan's days, adding days the plan lacks."""
    interval = int((data.get("rules") or {}).get("interval", 30))
    days = {d.get("date"): d for d in data.setdefault("days", []) if isinstance(d, dict)}
    rows = csv.DictReader(io.StringIO(text))
    missing = {"date", "time", "requirement"} - set(rows.fieldnames or [])
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(sorted(missing))} (need date,time,requirement)")
    seen = {}
    for line, row in enumerate(rows, 2):
        try:
            h, m = (int(x) for x in row["time"].strip().split(":")[:2])
            value = float(row["requirement"])
            calls = float(row["calls"]) if row.get("calls") not in (None, "") else None
        except (ValueError, AttributeError):
            raise InputError(f"{name}, line {line}: expected a time like 08:30 and numbers") from None
        if (h * 60 + m) % interval or value < 0:
            raise InputError(f"{name}, line {line}: time off the {interval}-minute grid or a negative requirement")
        date = row["date"].strip()
        day = days.get(date)
        if day is None:
            day = days[date] = {"date": date}
            data["days"].append(day)
        if date not in seen:
            seen[date] = True
            day["requirement"], day["calls"] = [0.0] * (1440 // interval), None
        slot = (h * 60 + m) // interval
        day["requirement"][slot] = value
        if calls is not None:
            day["calls"] = day["calls"] or [0.0] * (1440 // interval)
            day["calls"][slot] = calls
    if not seen:
        raise InputError(f"{name}: no rows")
    data["days"].sort(key=lambda d: str(d.get("date")))
    for d in data["days"]:
        if d.get("calls") is None:
            d.pop("calls", None)
