"""``kefu wfm adherence ROSTER.json LOG.json``: the agents' logged states against their schedule."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error line is never broken


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def _load(path: Path, key: str, option: str):
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        _fail(f"{option}: cannot read {path}: {exc.strerror or exc}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"{option}: {path} is not UTF-8 JSON ({exc})")
    return data.get(key) if isinstance(data, dict) else data


def _where(exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    return f"{loc}: {first['msg']}"


def adherence(
    roster: Path | None = typer.Argument(None, help="The schedule: `kefu wfm schedule --format json` output, or "
                                         "its agents list. Without it: the published roster and state log."),
    log: Path | None = typer.Argument(None, help="Logged states: a JSON list of {agent, start, end, state}."),
    from_: str | None = typer.Option(None, "--from", help="From the store: first day (YYYY-MM-DD, center's zone)."),
    to: str | None = typer.Option(None, "--to", help="From the store: last day, inclusive (default: --from)."),
    team: int | None = typer.Option(None, "--team", help="From the store: only this team's agents."),
    grace: float = typer.Option(2, "--grace", help="Minutes after each scheduled change counted as adhering."),
    interval: int = typer.Option(30, "--interval", help="Minutes per interval of the per-interval shares."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Schedule adherence (排班遵从度) and conformance per agent and overall: from two files, or (--from/--to)
    from the published roster and the agents' stored state log."""
    from kefu.core.errors import Invalid
    from kefu.core.settings import get_settings
    from kefu.wfm.adherence_api import AdherenceRequest, compute

    if fmt not in ("table", "json"):
        _fail(f"--format: table or json, not {fmt!r}")
    if roster is None:
        if from_ is None:
            _fail("give ROSTER and LOG files, or --from (and --to) to read the published roster and state log")
        result = _from_store(from_, to or from_, team, grace, interval)
    else:
        if log is None:
            _fail("LOG: the logged states file is missing (or leave out ROSTER and give --from)")
        body = {"roster": _load(roster, "agents", "ROSTER"), "logged": _load(log, "logged", "LOG"),
                "grace_minutes": grace, "interval_minutes": interval}
        try:
            result = compute(AdherenceRequest.model_validate(body), get_settings().tz)
        except ValidationError as exc:
            _fail(_where(exc).replace("grace_minutes", "--grace").replace("interval_minutes", "--interval"))
        except Invalid as exc:
            _fail(exc.message)
    if fmt == "json":
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    out.print(_table(result))


def _from_store(first: str, last: str, team: int | None, grace: float, interval: int) -> dict:
    from datetime import timedelta

    from kefu.core.clock import SystemClock
    from kefu.core.errors import DomainError
    from kefu.reports.cli import _day, _factory
    from kefu.reports.queries import Period
    from kefu.wfm import rosters
    from kefu.wfm.rosters_api import agents_of

    if not (0 <= grace <= 60):
        _fail("--grace: 0 to 60 minutes")
    if not (5 <= interval <= 120):
        _fail("--interval: 5 to 120 minutes")
    from kefu.core.settings import get_settings

    try:
        p = Period(_day(first, "from"), _day(last, "to"), get_settings().tz)
    except DomainError as exc:
        _fail(f"--{exc.field}: {exc.message}")
    with _factory()() as session:
        return rosters.stored_adherence(session, user_ids=agents_of(session, agent=None, team=team),
                                        first=p.first, last=p.last, tz=p.tz, now=SystemClock().now(),
                                        grace=timedelta(minutes=grace), interval_minutes=interval)


def _pct(v) -> str:
    return "—" if v is None else f"{v:.1%}"


def _table(result: dict) -> Table:
    table = Table(title="排班遵从度 (adherence)")
    for name in ("agent", "scheduled min", "in adherence min", "adherence", "conformance", "out of adherence"):
        table.add_column(name, justify="left" if name in ("agent", "out of adherence") else "right")
    for agent, a in result["agents"].items():
        spans = ", ".join(f"{s['start'][11:16]}–{s['end'][11:16]} {s['scheduled']}→{s['logged']}"
                          for s in a["out_of_adherence"][:3]) + (" …" if len(a["out_of_adherence"]) > 3 else "")
        table.add_row(a.get("name", agent), f"{a['scheduled_minutes']:g}", f"{a['in_adherence_minutes']:g}",
                      _pct(a["adherence"]), _pct(a["conformance"]), spans)
    table.add_row("全部", f"{result['scheduled_minutes']:g}", f"{result['in_adherence_minutes']:g}",
                  _pct(result["adherence"]), _pct(result["conformance"]), "", style="bold")
    return table
