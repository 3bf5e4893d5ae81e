"""Rolling-origin backtests: each window is forecast from the days before it only, errors pool into WAPE and
MAPE, and on a series with structure the model beats the seasonal-naive baseline."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from tests.wfm.synth import series

from kefu.wfm.forecasting import History, compare, mape, rolling_origin, seasonal_naive, tune, wape
from kefu.wfm.forecasting.backtest import model_forecaster, origins_for
from kefu.wfm.forecasting.effects import no_events


def test_each_window_sees_only_the_days_before_it():
    h = series(date(2026, 3, 2), 60)
    seen = []

    def spy(history: History, days):
        seen.append((history.days[-1], list(days)))
        return seasonal_naive(history, days)

    bt = rolling_origin(h, spy, name="spy", horizon_days=7, windows=5, step_days=3)
    assert len(seen) == 5 and bt.origins == [days[0] for _, days in seen]
    for last_seen, days in seen:
        assert last_seen < days[0]
        assert len(days) == 7
    assert seen[-1][1][-1] == h.days[-1]  # the last window ends with the history


def test_changing_the_future_does_not_change_earlier_windows():
    h = series(date(2026, 3, 2), 70)
    changed = h.values.copy()
    changed[-7:] *= 3  # the last week tripled: only the window that forecasts it may differ
    h2 = History(h.queue, h.days, changed)
    kw = {"horizon_days": 7, "windows": 4, "step_days": 7}
    a = rolling_origin(h, model_forecaster(calendar=no_events), name="a", **kw)
    b = rolling_origin(h2, model_forecaster(calendar=no_events), name="b", **kw)
    assert a.window_wapes[:3] == b.window_wapes[:3]
    assert b.window_wapes[3] > 0.6  # forecast from the old level: a third of the tripled calls (WAPE ≈ 2/3)


def test_wape_and_mape_by_hand():
    actual = np.array([[10.0, 0.0, 30.0]])
    forecast = np.array([[12.0, 5.0, 27.0]])
    assert wape(actual, forecast) == pytest.approx((2 + 5 + 3) / 40)
    assert mape(actual, forecast) == pytest.approx((0.2 + 0.1) / 2)  # the interval without calls is left out


def test_model_beats_seasonal_naive_on_a_structured_series():
    effects = {date(2026, 5, 1 + i): 0.7 for i in range(5)}  # 劳动节 in the backtest windows
    h = series(date(2025, 9, 1), 300, effects=effects | {date(2026, 1, 1): 0.8})
    model, naive = compare(h, horizon_days=14, windows=6, step_days=7)
    assert model.origins == naive.origins
    assert model.wape < 0.85 * naive.wape


def test_too_short_a_history_is_refused_with_the_reason():
    h = series(date(2026, 3, 2), 16)
    with pytest.raises(ValueError, match="too few"):
        origins_for(h, horizon_days=7, windows=3)


def test_tune_picks_fast_smoothing_for_a_level_shift():
    shifted = series(date(2026, 1, 5), 120)
    values = shifted.values.copy()
    values[90:] *= 1.5  # the queue grew by half a month before the end
    h = History(shifted.queue, shifted.days, values)
    params, score = tune(h, horizon_days=7, windows=4, step_days=3, calendar=no_events)
    assert params.level_alpha >= 0.4 or params.level_half_life_days <= 30
    slow = rolling_origin(h, lambda x, d: seasonal_naive(x, d), name="naive", horizon_days=7, windows=4,
                          step_days=3)
    assert score < slow.wape
