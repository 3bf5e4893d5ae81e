"""/wfm: staffing by Erlang C / A and shift scheduling over HTTP, for the planning page and planners' tools.
Computes only; stores nothing. Per-interval inputs give per-interval arrays back, ready to chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body
from pydantic import BaseModel, Field, model_validator

from kefu.core.deps import Principal, require
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.wfm import staffing

router = Router(prefix="/wfm", tags=["wfm"])
Planner = Annotated[Principal, require(Perm.wfm_plan)]
MAX_CELLS = 10_080  # a week of 5-minute intervals, or 30 queues × a week of half-hours

Count = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ErlangRequest(BaseModel):
    calls: Count | Annotated[list[Count], Field(min_length=1, max_length=MAX_CELLS)] = Field(
        description="calls offered in the interval, or one number per interval")
    interval_minutes: Annotated[float, Field(gt=0, le=1440)] = 30
    aht: Seconds | Annotated[list[Seconds], Field(min_length=1, max_length=MAX_CELLS)] = Field(
        description="average handle time in seconds, or one per interval")
    service_level: Annotated[float, Field(ge=0, lt=1)] = Field(0.8, description="target share, 0.8 = 80%")
    target_time: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(20, description="seconds")
    shrinkage: Annotated[float, Field(ge=0, lt=1)] = 0.0
    max_occupancy: Annotated[float, Field(gt=0, le=1)] = 1.0
    patience: Seconds | None = Field(None, description="callers' mean patience in seconds: Erlang A")
    max_abandonment: Annotated[float, Field(gt=0, le=1)] | None = None

    @model_validator(mode="after")
    def _same_length(self):
        if isinstance(self.aht, list) and len(self.aht) != (len(self.calls) if isinstance(self.calls, list) else 1):
            raise ValueError("aht: give one number, or one per interval of calls")
        if self.max_abandonment is not None and self.patience is None:
            raise ValueError("max_abandonment needs patience (Erlang A)")
        return self


class ErlangResult(BaseModel):
    model: str
    load: float | list[float]
    raw_positions: int | list[int]
    positions: int | list[int]
    service_level: float | list[float]
    occupancy: float | list[float]
    asa: float | None | list[float | None] = Field(description="seconds; null when the queue never clears")
    waiting_probability: float | list[float]
    abandonment: float | list[float] | None = None


@router.post("/erlang", response_model=ErlangResult, response_model_exclude_none=True)
def erlang(body: ErlangRequest, _: Planner):
    """Agents needed per interval (人力需求): ``raw_positions`` on the phones, ``positions`` after shrinkage,
    and the service level, occupancy, ASA and probability of waiting they give (Erlang A adds the
    abandonment share). Arrays in, arrays out."""
    try:
        r = staffing.requirement(calls=body.calls, interval_minutes=body.interval_minutes, aht=body.aht,
                                 service_level=body.service_level, target_time=body.target_time,
                                 shrinkage=body.shrinkage, max_occupancy=body.max_occupancy, patience=body.patience,
                                 max_abandonment=body.max_abandonment)
    except ValueError as exc:
        raise Invalid(str(exc), field=str(exc).split(" ", 1)[0]) from None
    return r.as_lists() | {"model": "erlang_a" if body.patience else "erlang_c"}


MAX_DAYS, MAX_AGENTS, MAX_SECONDS = 31, 500, 60


@router.post("/schedule")
def schedule(_: Planner, body: Annotated[dict, Body(description="the plan: days, shifts, agents, rules "
                                                                  "(see kefu.wfm.schedule)")]) -> dict:
    """Shifts with breaks and lunch for each agent (``agents``), and requirement against agents on the
    phones per interval (``intervals``, and ``coverage`` as day × interval arrays for a chart). The solver's
    time limit is at most 60 s here; a bad plan is a 422 naming the field (``agents[2].days_off[0]``)."""
    from kefu.wfm.schedule import PlanError, parse_plan
    from kefu.wfm.schedule_output import schedule as solve

    try:
        plan = parse_plan(body)
    except PlanError as exc:
        raise Invalid(str(exc), field=exc.path) from None
    for what, count, cap in (("days", len(plan.days), MAX_DAYS), ("agents", len(plan.agents), MAX_AGENTS)):
        if count > cap:
            raise Invalid(f"{what}: at most {cap} per request", field=what)
    if plan.rules.time_limit > MAX_SECONDS:
        raise Invalid(f"rules.time_limit: at most {MAX_SECONDS} s here (use `kefu wfm schedule` for longer runs)",
                      field="rules.time_limit")
    try:
        return solve(plan)
    except RuntimeError as exc:
        raise Invalid(f"{exc}; raise rules.time_limit", field="rules.time_limit") from None
