"""``kefu wfm adherence ROSTER.json LOG.json``: the agents' logged states against their schedule."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


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
    roster: Path = typer.Argument(..., help="The schedule: `kefu wfm schedule --format json` output, or its "
                                  "agents list."),
    log: Path = typer.Argument(..., help="Logged states: a JSON list of {agent, start, end, state}."),
    grace: float = typer.Option(2, "--grace", help="Minutes after each scheduled change counted as adhering."),
    interval: int = typer.Option(30, "--interval", help="Minutes per interval of the per-interval shares."),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Schedule adherence (排班遵从度) and conformance per agent and overall."""
    from kefu.core.errors import Invalid
    from kefu.core.settings import get_settings
    from kefu.wfm.adherence_api import AdherenceRequest, compute

    if fmt not in ("table", "json"):
        _fail(f"--format: table or json, not {fmt!r}")
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


def _pct(v) -> str:
    return "—" if v is None else f"{v:.1%}"


def _table(result: dict) -> Table:
    table = Table(title="排班遵从度 (adherence)")
    for name in ("agent", "scheduled min", "in adherence min", "adherence", "conformance", "out of adherence"):
        table.add_column(name, justify="left" if name in ("agent", "out of adherence") else "right")
    for agent, a in result["agents"].items():
        spans = ", ".join(f"{s['start'][11:16]}–{s['end'][11:16]} {s['scheduled']}→{s['logged']}"
                          for s in a["out_of_adherence"][:3]) + (" …" if len(a["out_of_adherence"]) > 3 else "")
        table.add_row(agent, f"{a['scheduled_minutes']:g}", f"{a['in_adherence_minutes']:g}", _pct(a["adherence"]),
                      _pct(a["conformance"]), spans)
    table.add_row("全部", f"{result['scheduled_minutes']:g}", f"{result['in_adherence_minutes']:g}",
                  _pct(result["adherence"]), _pct(result["conformance"]), "", style="bold")
    return table
