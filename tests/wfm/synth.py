"""Synthetic half-hourly histories with known weekday factors, intraday shape and day effects."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np

from kefu.wfm.forecasting import History

WEEKDAY = np.array([1.25, 1.05, 1.0, 0.95, 1.0, 0.85, 0.9])  # 周一 busiest, 周六 quietest


def shape(slots: int = 48) -> np.ndarray:
    """Quiet nights, a morning peak at 10:00 and an evening one at 20:00."""
    t = np.arange(slots) / 2.0
    s = 0.05 + np.exp(-((t - 10.0) / 2.0) ** 2) + 0.7 * np.exp(-((t - 20.0) / 1.5) ** 2)
    return s / s.sum()


def series(first: date, days: int, *, base: float = 2000.0, effects: dict[date, float] | None = None,
           growth_per_day: float = 0.0, closed: set[date] = frozenset(), seed: int = 7,
           weekdays: set[int] | None = None, noise: bool = True) -> History:
    """Poisson counts around base × weekday × effect × (1 + growth)^t × shape."""
    rng = np.random.default_rng(seed)
    effects = effects or {}
    profile = shape()
    kept, rows = [], []
    for i in range(days):
        d = first + timedelta(days=i)
        if d in closed or (weekdays is not None and d.weekday() not in weekdays):
            continue
        mean = base * WEEKDAY[d.weekday()] * effects.get(d, 1.0) * (1 + growth_per_day) ** i * profile
        kept.append(d)
        rows.append(rng.poisson(mean).astype(float) if noise else mean)
    return History("外卖热线", tuple(kept), np.array(rows))


def points(history: History) -> tuple[list[datetime], list[float]]:
    """The history as (local interval start, count) pairs, as a CSV or the contacts table would give it."""
    times, counts = [], []
    for d, row in zip(history.days, history.values, strict=True):
        for k, v in enumerate(row):
            times.append(datetime.combine(d, time()) + timedelta(minutes=history.first_slot + 30 * k))
            counts.append(float(v))
    return times, counts
