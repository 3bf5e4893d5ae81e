"""``kefu alerts``: backtest the rules on a CSV of contacts, check a rules file, rebuild the live counts."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import Progress

import kefu.alerts.live  # noqa: F401  (contacts imported by the CLI count for alerts too)
from kefu.alerts.backtest import EventsError, as_line, backtest, read_events
from kefu.alerts.engine import Catalog, CategoryInfo, demo_catalog
from kefu.alerts.rules import RulesError, load_rules

alerts_app = typer.Typer(help="上报预警: complaint-spike alert rules, backtests and live counts.", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error line is never broken


def _rules(path: Path | None):
    try:
        return load_rules(path)
    except RulesError as exc:
        err.print(f"[red]rules:[/red] {exc}")
        raise typer.Exit(2) from None


def _catalog(use_store: bool) -> tuple[Catalog, str]:
    """The store's categories when it has any (``--store``), else the demo center's."""
    if use_store:
        try:
            from sqlalchemy import select

            from kefu.catalog.models import Category
            from kefu.core.db import make_engine
            from kefu.core.settings import get_settings

            url = get_settings().database_url
            if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
                return demo_catalog(), "demo"
            engine = make_engine(url)
            with engine.connect() as conn:
                rows = conn.execute(select(Category.code, Category.name, Category.severity_class)).all()
            engine.dispose()
            if rows:
                return Catalog(CategoryInfo(*r) for r in rows), "store"
        except Exception as exc:  # no store here: the demo catalog still names the seed's categories
            err.print(f"[yellow]store not read ({type(exc).__name__}); using the demo categories[/yellow]")
    return demo_catalog(), "demo"


@alerts_app.command("backtest")
def backtest_command(
    events: Path = typer.Option(..., "--events", help="CSV with created_at,category[,customer_id,text]."),
    rules: Path | None = typer.Option(None, "--rules", help="A rules file (YAML); default: the packaged rules."),
    store: bool = typer.Option(True, "--store/--demo-categories",
                               help="Read category classes from the store (KEFU_DATABASE_URL) or the demo's."),
) -> None:
    """Print each alert the rules would have raised, one JSON object a line, in time order."""
    from kefu.core.settings import get_settings

    ruleset = _rules(rules)
    tz = ZoneInfo(get_settings().timezone)
    try:
        rows = read_events(events, tz=tz)
    except EventsError as exc:
        err.print(f"[red]events:[/red] {exc}")
        raise typer.Exit(2) from None
    catalog, source = _catalog(store)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"{len(rows):,} contacts ({source} categories)", total=len(rows))
        alerts = backtest(rows, ruleset, catalog, progress=lambda i: bar.update(task, completed=i))
    for alert in alerts:
        typer.echo(json.dumps(as_line(alert, catalog, tz), ensure_ascii=False))
    err.print(f"{len(alerts)} alert(s) from {len(rows):,} contact(s)")


@alerts_app.command("check-rules")
def check_rules_command(rules: Path = typer.Argument(..., help="A rules file (YAML).")) -> None:
    """Validate a rules file; exit 2 naming the first bad field."""
    ruleset = _rules(rules)
    for rule in ruleset.rules:
        typer.echo(f"{rule.id}\t{rule.kind}\t{rule.name}")


@alerts_app.command("rebuild")
def rebuild_command() -> None:
    """Recompute the shared alert counts from the stored contacts (KEFU_DATABASE_URL)."""
    from datetime import UTC, datetime

    from kefu.alerts.counts import rebuild
    from kefu.alerts.store import current_rules
    from kefu.core.db import make_engine, make_sessionmaker, session_scope
    from kefu.core.settings import get_settings

    engine = make_engine(get_settings().database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            counted = rebuild(session, rules=current_rules(session), now=datetime.now(UTC))
    finally:
        engine.dispose()
    typer.echo(f"{counted} contact(s) counted")
