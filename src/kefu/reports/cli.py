"""``kefu report kpis|top-reasons|rebuild``: the report API's figures on the command line, as JSON, CSV or xlsx,
and recomputing the rollups from the raw contacts."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console

report_app = typer.Typer(help="KPIs, TOP10 reasons and the rollups behind them.", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # an error line is never broken (a path in it stays whole)
FORMATS = ("json", "csv", "xlsx")


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(code)


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"--{name}: expected a date YYYY-MM-DD, got {text!r}")


def _factory():
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.cli import _redact, _settings
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.reports.models import KpiRollup

    url = _settings().database_url
    factory = make_sessionmaker(make_engine(url))
    try:
        with factory() as s:
            s.query(KpiRollup.grain).limit(1).all()
    except SQLAlchemyError:
        _fail(f"cannot read the database at {_redact(url)}; run `kefu db upgrade` first")
    return factory


def _emit(data: dict, rows: list[dict], columns, fmt: str, output: Path | None, name: str) -> None:
    from kefu.reports import export

    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}")
    if fmt == "json":
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        output.write_text(text, encoding="utf-8") if output else sys.stdout.write(text + "\n")
        return
    body = export.to_csv(rows, columns) if fmt == "csv" else export.to_xlsx(rows, columns, title=name)
    if output is None and fmt == "csv":
        sys.stdout.write(body.decode("utf-8-sig"))
        return
    output = output or Path(f"{name}.xlsx")
    output.write_bytes(body)
    err.print(f"written {output}", highlight=False)


@report_app.command("kpis")
def kpis_command(from_: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD, the center's time zone)."),
                 to: str = typer.Option(..., "--to", help="Last day, inclusive."),
                 group_by: str | None = typer.Option(None, "--group-by", help="channel, queue, category, "
                                                     "business_line, agent, team, interval, day, week, month."),
                 fmt: str = typer.Option("json", "--format", help="json, csv or xlsx."),
                 output: Path | None = typer.Option(None, "--output", "-o", help="File to write (xlsx default: "
                                                    "kpis-FROM-TO.xlsx; json/csv default: stdout).")) -> None:
    """KPIs of a period: totals, deviations from targets, and a row per group."""
    from kefu.core.errors import DomainError
    from kefu.reports import export, service

    first, last = _day(from_, "from"), _day(to, "to")
    with _factory()() as session:
        try:
            report = service.kpi_report(session, service.period(first, last), group_by=group_by,
                                        now=datetime.now().astimezone())
        except DomainError as exc:
            _fail(f"--{(exc.field or 'from').replace('_', '-')}: {exc}")
    rows = report.get("rows") or [{"key": "total", "label": "合计", **report["totals"]}]
    _emit(report, rows, export.KPI_COLUMNS, fmt, output, f"kpis-{first}-{last}")


@report_app.command("top-reasons")
def top_command(from_: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)."),
                to: str = typer.Option(..., "--to", help="Last day, inclusive."),
                limit: int = typer.Option(10, min=1, max=100, help="How many reasons."),
                fmt: str = typer.Option("json", "--format", help="json, csv or xlsx."),
                output: Path | None = typer.Option(None, "--output", "-o", help="File to write.")) -> None:
    """The TOP N contact reasons (categories) with their change against the previous period."""
    from kefu.core.errors import DomainError
    from kefu.reports import export, service

    first, last = _day(from_, "from"), _day(to, "to")
    with _factory()() as session:
        try:
            report = service.top_reasons(session, service.period(first, last), limit=limit)
        except DomainError as exc:
            _fail(f"--{exc.field or 'from'}: {exc}")
    _emit(report, report["data"], export.TOP_COLUMNS, fmt, output, f"top-reasons-{first}-{last}")


@report_app.command("rebuild")
def rebuild_command(from_: str | None = typer.Option(None, "--from", help="First day; default: the first contact."),
                    to: str | None = typer.Option(None, "--to", help="Last day, inclusive; default: the last."),
                    ) -> None:
    """Recompute the KPI rollups from the raw contacts (after changing KEFU_SERVICE_LEVEL_SECONDS or
    KEFU_SHORT_ABANDON_SECONDS, or after loading contacts behind kefu's back)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from kefu.core.db import session_scope
    from kefu.reports import service
    from kefu.reports.rollups import rebuild

    start = end = None
    if from_ or to:
        p = service.period(_day(from_, "from") if from_ else date(2000, 1, 1), _day(to, "to") if to else
                           date.today())
        start, end = (p.start if from_ else None), (p.end if to else None)
    with Progress(TextColumn("rollups"), BarColumn(), MofNCompleteColumn(), TextColumn("days"), console=err,
                  transient=True) as bar, session_scope(_factory()) as session:
        task = bar.add_task("rebuild", total=None)
        n = rebuild(session, start, end, progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"rollups rebuilt from {n} contacts", highlight=False)


@report_app.command("voc")
def voc_command(line: str = typer.Option(..., "--line", help="The business line's code (e.g. waimai)."),
                week: str = typer.Option(..., "--week", help="Any day of the week (YYYY-MM-DD)."),
                output: Path = typer.Option(..., "--output", "-o", help="The PDF file to write.")) -> None:
    """The weekly voice-of-customer report (客户之声周报) of a business line as a PDF."""
    from sqlalchemy import select

    from kefu.catalog.models import BusinessLine
    from kefu.reports import pdf, voc

    day = _day(week, "week")
    with _factory()() as session:
        line_id = session.scalar(select(BusinessLine.id).where(BusinessLine.code == line))
        if line_id is None:
            _fail(f"--line: no business line with code {line!r}")
        report = voc.weekly(session, line_id=line_id, day=day)
    try:
        output.write_bytes(pdf.render(report))
    except OSError as exc:
        _fail(f"--output: cannot write {output}: {exc.strerror}")
    err.print(f"written {output}", highlight=False)
