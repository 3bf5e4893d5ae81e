"""``kefu wfm``: workforce management (预测排班) from the command line.

``kefu wfm erlang`` staffs one interval (or several: ``--calls 80,120,95``) to a service level;
``kefu wfm schedule`` builds the shifts that cover per-interval requirements. Bad input exits 2 with a
message naming the option, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

wfm_app = typer.Typer(help="预测排班: staffing by Erlang C / A, shift scheduling.", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error line is never broken


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


@wfm_app.command("schedule")
def schedule_command(
    plan_file: Path = typer.Argument(..., help="The plan: JSON with days, shifts, agents and rules."),
    requirements: Path | None = typer.Option(None, "--requirements", "-r",
                                             help="CSV date,time,requirement[,calls]: per-interval requirements "
                                                  "(replace those in the plan, days matched by date)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, csv (roster) or intervals-csv."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Solver time limit in seconds."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of the screen."),
) -> None:
    """Build the shifts (排班) that cover per-interval requirements, with breaks and lunch, under the
    agents' rules (OR-Tools CP-SAT)."""
    from kefu.wfm import schedule_io
    from kefu.wfm.schedule import PlanError, parse_plan
    from kefu.wfm.schedule_output import intervals_csv, roster_csv, schedule

    if fmt not in ("table", "json", "csv", "intervals-csv"):
        raise typer.BadParameter("one of table, json, csv, intervals-csv", param_hint="--format")
    try:
        data = schedule_io.read_plan(plan_file, requirements)
        if time_limit is not None:
            data.setdefault("rules", {})["time_limit"] = time_limit
        plan = parse_plan(data)
    except (PlanError, schedule_io.InputError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    with out.status("排班中 solving…", spinner="dots") if fmt == "table" and output is None else _nothing():
        try:
            result = schedule(plan)
        except RuntimeError as exc:
            err.print(f"[red]error:[/red] {exc}; try a longer --time-limit")
            raise typer.Exit(1) from None
    text = {"json": lambda: json.dumps(result, ensure_ascii=False, indent=2), "csv": lambda: roster_csv(result),
            "intervals-csv": lambda: intervals_csv(result)}.get(fmt)
    if output is not None:
        output.write_text(text() if text else json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        err.print(f"written to {output}")
    elif text:
        print(text())
    else:
        _show_schedule(result)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _show_schedule(result: dict) -> None:
    dates = result["coverage"]["dates"]
    table = Table(title=f"排班 roster — {result['status']}, {result['seconds']:.1f} s")
    table.add_column("坐席 agent")
    for d in dates:
        table.add_column(d[5:], justify="center")
    for agent in result["agents"]:
        by_date = {d["date"]: d for d in agent["days"]}
        cells = []
        for d in dates:
            w = by_date.get(d)
            cells.append(f"{w['start']}-{w['end']}\n{w['shift']}" if w else "休")
        table.add_row(agent["name"], *cells)
    out.print(table)
    s = result["summary"]
    out.print(f"shifts {s['shifts']} · under-covered intervals {s['under_covered_intervals']} · "
              f"shortfall {s['shortfall']:g} agent-intervals · over-coverage {s['over_coverage']:g} · "
              f"cost {result['cost']:g}")


# the volume forecast (kefu.wfm.forecasting) is a command of this group too
from kefu.wfm.forecast_cli import forecast  # noqa: E402

wfm_app.command("forecast")(forecast)

# schedule adherence against logged states
from kefu.wfm.adherence_cli import adherence  # noqa: E402

wfm_app.command("adherence")(adherence)
