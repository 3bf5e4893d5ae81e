"""Rolling-origin backtests (滚动回测) and the choice of parameters by them.

At each origin the forecaster sees only the days before it and forecasts the next ``horizon_days`` open days;
errors over every origin are pooled into WAPE (Σ|error| / Σ actual) and MAPE (mean of |error| / actual over
intervals with calls).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from kefu.wfm.forecasting import model, naive
from kefu.wfm.forecasting.effects import Calendar, chinese_events
from kefu.wfm.forecasting.history import History

Forecaster = Callable[[History, Sequence[date]], np.ndarray]


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    total = float(np.sum(actual))
    return float(np.sum(np.abs(actual - forecast))) / total if total else float("nan")


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    a, f = np.ravel(actual), np.ravel(forecast)
    m = a > 0
    return float(np.mean(np.abs(a[m] - f[m]) / a[m])) if m.any() else float("nan")


@dataclass(frozen=True)
class Backtest:
    name: str
    horizon_days: int
    origins: list[date]  # the first forecast day of each window
    wape: float
    mape: float
    window_wapes: list[float]


def origins_for(history: History, *, horizon_days: int, windows: int, step_days: int = 1,
                min_train_days: int = 14) -> list[int]:
    """Indices of the first forecast day of each window, the last window ending with the history."""
    if horizon_days < 1 or windows < 1 or step_days < 1:
        raise ValueError("horizon, windows and step must be at least 1")
    last = len(history.days) - horizon_days
    cuts = [last - k * step_days for k in range(windows)][::-1]
    cuts = [c for c in cuts if c >= min_train_days]
    if not cuts:
        raise ValueError(f"{len(history.days)} days of history are too few for a {horizon_days}-day backtest "
                         f"(at least {min_train_days + horizon_days} needed)")
    return cuts


def rolling_origin(history: History, forecaster: Forecaster, *, name: str, horizon_days: int, windows: int,
                   step_days: int = 1, min_train_days: int = 14) -> Backtest:
    cuts = origins_for(history, horizon_days=horizon_days, windows=windows, step_days=step_days,
                       min_train_days=min_train_days)
    actual, predicted, per_window = [], [], []
    for cut in cuts:
        target = history.days[cut:cut + horizon_days]
        f = forecaster(history.head(cut), target)
        a = history.values[cut:cut + horizon_days]
        actual.append(a)
        predicted.append(f)
        per_window.append(wape(a, f))
    a, f = np.vstack(actual), np.vstack(predicted)
    return Backtest(name, horizon_days, [history.days[c] for c in cuts], wape(a, f), mape(a, f), per_window)


def model_forecaster(params: model.Params | None = None, calendar: Calendar = chinese_events) -> Forecaster:
    return lambda h, days: model.fit(h, params, calendar=calendar).predict(days)


def compare(history: History, *, horizon_days: int, windows: int, step_days: int = 1,
            params: model.Params | None = None, calendar: Calendar = chinese_events) -> list[Backtest]:
    """The model and the seasonal-naive baseline on the same windows."""
    kw = {"horizon_days": horizon_days, "windows": windows, "step_days": step_days}
    return [rolling_origin(history, model_forecaster(params, calendar), name="day×profile", **kw),
            rolling_origin(history, naive.seasonal_naive, name="seasonal naive", **kw)]


GRID = {
    "level_half_life_days": (30.0, 90.0, 200.0),
    "level_alpha": (0.2, 0.4, 0.6, 0.8),
    "profile_half_life_weeks": (4.0, 12.0),
    "trend": (False, True),
}


def tune(history: History, *, horizon_days: int, windows: int, step_days: int = 1,
         grid: dict[str, Sequence] | None = None, base: model.Params | None = None,
         calendar: Calendar = chinese_events) -> tuple[model.Params, float]:
    """The parameters (from ``grid``) with the lowest backtest WAPE on ``history``, and that WAPE."""
    grid = grid or GRID
    base = base or model.Params()
    best: tuple[float, model.Params] | None = None
    for combo in itertools.product(*grid.values()):
        params = replace(base, **dict(zip(grid, combo, strict=True)))
        score = rolling_origin(history, model_forecaster(params, calendar), name="tune", horizon_days=horizon_days,
                               windows=windows, step_days=step_days).wape
        if best is None or score < best[0]:
            best = (score, params)
    assert best is not None
    return best[1], best[0]
