"""The day-level × intraday-profile model recovers what synthetic series were built with: weekday factors,
the intraday shape, Chinese holidays and events, the day after a closure, trend; and it scales."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.wfm.synth import WEEKDAY, series, shape

from kefu.wfm.forecasting import Params, fit, from_counts, future_days, seasonal_naive, wape
from kefu.wfm.forecasting.effects import AFTER_CLOSURE, chinese_events, no_events

NATIONAL_DAY_2025 = [date(2025, 10, 1) + timedelta(days=i) for i in range(7)]
DOUBLE_11_2025 = [date(2025, 11, 10) + timedelta(days=i) for i in range(3)]


def test_weekday_factors_and_intraday_shape_are_recovered():
    h = series(date(2026, 3, 2), 140, base=3000.0)
    m = fit(h, calendar=no_events)
    got = np.array([m.weekday_factors[w] for w in range(7)])
    assert np.allclose(got, WEEKDAY / WEEKDAY.mean(), rtol=0.02)
    for w in range(7):
        assert np.abs(m.profiles[w] - shape()).sum() < 0.03  # shares differ by under 3% of a day in total


def test_chinese_holidays_are_estimated_from_history_and_applied_to_next_year():
    effects = dict.fromkeys(NATIONAL_DAY_2025, 0.6) | dict.fromkeys(DOUBLE_11_2025, 1.5)
    h = series(date(2025, 6, 2), 480, effects=effects)  # 2025-06-02 … 2026-09-24
    m = fit(h)  # the real Chinese calendar: 国庆 and 双11 are found by name
    # 中秋 2025 (10-05 … 10-07) falls inside 国庆: on those days both effects together make the dip
    for d in NATIONAL_DAY_2025:
        together = np.prod([m.effects[name] for name in chinese_events(d)])
        assert together == pytest.approx(0.6, rel=0.05), d
    assert m.effects["双11"] == pytest.approx(1.5, rel=0.05)
    assert m.effects["立冬"] == pytest.approx(1.0, abs=0.05)  # in the calendar, but nothing happened

    days = [date(2026, 9, 28) + timedelta(days=i) for i in range(7)]  # 国庆 2026 starts on 10-01
    totals = m.day_totals(days) / WEEKDAY[[d.weekday() for d in days]]
    assert totals[3:].mean() / totals[:3].mean() == pytest.approx(0.6, rel=0.06)
    with pytest.raises(ValueError, match="after the history"):
        m.predict([date(2025, 10, 1)])


def test_without_the_holiday_effect_the_model_would_miss_the_dip():
    effects = dict.fromkeys(NATIONAL_DAY_2025, 0.6)
    h = series(date(2025, 6, 2), 480, effects=effects)  # up to 2026-09-24
    truth = series(date(2025, 6, 2), 497, effects=effects | {date(2026, 10, 1) + timedelta(days=i): 0.6
                                                            for i in range(7)}, noise=False)
    n = len(h.days)
    days, actual = truth.days[n:], truth.values[n:]  # the expected volume, without Poisson noise
    with_fx = wape(actual, fit(h).predict(days))
    without = wape(actual, fit(h, Params(effects=False)).predict(days))
    assert with_fx < 0.04 and without > 0.15


def test_first_day_after_a_closure_is_busier():
    closed = {date(2026, 4, 7), date(2026, 5, 12), date(2026, 6, 9), date(2026, 7, 14)}
    after = {d + timedelta(days=1): 1.3 for d in closed}
    h = series(date(2026, 3, 2), 150, effects=after, closed=closed, weekdays={0, 1, 2, 3, 4})
    m = fit(h, calendar=no_events)
    assert m.effects[AFTER_CLOSURE] == pytest.approx(1.3, rel=0.05)
    assert 5 not in m.weekday_factors and 6 not in m.weekday_factors
    with pytest.raises(ValueError, match="周六"):
        m.predict([h.days[-1] + timedelta(days=i) for i in range(1, 8)])
    days = future_days(h, 14, closed={date(2026, 8, 4)})  # a Tuesday holiday in the coming fortnight
    assert all(d.weekday() < 5 for d in days) and date(2026, 8, 4) not in days
    totals = m.day_totals(days)
    wednesday = days.index(date(2026, 8, 5))
    next_wednesday = days.index(date(2026, 8, 12))
    assert totals[wednesday] / totals[next_wednesday] == pytest.approx(1.3, rel=0.06)


def test_a_growing_queue_is_followed_not_averaged():
    h = series(date(2026, 1, 5), 120, base=1000.0, growth_per_day=0.005)
    truth = series(date(2026, 1, 5), 134, base=1000.0, growth_per_day=0.005, noise=False)
    days, actual = truth.days[120:], truth.values[120:]
    trend = wape(actual, fit(h, Params(trend=True, level_alpha=0.1), calendar=no_events).predict(days))
    flat = wape(actual, fit(h, Params(level_alpha=0.0, level_half_life_days=1e6), calendar=no_events).predict(days))
    assert trend < 0.04
    assert flat > 0.15  # the average of four months is a quarter below where the queue is now


def test_seasonal_naive_repeats_the_last_same_weekday():
    h = series(date(2026, 3, 2), 21)
    days = future_days(h, 8)
    got = seasonal_naive(h, days)
    for d, row in zip(days, got, strict=True):
        last = max(i for i, x in enumerate(h.days) if x.weekday() == d.weekday())
        assert np.array_equal(row, h.values[last])


def test_five_minute_counts_become_half_hours_and_empty_days_are_closures():
    start = datetime(2026, 5, 4, 7, 0)
    times = [start + timedelta(days=d, minutes=5 * k) for d in range(3) for k in range(24)]  # 07:00–08:55
    counts = [0.0 if d == 1 else float(k) for d in range(3) for k in range(24)]
    h = from_counts("阅读热线", times, counts)
    assert h.days == (date(2026, 5, 4), date(2026, 5, 6))  # 05-05 had no calls: closed
    assert h.first_slot == 7 * 60 and h.slots == 4
    assert h.values[0].tolist() == [sum(range(6)), sum(range(6, 12)), sum(range(12, 18)), sum(range(18, 24))]
    assert [t.strftime("%H:%M") for t in h.slot_times()] == ["07:00", "07:30", "08:00", "08:30"]


@pytest.mark.parametrize("counts, message", [([1.0, -2.0], "negative"), ([float("nan"), 1.0], "finite"),
                                             ([0.0, 0.0], "every count is zero")])
def test_bad_counts_are_refused(counts, message):
    times = [datetime(2026, 5, 4, 9), datetime(2026, 5, 4, 10)]
    with pytest.raises(ValueError, match=message):
        from_counts("外卖热线", times, counts)


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(0.01, 1000.0), seed=st.integers(0, 10_000), days=st.integers(14, 60))
def test_forecast_scales_with_the_history_and_stays_positive(scale, seed, days):
    h = series(date(2026, 2, 2), days, base=500.0, seed=seed)
    scaled = type(h)(h.queue, h.days, h.values * scale)
    target = future_days(h, 7)
    a, b = fit(h, calendar=no_events), fit(scaled, calendar=no_events)
    assert np.all(a.predict(target) >= 0) and np.all(np.isfinite(a.predict(target)))
    assert np.allclose(b.day_totals(target), a.day_totals(target) * scale, rtol=1e-6)
    # the intraday shape borrows from the all-days shape by calls seen, so only without that prior is the
    # whole forecast scale-free
    flat = Params(profile_prior_calls=0.0)
    a, b = fit(h, flat, calendar=no_events), fit(scaled, flat, calendar=no_events)
    assert np.allclose(b.predict(target), a.predict(target) * scale, rtol=1e-6)


def test_a_quiet_queue_borrows_the_common_intraday_shape():
    """40 calls a day: each weekday's own shares are noisy; the shape of all days is nearer the truth."""
    h = series(date(2026, 2, 2), 84, base=40.0, seed=5)
    own = fit(h, Params(profile_prior_calls=0.0), calendar=no_events).profiles
    pooled = fit(h, calendar=no_events).profiles
    err = {name: np.mean([np.abs(p[w] - shape()).sum() for w in range(7)]) for name, p in (("own", own),
                                                                                          ("pooled", pooled))}
    assert err["pooled"] < 0.7 * err["own"]
