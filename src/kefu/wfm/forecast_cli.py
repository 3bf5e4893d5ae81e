"""``kefu wfm forecast``: half-hourly volume per queue from the contacts history or a CSV, as a table, JSON
or CSV, with an optional rolling-origin backtest against the seasonal-naive baseline."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from kefu.core.textfiles import TextFileError, read_chinese_text
from kefu.wfm.forecast_service import QueueForecast, as_json, forecast_all
from kefu.wfm.forecasting.history import WEEKDAYS_ZH

err = Console(stderr=True, soft_wrap=True)  # an error line is never broken (a path in it stays whole)


class Output(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]cannot forecast:[/red] {message}", soft_wrap=True, markup=True, highlight=False)
    return typer.Exit(2)


def _read_text(path: Path) -> str:
    try:
        return read_chinese_text(path)
    except TextFileError as exc:
        raise _fail(str(exc)) from None


def _zone(name: str | None) -> ZoneInfo:
    if name is None:
        from kefu.core.settings import get_settings

        return get_settings().tz
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f"--tz: unknown time zone {name!r}") from None


def _day(option: str, text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise _fail(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _from_db(tz: ZoneInfo, *, today: date | None, queues: list[str], channel: str | None, history_days: int,
             interval: int):
    from kefu.core.clock import SystemClock
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.settings import get_settings
    from kefu.wfm.forecast_source import default_window, histories_from_contacts

    today = today or SystemClock().now().astimezone(tz).date()
    first, until = default_window(today, history_days)
    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            found = histories_from_contacts(session, first=first, until=until, tz=tz, queues=queues or None,
                                            channel=channel, slot_minutes=interval)
    finally:
        engine.dispose()
    return found, today


def _table(results: list[QueueForecast]) -> None:
    out = Console()
    for r in results:
        table = Table(title=f"{r.queue}: {len(r.days)} days × {r.slot_minutes}-minute intervals "
                            f"(history {r.history_days} days)")
        for col in ("日期", "星期", "预测量", "峰值时段", "峰值"):
            table.add_column(col, justify="right")
        per_day = len(r.values) // max(1, len(r.days))
        for i, d in enumerate(r.days):
            day = r.values[i * per_day:(i + 1) * per_day]
            peak = max(range(per_day), key=day.__getitem__)
            table.add_row(d.isoformat(), WEEKDAYS_ZH[d.weekday()], f"{r.day_totals[i]:,.0f}",
                          r.intervals[i * per_day + peak].strftime("%H:%M"), f"{day[peak]:,.1f}")
        out.print(table)
        if r.effects:
            out.print("effects: " + ", ".join(f"{k} ×{v:.2f}" for k, v in r.effects.items()))
        for b in r.backtests:
            out.print(f"backtest {b.name}: WAPE {b.wape:.4f} MAPE {b.mape:.4f} "
                      f"({len(b.origins)} windows of {b.horizon_days} days)")
        for note in r.notes:
            out.print(f"[yellow]note:[/yellow] {note}")


def forecast(
    csv_file: Path | None = typer.Option(None, "--csv", help="CSV of past volume instead of the contacts table."),
    queue: list[str] = typer.Option([], "--queue", "-q", help="Queue to forecast (repeat; default: all)."),
    channel: str | None = typer.Option(None, help="Only contacts of this channel (from the database)."),
    horizon: int = typer.Option(14, min=1, max=92, help="Calendar days to forecast."),
    start: str | None = typer.Option(None, help="First day to forecast, YYYY-MM-DD (default: after the history)."),
    as_of: str | None = typer.Option(None, help="Day the forecast is made, YYYY-MM-DD: the contacts history ends "
                                               "the day before (default: today)."),
    history_days: int = typer.Option(182, min=14, max=1100, help="Days of contacts history to learn from."),
    interval: int = typer.Option(30, help="Interval length in minutes (15, 30 or 60)."),
    output: Output = typer.Option(Output.table, "--format", "-f", help="table, json or csv."),
    backtest: int = typer.Option(0, min=0, max=52, help="Rolling-origin backtest windows to report (0: none)."),
    tune: bool = typer.Option(False, help="Choose the model's parameters by backtest on this history."),
    tz: str | None = typer.Option(None, help="Time zone of the intervals (default: KEFU_TIMEZONE)."),
    time_column: str = typer.Option("interval_start", help="CSV column of the interval start."),
    count_column: str = typer.Option("count", help="CSV column of the count."),
    queue_column: str = typer.Option("queue", help="CSV column of the queue (absent: one queue)."),
    records: bool = typer.Option(False, "--records", help="Each CSV row is one contact (a CDR export, `kefu "
                                                          "simulate --csv`): count rows, no count column."),
) -> None:
    """Forecast contacts per interval and queue (话务预测)."""
    from kefu.wfm.forecast_source import SourceError, histories_from_csv

    if interval not in (15, 30, 60):
        raise _fail(f"--interval must be 15, 30 or 60, not {interval}")
    first_day, today = _day("--start", start), _day("--as-of", as_of)
    zone = _zone(tz)
    try:
        if csv_file is not None:
            histories = histories_from_csv(_read_text(csv_file), tz=zone, time_column=time_column,
                                           count_column=None if records else count_column,
                                           queue_column=queue_column,
                                           slot_minutes=interval)
            histories = {q: h for q, h in histories.items() if not queue or q in queue}
        else:
            histories, today = _from_db(zone, today=today, queues=queue, channel=channel,
                                        history_days=history_days, interval=interval)
            first_day = first_day or today
    except SourceError as exc:
        raise _fail(str(exc)) from None
    if missing := [q for q in queue if q not in histories]:
        raise _fail(f"--queue: no volume for {'、'.join(missing)}")
    if not histories:
        raise _fail("no inbound contacts in the history window")
    try:
        results = forecast_all(histories, horizon_days=horizon, start=first_day, backtest_windows=backtest,
                               tune_params=tune)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _emit(results, output)


def _emit(results: list[QueueForecast], output: Output) -> None:
    if output is Output.json:
        typer.echo(json.dumps({"data": [as_json(r) for r in results], "count": len(results)}, ensure_ascii=False))
    elif output is Output.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["queue", "interval_start", "forecast"])
        for r in results:
            w.writerows((r.queue, t.isoformat(), v) for t, v in zip(r.intervals, r.values, strict=True))
        typer.echo(buf.getvalue(), nl=False)
    else:
        _table(results)
