"""Backtest: the alerts the rules would have raised on a history of contacts (``kefu alerts backtest``).

The CSV has a header with at least ``created_at,category`` (``customer_id`` and ``text`` optional): times in
ISO 8601 (without an offset: the center's time zone), the category by code or Chinese name. Contacts are
evaluated in time order by the same engine the server uses.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from kefu.alerts.engine import AlertEvent, Catalog, Engine
from kefu.alerts.rules import RuleSet
from kefu.core.textfiles import TextFileError, read_chinese_text

REQUIRED = ("created_at", "category")
OPTIONAL = ("customer_id", "text")


class EventsError(ValueError):
    """The events file cannot be read; the message names the line and column."""


@dataclass(frozen=True, slots=True)
class Row:
    at: float
    category: str | None
    customer: str | None
    text: str | None
    line: int


def as_line(alert: AlertEvent, catalog: Catalog, tz: tzinfo) -> dict:
    """One output line: the alert in the center's time, its category's Chinese name, the CSV lines."""
    out = alert.as_json()
    out["at"] = alert.at.astimezone(tz).isoformat()
    info = catalog.resolve(alert.category)
    if info is not None:
        out["category_name"] = info.name
    if "contacts" in out:
        out["lines"] = out.pop("contacts")
    return out


def read_events(path: Path, *, tz: tzinfo) -> list[Row]:
    try:
        content = read_chinese_text(path)
    except TextFileError as exc:
        raise EventsError(str(exc)) from None
    return list(_rows(csv.DictReader(io.StringIO(content, newline="")), path, tz))


def _rows(reader: csv.DictReader, path: Path, tz: tzinfo) -> Iterator[Row]:
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise EventsError(f"{path}: the header must name {', '.join(REQUIRED)} (missing {', '.join(missing)})")
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        stamp = (row.get("created_at") or "").strip()
        try:
            at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise EventsError(f"{path}, line {line}, created_at: {stamp!r} is not an ISO 8601 time") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=tz)
        yield Row(at.timestamp(), (row.get("category") or "").strip() or None,
                  (row.get("customer_id") or "").strip() or None, (row.get("text") or "").strip() or None, line)


def backtest(rows: list[Row], rules: RuleSet, catalog: Catalog, *, progress=None) -> list[AlertEvent]:
    """Every alert raised or escalated, in order (closings are left out). A category named by code or by
    Chinese name is one category; its code is what the alerts carry. ``contacts`` are the CSV's line numbers."""
    engine = Engine(rules, catalog)
    rows = sorted(rows, key=lambda r: r.at)
    codes: dict[str | None, str | None] = {}
    for i, row in enumerate(rows):
        code = codes.get(row.category, False)
        if code is False:
            info = catalog.resolve(row.category)
            code = codes[row.category] = info.code if info else None
        engine.feed(row.at, code, row.customer, row.text, row.line)
        if progress is not None and i % 10_000 == 0:
            progress(i)
    if rows:
        engine.tick(rows[-1].at)
    return [a for a in engine.alerts if a.action != "closed"]
