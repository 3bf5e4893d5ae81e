"""``kefu simulate``: generate contacts into the database, a CSV file or a running kefu's API."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console

console = Console()
err = Console(stderr=True, soft_wrap=True)  # an error line is never broken (a path in it stays whole)


def _fail(message: str) -> None:
    err.print(f"[red]kefu simulate:[/red] {message}", highlight=False)
    raise typer.Exit(2)


def simulate(
    days: int = typer.Option(1, "--days", help="Days of traffic."),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed and options give the same contacts."),
    start: str | None = typer.Option(None, "--start", help="First day, YYYY-MM-DD (center time). Default: the "
                                     "days up to yesterday; with --api, today."),
    scale: float = typer.Option(1.0, "--scale", help="Volume multiplier; 1 is about 10,000 contacts on an "
                                "ordinary weekday."),
    spike: list[str] = typer.Option([], "--spike", help="CATEGORY@TIME×FACTOR[+DURATION], repeatable, e.g. "
                                    "food_safety@2026-11-20T18:00x8+3h (x for ×; default duration 2h)."),
    api: str | None = typer.Option(None, "--api", help="Send to a running kefu at this base URL "
                                   "(POST /api/v1/contacts/bulk) at the pace the contacts happened."),
    token: str | None = typer.Option(None, "--token", help="API key or bearer token for --api."),
    speed: float = typer.Option(1.0, "--speed", help="With --api: simulated seconds per wall-clock second."),
    csv: Path | None = typer.Option(None, "--csv", help="Write a CSV (the columns `kefu import contacts` reads) "
                                    "instead of the database."),
) -> None:
    """Generate realistic contacts: Poisson arrivals by hour, weekday and holiday, spikes, queues."""
    from kefu.simulate import sinks
    from kefu.simulate.model import Model, Scenario
    from kefu.simulate.profile import CATEGORIES
    from kefu.simulate.spikes import CENTER_TZ, SpikeError, parse_spike

    if days < 1 or days > 3660:
        _fail("--days must be between 1 and 3660")
    if not 0 < scale <= 1000:
        _fail("--scale must be greater than 0 and at most 1000")
    if api and csv:
        _fail("choose one of --api and --csv")
    if api and not token:
        _fail("--api needs --token (an API key, see the admin's API keys page)")
    if not api and (token or speed != 1.0):
        _fail("--token and --speed go with --api")
    if speed <= 0:
        _fail("--speed must be positive")
    today = datetime.now(CENTER_TZ).date()
    try:
        first = date.fromisoformat(start) if start else (today if api else today - timedelta(days=days))
    except ValueError:
        _fail(f"--start {start!r} is not a date like 2026-11-01")
    codes = [c.code for c in CATEGORIES]
    try:
        spikes = tuple(parse_spike(text, codes) for text in spike)
    except SpikeError as exc:
        _fail(str(exc))

    factory, cats, lines, agents = None, set(), set(), []
    if not api and not csv:
        factory, cats, lines, agents = _database()
    try:
        scenario = Scenario(start=first, days=days, seed=seed, scale=scale, spikes=spikes, agents=tuple(agents))
        model = Model(scenario)
        for edge in (first, first + timedelta(days=days - 1)):  # a year outside the holiday tables fails here
            model.rates(edge)
    except ValueError as exc:
        _fail(str(exc))
    for s in spikes:
        console.print(f"spike: {s.label}", highlight=False)
    target = api or (str(csv) if csv else "the database")
    with _progress() as progress:
        task = progress.add_task(f"模拟 {days} 天 → {target}", total=days)
        days_iter = (model.day(first + timedelta(days=k)) for k in range(days))

        def step(_day) -> None:
            progress.advance(task)

        try:
            if csv:
                tally = sinks.to_csv(csv, model, days_iter, step)
            elif api:
                tally = sinks.to_api(api, token, model, days_iter, step, speed=speed)
            else:
                from kefu.core.clock import SystemClock

                tally = sinks.to_database(factory, model, days_iter, step, cats=cats, lines=lines,
                                          now=SystemClock().now)
        except sinks.ApiError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot write {csv}: {exc.strerror or exc}")
    missing = [c for c in codes if c not in cats] if factory is not None else []
    _report(tally, csv is not None, missing)


def _database():
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.cli import _redact, _settings
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.simulate import sinks

    url = _settings().database_url
    factory = make_sessionmaker(make_engine(url))
    try:
        cats, lines, agents = sinks.known_codes(factory)
    except SQLAlchemyError:
        _fail(f"cannot read the database at {_redact(url)}; run `kefu db upgrade` first")
    return factory, cats, lines, agents


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("days"),
                    TimeRemainingColumn(), console=err, transient=True)


def _report(tally, to_csv: bool, missing: list[str]) -> None:
    if to_csv:
        console.print(f"{tally.contacts} contacts written", highlight=False)
        return
    console.print(f"{tally.contacts} contacts: created {tally.created}, duplicates {tally.duplicates}, "
                  f"errors {tally.errors}", highlight=False)
    if missing:
        console.print(f"{len(missing)} of the simulator's categories are not in this database (e.g. {missing[0]}); "
                      "their contacts are stored without a category", highlight=False)
    for line in tally.first_errors:
        err.print(f"  {line}", highlight=False)
    if tally.errors:
        raise typer.Exit(1)
