"""The day-level × intraday-profile model (日话务量 × 日内分布).

A half-hour's volume is the day's total times the share of the day that falls in that half-hour:

- **Day level.** ``log(total)`` is a recency-weighted regression on weekday, day effects (holidays and events,
  the first day after a closure, the first day of a month; each shrunk toward no effect by a prior scaled to
  the queue's day-to-day noise) and optionally a
  linear trend; what the regression leaves is smoothed exponentially, so the forecast follows the current
  level (the local trend of the last weeks) instead of the average of the past.
- **Intraday profile.** Per weekday, the shares of recent same-weekday days, weighted by age, shrunk toward
  the profile of all days (a weekday seen few times, or a quiet queue, borrows the common shape).

Fitting is a few small least-squares solves: milliseconds for a year of half-hours. The level and profile
parameters below were chosen by rolling-origin backtests on the training part of the bank data (never its
holdout; ``bench/forecast_bench.py``); ``backtest.tune`` picks them on any history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from kefu.wfm.forecasting.effects import Calendar, chinese_events, day_effects, uncovered_years
from kefu.wfm.forecasting.history import WEEKDAYS_ZH, History


@dataclass(frozen=True)
class Params:
    level_half_life_days: float = 200.0  # weight of a day in the regression halves every this many days
    level_alpha: float = 0.6  # exponential smoothing of what the regression leaves (0: none, 1: last day)
    profile_half_life_weeks: float = 12.0
    profile_shrink: float = 0.5  # weight, in days, of the all-days profile in each weekday's profile…
    profile_prior_calls: float = 2000.0  # …plus this many calls' worth of days: a quiet queue borrows more
    effect_prior_sd: float = 0.3  # prior spread of a day effect's log: a rare, noisy effect is pulled to none
    trend: bool = False
    effects: bool = True


@dataclass
class DayProfileFit:
    """A fitted model: ``predict(days)`` gives a (days × intervals) array of expected counts."""

    history: History
    params: Params
    calendar: Calendar
    columns: list[str]
    beta: np.ndarray
    level: float
    profiles: dict[int, np.ndarray]
    notes: list[str] = field(default_factory=list)

    @property
    def weekday_factors(self) -> dict[int, float]:
        """Each open weekday's volume relative to the average open weekday (1.0 = average)."""
        wd = sorted(self.history.open_weekdays)
        logs = np.array([self._coef(f"wd{w}") for w in wd])
        return dict(zip(wd, np.exp(logs - logs.mean()).tolist(), strict=True))

    @property
    def effects(self) -> dict[str, float]:
        """Each day effect as a multiplier of the day's volume (1.3: 30% more calls)."""
        return {c[4:]: float(np.exp(b)) for c, b in zip(self.columns, self.beta, strict=True) if c.startswith("eff:")}

    def unknown_effects(self, days: Sequence[date]) -> list[str]:
        """Effects falling on ``days`` that the history never showed: the forecast goes without them."""
        if not self.params.effects:
            return []
        seen = dict.fromkeys(n for names in _effects(self.history, days, self.calendar) for n in names)
        return [n for n in seen if f"eff:{n}" not in self.columns]  # in date order

    def _coef(self, name: str) -> float:
        return float(self.beta[self.columns.index(name)]) if name in self.columns else 0.0

    def day_totals(self, days: Sequence[date]) -> np.ndarray:
        if not days:
            return np.zeros(0)
        closed = sorted({WEEKDAYS_ZH[d.weekday()] for d in days if d.weekday() not in self.profiles})
        if closed:
            raise ValueError(f"no history on {'、'.join(closed)}: nothing to forecast from")
        if days[0] <= self.history.days[-1]:
            raise ValueError("forecast days must come after the history")
        X = _design(self.history, days, self.columns, _effects(self.history, days, self.calendar))
        return np.exp(X @ self.beta + self.level)

    def predict(self, days: Sequence[date]) -> np.ndarray:
        totals = self.day_totals(days)
        if not len(totals):
            return np.zeros((0, self.history.slots))
        return totals[:, None] * np.array([self.profiles[d.weekday()] for d in days])


def _effects(history: History, days: Sequence[date], calendar: Calendar) -> list[list[str]]:
    """The effects on ``days`` (history days or forecast days), knowing the history's open days."""
    known = set(history.days) | set(days)
    return day_effects(days, known=known, open_weekdays=history.open_weekdays, calendar=calendar)


def _design(history: History, days: Sequence[date], columns: list[str], effects: list[list[str]]) -> np.ndarray:
    """Rows for ``days`` over ``columns``: intercept, weekday dummies, trend, effect indicators."""
    col = {c: j for j, c in enumerate(columns)}
    X = np.zeros((len(days), len(columns)))
    X[:, col["const"]] = 1.0
    t0 = history.days[0]
    for i, (d, names) in enumerate(zip(days, effects, strict=True)):
        for key in (f"wd{d.weekday()}", *(f"eff:{n}" for n in names)):
            if key in col:
                X[i, col[key]] = 1.0
        if "trend" in col:
            X[i, col["trend"]] = (d - t0).days / 100.0
    return X


def _columns(history: History, params: Params, effects: list[list[str]]) -> list[str]:
    weekdays = sorted(history.open_weekdays)
    cols = ["const"] + [f"wd{w}" for w in weekdays[1:]] + (["trend"] if params.trend else [])
    if params.effects:
        cols += [f"eff:{n}" for n in sorted({n for names in effects for n in names})]
    return cols


def _profiles(history: History, params: Params) -> dict[int, np.ndarray]:
    Y = history.values
    shares = Y / Y.sum(axis=1, keepdims=True)
    last = history.days[-1]
    age_weeks = np.array([(last - d).days / 7.0 for d in history.days])
    w = 0.5 ** (age_weeks / params.profile_half_life_weeks)
    common = (w[:, None] * shares).sum(axis=0) / w.sum()
    weekday = np.array([d.weekday() for d in history.days])
    prior = params.profile_shrink + params.profile_prior_calls / float(np.mean(Y.sum(axis=1)))
    out = {}
    for wd in history.open_weekdays:
        m = weekday == wd
        out[wd] = ((w[m, None] * shares[m]).sum(axis=0) + prior * common) / (w[m].sum() + prior)
    return out


def _solve(X: np.ndarray, z: np.ndarray, w: np.ndarray, columns: list[str], params: Params) -> np.ndarray:
    """Weighted least squares with a Gaussian prior on the day effects (ridge σ²/τ²): σ² is the noise of a
    day's log volume from a first, nearly unpenalized fit, τ the prior spread. A busy queue's effects are
    taken from its history almost as they are; a quiet, noisy queue's are shrunk toward none."""
    is_effect = np.array([c.startswith("eff:") for c in columns], dtype=float)
    A, b = X.T @ (w[:, None] * X), X.T @ (w * z)
    beta = np.linalg.lstsq(A + np.diag(1e-3 * is_effect), b, rcond=None)[0]
    if not is_effect.any():
        return beta
    r = z - X @ beta
    dof = max(1.0, w.sum() - len(columns))
    sigma2 = max(float(w @ r**2) / dof, 1e-6)
    return np.linalg.lstsq(A + np.diag(sigma2 / params.effect_prior_sd**2 * is_effect), b, rcond=None)[0]


def fit(history: History, params: Params | None = None, *, calendar: Calendar = chinese_events) -> DayProfileFit:
    """Fit the model on every day of ``history``."""
    params = params or Params()
    days = list(history.days)
    effects = _effects(history, days, calendar)
    columns = _columns(history, params, effects)
    X = _design(history, days, columns, effects)
    z = np.log(history.values.sum(axis=1))
    n = len(days)
    age = np.array([(days[-1] - d).days for d in days], dtype=float)
    w = 0.5 ** (age / params.level_half_life_days)
    beta = _solve(X, z, w, columns, params)
    level = 0.0
    for r in z - X @ beta:
        level += params.level_alpha * (r - level)
    notes = []
    if n < 14:
        notes.append(f"only {n} days of history: weekday effects are rough")
    if calendar is chinese_events and (years := uncovered_years(days)):
        notes.append(f"holiday calendar does not cover {', '.join(map(str, years))}: no holiday effects there")
    return DayProfileFit(history, params, calendar, columns, beta, level, _profiles(history, params), notes)
