"""/wfm: the planning page (计划排班) for planners (``wfm.plan``). A queue and a week: forecast against what
came, the Erlang requirement under what-if inputs, and on "排班" a schedule for the week with its coverage
and roster. Plain GET/POST forms (a full round trip); the charts read their data from a JSON block."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData, QueryParams

from kefu.core.deps import ClockDep, Principal, SessionDep
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.web.pages import render, web_user
from kefu.wfm import planning
from kefu.wfm.planning_source import queues, week_forecast

router = Router()
Planner = Annotated[Principal, web_user(Perm.wfm_plan)]
WEEKS_BACK, WEEKS_AHEAD = 8, 2
MAX_AGENTS = 200
SOLVER_SECONDS = (15.0, 45.0)
# form field → (WhatIf attribute, scale from the form's unit, default in the form's unit)
INPUTS = {"service_level": ("service_level", 0.01, 80), "target_time": ("target_time", 1, 20),
          "aht": ("aht", 1, 300), "shrinkage": ("shrinkage", 0.01, 30), "max_occupancy": ("max_occupancy", 0.01, 85)}


def _number(raw: str | None, name: str, default: float, errors: dict) -> float:
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        errors[name] = f"{name}: expected a number, got {raw!r}"
        return default
    return value


def _what_if(params: QueryParams | FormData, errors: dict) -> tuple[planning.WhatIf, dict]:
    shown, kw = {}, {}
    for name, (attr, scale, default) in INPUTS.items():
        shown[name] = _number(params.get(name), name, default, errors)
        kw[attr] = shown[name] * scale
    # customer patience (mean seconds): given, Erlang A; left empty, Erlang C
    raw = params.get("patience")
    shown["patience"] = None if raw in (None, "") else _number(raw, "patience", math.nan, errors)
    if shown["patience"] is not None and math.isnan(shown["patience"]):
        shown["patience"] = None
    w = planning.WhatIf(**kw, patience=shown["patience"])
    try:
        w.check()
    except ValueError as exc:
        name = str(exc).split(":", 1)[0]
        errors[name] = f"{name}: out of range ({shown[name]:g})"
        w = planning.WhatIf(**{a: d * s for a, s, d in INPUTS.values()})
    return w, shown


def _weeks(today: date) -> list[date]:
    this = planning.monday_of(today)
    return [this + timedelta(weeks=k) for k in range(-WEEKS_BACK, WEEKS_AHEAD + 1)]


def _context(session, clock, params, errors: dict) -> dict:
    tz = get_settings().tz
    today = clock.now().astimezone(tz).date()
    names, weeks = queues(session, today=today, tz=tz), _weeks(today)
    queue = params.get("queue") or (names[0] if names else None)
    if queue is not None and queue not in names:
        errors["queue"] = f"queue: no inbound contacts of {queue}"
    try:
        week = date.fromisoformat(params.get("week") or "")
    except ValueError:
        week = weeks[WEEKS_BACK - 1]  # the last full week: its forecast stands beside what came
    week = planning.monday_of(week)
    if week not in weeks:
        errors["week"] = f"week: from {weeks[0].isoformat()} to {weeks[-1].isoformat()}"
        week = weeks[WEEKS_BACK - 1]
    w, shown = _what_if(params, errors)
    choices = [{"monday": m, "sunday": m + timedelta(days=6), "current": m <= today < m + timedelta(days=7)}
               for m in weeks]
    ctx = {"queues": names, "queue": queue, "weeks": choices, "week": week, "inputs": shown, "errors": errors,
           "today": today, "chart": None, "days": [], "coverage": None, "schedule": None, "roster": None}
    if queue is None or "queue" in errors or "week" in errors:
        return ctx
    try:
        fc = week_forecast(session, queue=queue, monday=week, today=today, tz=tz)
    except ValueError as exc:
        errors["queue"] = str(exc)
        return ctx
    req = planning.requirement(fc.values, fc.slot_minutes, w)
    days = planning.week_days(week)
    ctx |= {"forecast": fc, "requirement": req, "what_if": w, "days": days,
            "raw_by_day": planning.by_day(fc.intervals, req["raw"], days, fc.slot_minutes),
            "chart": {"labels": [t.strftime("%m-%d %H:%M") for t in fc.intervals], "forecast": fc.values,
                      "actual": fc.actual, "raw": req["raw"], "positions": req["positions"]},
            "summary": _summary(fc, req, days)}
    ctx["agents"] = planning.suggested_agents(ctx["raw_by_day"], fc.slot_minutes)
    return ctx


def _summary(fc, req: dict, days: list[date]) -> dict:
    hours = fc.slot_minutes / 60
    rows = []
    for d in days:
        idx = [i for i, t in enumerate(fc.intervals) if t.date() == d]
        actual = None if fc.actual is None or any(fc.actual[i] is None for i in idx) else \
            sum(fc.actual[i] for i in idx)
        rows.append({"date": d, "forecast": sum(fc.values[i] for i in idx), "actual": actual,
                     "peak": max((req["raw"][i] for i in idx), default=0),
                     "hours": sum(req["positions"][i] for i in idx) * hours})
    return {"rows": rows, "raw_hours": sum(req["raw"]) * hours, "hours": sum(req["positions"]) * hours,
            "peak": max(req["raw"], default=0), "calls": sum(fc.values)}


MAX_ADHERENCE_DAYS = 31


def _adherence(session, clock, params, errors: dict) -> dict:
    """The adherence view: the published roster against the state log over ``adh_from``–``adh_to`` (default
    today), per agent."""
    from kefu.wfm.rosters import stored_adherence
    from kefu.wfm.rosters_api import agents_of

    tz = get_settings().tz
    today = clock.now().astimezone(tz).date()
    days = {}
    for name in ("adh_from", "adh_to"):
        try:
            days[name] = date.fromisoformat(params.get(name) or today.isoformat())
        except ValueError:
            errors[name] = f"{name}: expected a date YYYY-MM-DD, got {params.get(name)!r}"
            days[name] = today
    first, last = days["adh_from"], days["adh_to"]
    if not 0 <= (last - first).days <= MAX_ADHERENCE_DAYS:
        errors["adh_to"] = f"adh_to: from adh_from up to {MAX_ADHERENCE_DAYS} days later"
        last = first
    result = stored_adherence(session, user_ids=agents_of(session, agent=None, team=None), first=first, last=last,
                              tz=tz, now=clock.now())
    rows = sorted(result["agents"].values(), key=lambda a: (a["adherence"] is None, a["adherence"] or 0))
    return {"adh": {"from": first, "to": last, "rows": rows, "overall": result}}


@router.get("/wfm")
def planning_page(request: Request, session: SessionDep, clock: ClockDep, me: Planner):
    errors: dict = {}
    ctx = _context(session, clock, request.query_params, errors)
    ctx |= _adherence(session, clock, request.query_params, errors)
    return render(request, "wfm/planning.html", me, status_code=422 if errors else 200, **ctx)


async def _form(request: Request) -> FormData:
    return await request.form()


@router.post("/wfm/schedule")
def planning_schedule(request: Request, session: SessionDep, clock: ClockDep, me: Planner,
                      form: Annotated[FormData, Depends(_form)]):
    """Runs the solver (up to 10 s) in the thread pool, not on the event loop."""
    from kefu.wfm.schedule import parse_plan
    from kefu.wfm.schedule_output import schedule

    errors: dict = {}
    ctx = _context(session, clock, form, errors)
    ctx |= _adherence(session, clock, form, errors)
    agents = _number(form.get("agents"), "agents", ctx.get("agents") or 1, errors)
    if agents != int(agents) or not 1 <= agents <= MAX_AGENTS:
        errors["agents"] = f"agents: a whole number from 1 to {MAX_AGENTS}"
    if errors or ctx["chart"] is None:
        return render(request, "wfm/planning.html", me, status_code=422, **ctx)
    ctx["agents"] = int(agents)
    result = None
    for seconds in SOLVER_SECONDS:  # a busy machine may need the longer try to find any schedule at all
        plan = planning.week_plan(ctx["days"], ctx["raw_by_day"], int(agents), interval=ctx["forecast"].slot_minutes,
                                  time_limit=seconds)
        try:
            result = schedule(parse_plan(plan))
            break
        except RuntimeError as exc:  # the solver found nothing in its time
            errors["agents"] = f"agents: {exc}"
    if result is None:
        return render(request, "wfm/planning.html", me, status_code=422, **ctx)
    errors.clear()
    ctx |= {"schedule": result, "roster": planning.roster_table(result),
            "coverage": planning.coverage_series(result)}
    return render(request, "wfm/planning.html", me, **ctx)
