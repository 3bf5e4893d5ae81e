"""/wfm/forecast: half-hourly volume per queue (话务预测), from the contacts history or from points sent in the
request, as per-interval arrays ready to chart. Computes and stores nothing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kefu.core.deps import ClockDep, Principal, SessionDep, require
from kefu.core.errors import Invalid
from kefu.core.roles import Perm
from kefu.core.routing import Router
from kefu.core.settings import get_settings
from kefu.wfm.forecast_service import as_json, attach_actuals, forecast_all
from kefu.wfm.forecast_source import histories_from_contacts
from kefu.wfm.forecasting import from_counts

router = Router(prefix="/wfm", tags=["wfm"])
Forecaster = Annotated[Principal, require(Perm.wfm_plan)]
MAX_POINTS = 200_000


class Point(BaseModel):
    queue: Annotated[str, Field(min_length=1, max_length=40)] = "全部"
    interval_start: datetime = Field(description="local time of the center, or with an offset")
    count: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class ForecastRequest(BaseModel):
    queues: Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=50)] = []
    channel: str | None = Field(None, max_length=16, description="only contacts of this channel")
    horizon_days: Annotated[int, Field(ge=1, le=92)] = 14
    history_days: Annotated[int, Field(ge=14, le=1100)] = 182
    start: date | None = Field(None, description="first day to forecast (default: today, or after the points); "
                                                 "a past day replays the forecast made then, with what came")
    interval_minutes: Literal[15, 30, 60] = 30
    backtest_windows: Annotated[int, Field(ge=0, le=52)] = 0
    tune: bool = Field(False, description="choose the model's parameters by backtest on this history")
    history: Annotated[list[Point], Field(max_length=MAX_POINTS)] | None = Field(
        None, description="past volume to forecast from instead of the contacts table")


class BacktestPublic(BaseModel):
    model: str
    horizon_days: int
    windows: int
    wape: float
    mape: float


class QueueForecastPublic(BaseModel):
    queue: str
    interval_minutes: int
    history_days: int
    intervals: list[datetime]
    forecast: list[float]
    days: list[date]
    day_totals: list[float]
    weekday_factors: dict[str, float]
    effects: dict[str, float]
    notes: list[str]
    backtest: list[BacktestPublic]
    actual: list[float | None] | None = Field(
        None, description="contacts that came per interval, for days already over (a forecast started in the past)")


class ForecastPage(BaseModel):
    data: list[QueueForecastPublic]
    count: int


def _from_points(points: list[Point], tz, slot_minutes: int):
    grouped: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for p in points:
        t = p.interval_start
        times, counts = grouped[p.queue]
        times.append(t.astimezone(tz).replace(tzinfo=None) if t.tzinfo else t)
        counts.append(p.count)
    try:
        return {q: from_counts(q, t, c, slot_minutes=slot_minutes) for q, (t, c) in sorted(grouped.items())}
    except ValueError as exc:
        raise Invalid(f"history: {exc}", field="history") from None


@router.post("/forecast", response_model=ForecastPage)
def forecast(body: ForecastRequest, session: SessionDep, clock: ClockDep, _: Forecaster):
    """Forecast each queue: ``intervals[i]`` (local start) carries ``forecast[i]`` contacts (and ``actual[i]``
    when ``start`` is a past day and that day is over)."""
    tz = get_settings().tz
    today = clock.now().astimezone(tz).date()
    if body.history:
        histories = _from_points(body.history, tz, body.interval_minutes)
        histories = {q: h for q, h in histories.items() if not body.queues or q in body.queues}
        start = body.start
    else:
        start = body.start or today
        histories = _contacts(session, body, tz, until=min(start, today))
    if missing := [q for q in body.queues if q not in histories]:
        raise Invalid(f"queues: no volume for {'、'.join(missing)}", field="queues")
    if not histories:
        raise Invalid("history: no inbound contacts in the history window", field="history")
    try:
        results = forecast_all(histories, horizon_days=body.horizon_days, start=start,
                               backtest_windows=body.backtest_windows, tune_params=body.tune)
    except ValueError as exc:
        raise Invalid(f"start: {exc}", field="start") from None
    if not body.history and start < today:
        attach_actuals(results, _contacts(session, body, tz, first=start, until=today), before=today)
    data = [as_json(r) for r in results]
    return {"data": data, "count": len(data)}


def _contacts(session, body: ForecastRequest, tz, *, until: date, first: date | None = None):
    first = first or until - timedelta(days=body.history_days)
    return histories_from_contacts(session, first=first, until=until, tz=tz, queues=body.queues or None,
                                   channel=body.channel, slot_minutes=body.interval_minutes)
