"""``kefu wfm``: workforce management (预测排班) from the command line.

``kefu wfm erlang`` staffs one interval (or several: ``--calls 80,120,95``) to a service level;
``kefu wfm schedule`` builds the shifts that cover per-interval requirements. Bad input exits 2 with a
message naming the option, never a traceback.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

wfm_app = typer.Typer(help="预测排班: staffing by Erlang C / A, shift scheduling.", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _numbers(text: str, option: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter("give a number or comma-separated numbers", param_hint=option) from None
    if not values:
        raise typer.BadParameter("give at least one number", param_hint=option)
    return values


@wfm_app.command("erlang")
def erlang_command(
    calls: str = typer.Option(..., "--calls", help="Calls offered in the interval; comma-separated for several."),
    interval: float = typer.Option(30, "--interval", help="Interval length in minutes."),
    aht: float = typer.Option(..., "--aht", help="Average handle time in seconds (talk + wrap-up)."),
    sl: float = typer.Option(0.8, "--sl", help="Service level target as a fraction (0.8 = 80%)."),
    target: float = typer.Option(20, "--target", help="Answer-time target of the service level, seconds."),
    shrinkage: float = typer.Option(0.0, "--shrinkage", help="Share of paid time off the phones (0.3 = 30%)."),
    max_occupancy: float = typer.Option(1.0, "--max-occupancy", help="Highest occupancy allowed (0.85 = 85%)."),
    patience: float | None = typer.Option(None, "--patience",
                                          help="Callers' mean patience in seconds: Erlang A (abandonment)."),
    max_abandonment: float | None = typer.Option(None, "--max-abandonment",
                                                 help="Highest share of callers hanging up (needs --patience)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Agents needed for a service level (人力需求): Erlang C, or Erlang A with ``--patience``."""
    from kefu.wfm import staffing

    values = _numbers(calls, "--calls")
    for name, value in (("--sl", sl), ("--shrinkage", shrinkage), ("--max-occupancy", max_occupancy)):
        if value > 1:
            raise typer.BadParameter(f"a fraction is expected (0.8 for 80%), got {value:g}", param_hint=name)
    try:
        r = staffing.requirement(calls=values if len(values) > 1 else values[0], interval_minutes=interval, aht=aht,
                                 service_level=sl, target_time=target, shrinkage=shrinkage,
                                 max_occupancy=max_occupancy, patience=patience, max_abandonment=max_abandonment)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {_option_names(str(exc))}")
        raise typer.Exit(2) from None
    result = r.as_lists() | {"model": "erlang_a" if patience else "erlang_c"}
    if as_json:
        out.print_json(json.dumps(result, ensure_ascii=False))
        return
    out.print(_table(result, values))


_OPTIONS = {"service_level": "--sl", "target_time": "--target", "max_occupancy": "--max-occupancy",
            "max_abandonment": "--max-abandonment", "interval": "--interval", "calls": "--calls", "aht": "--aht",
            "shrinkage": "--shrinkage", "patience": "--patience"}


def _option_names(message: str) -> str:
    """The module's argument name replaced by the option the user typed."""
    first = message.split(" ", 1)
    if first[0] in _OPTIONS:
        return f"{_OPTIONS[first[0]]} {first[1]}" if len(first) > 1 else _OPTIONS[first[0]]
    return message


_COLUMNS = [("load", "话务量 load (Erl)", "{:.2f}"), ("raw_positions", "在线 raw", "{}"),
            ("positions", "排班 scheduled", "{}"), ("service_level", "服务水平 SL", "{:.1%}"),
            ("occupancy", "占用率 occupancy", "{:.1%}"), ("asa", "ASA (s)", "{:.1f}"),
            ("waiting_probability", "等待概率 P(wait)", "{:.1%}"), ("abandonment", "放弃率 abandon", "{:.1%}")]


_SHORT = {"load": "Erl", "raw_positions": "在线", "positions": "排班", "service_level": "SL", "occupancy": "占用率",
          "asa": "ASA s", "waiting_probability": "P(wait)", "abandonment": "放弃率"}


def _fmt(fmt: str, v) -> str:
    return "∞" if v is None else fmt.format(v)


def _table(result: dict, calls: list[float]) -> Table:
    cols = [c for c in _COLUMNS if c[0] in result]
    table = Table(title="Erlang A" if result["model"] == "erlang_a" else "Erlang C")
    if len(calls) == 1:
        table.add_column("指标 measure")
        table.add_column("值 value", justify="right")
        for key, label, fmt in cols:
            table.add_row(label, _fmt(fmt, result[key]))
        return table
    table.add_column("#", justify="right")
    table.add_column("来电 calls", justify="right")
    for key, _label, _f in cols:
        table.add_column(_SHORT[key], justify="right")
    for i, c in enumerate(calls):
        table.add_row(str(i + 1), f"{c:g}", *(_fmt(fmt, result[key][i]) for key, _label, fmt in cols))
    return table
