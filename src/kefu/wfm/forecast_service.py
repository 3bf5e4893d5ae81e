"""Forecast every queue of a history: the model's intervals, day totals, effects and notes, and optionally a
rolling-origin backtest against the seasonal-naive baseline (what the CLI and the API show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from kefu.wfm.forecasting import Backtest, History, Params, compare, fit, future_days, tune
from kefu.wfm.forecasting.backtest import origins_for
from kefu.wfm.forecasting.effects import Calendar, chinese_events
from kefu.wfm.forecasting.history import WEEKDAYS_ZH


@dataclass
class QueueForecast:
    queue: str
    slot_minutes: int
    intervals: list[datetime]  # local start of each interval
    values: list[float]  # expected contacts per interval
    days: list[date]
    day_totals: list[float]
    weekday_factors: dict[int, float]
    effects: dict[str, float]
    history_days: int
    notes: list[str] = field(default_factory=list)
    backtests: list[Backtest] = field(default_factory=list)
    actual: list[float | None] | None = None  # what came, per interval, where the day is over (forecast vs actual)


def _backtest_shape(history: History, horizon: int, windows: int) -> dict | None:
    kw = {"horizon_days": horizon, "windows": windows, "step_days": max(1, horizon // 2)}
    try:
        origins_for(history, **kw)
    except ValueError:
        return None
    return kw


def forecast_queue(history: History, *, horizon_days: int, start: date | None = None, backtest_windows: int = 0,
                   tune_params: bool = False, params: Params | None = None,
                   calendar: Calendar = chinese_events) -> QueueForecast:
    days = future_days(history, horizon_days, start=start)
    notes: list[str] = []
    shape = _backtest_shape(history, max(1, len(days)), max(backtest_windows, 4))
    if (tune_params or backtest_windows) and shape is None:
        notes.append(f"{len(history.days)} days of history are too few to backtest a {len(days)}-day horizon")
    if tune_params and shape:
        params, _ = tune(history, calendar=calendar, **shape)
    model = fit(history, params, calendar=calendar)
    values = model.predict(days)
    if unknown := model.unknown_effects(days):
        notes.append(f"{'、'.join(unknown)} fall in the forecast but not in the history: forecast without their effect")
    backtests = []
    if backtest_windows and shape:
        backtests = compare(history, params=params, calendar=calendar, **{**shape, "windows": backtest_windows})
    return QueueForecast(
        queue=history.queue, slot_minutes=history.slot_minutes, intervals=history.interval_starts(days),
        values=np.round(values.ravel(), 2).tolist(), days=days, day_totals=np.round(values.sum(axis=1), 1).tolist(),
        weekday_factors=model.weekday_factors, effects=model.effects, history_days=len(history.days),
        notes=model.notes + notes, backtests=backtests)


def forecast_all(histories: dict[str, History], **kw) -> list[QueueForecast]:
    return [forecast_queue(h, **kw) for h in histories.values()]


def attach_actuals(results: list[QueueForecast], actuals: dict[str, History], *, before: date) -> None:
    """Put what came next to the forecast: per interval the actual count on days before ``before`` (days that
    are over; 0 where nothing came), ``None`` after."""
    for r in results:
        h = actuals.get(r.queue)
        seen: dict[datetime, float] = {}
        if h is not None:
            for day, row in zip(h.days, h.values, strict=True):
                seen.update(zip(h.interval_starts([day]), row.tolist(), strict=True))
        r.actual = [seen.get(t, 0.0) if t.date() < before else None for t in r.intervals]


def as_json(r: QueueForecast) -> dict:
    """The JSON shape the CLI prints and the API returns: parallel per-interval arrays."""
    return {
        "queue": r.queue, "interval_minutes": r.slot_minutes, "history_days": r.history_days,
        "intervals": [t.isoformat() for t in r.intervals], "forecast": r.values,
        "days": [d.isoformat() for d in r.days], "day_totals": r.day_totals,
        "weekday_factors": {WEEKDAYS_ZH[k]: round(v, 4) for k, v in r.weekday_factors.items()},
        "effects": {k: round(v, 4) for k, v in r.effects.items()}, "notes": r.notes,
        "backtest": [{"model": b.name, "horizon_days": b.horizon_days, "windows": len(b.origins),
                      "wape": round(b.wape, 4), "mape": round(b.mape, 4)} for b in r.backtests],
        "actual": r.actual,
    }
