"""Forecast accuracy and fit time on the bank calls: kefu's day×profile model against statsforecast's
SeasonalNaive, AutoETS and MSTL (AutoETS trend), measured in the same run on the last 10 weekdays as holdout.

kefu's parameters are chosen by rolling-origin backtests on the training part only (the 154 days before the
holdout); the holdout is scored once. statsforecast runs in its own virtualenv (never in kefu's dependencies):

    python3 -m venv /tmp/sf && /tmp/sf/bin/pip install statsforecast pandas
    .venv/bin/python bench/forecast_bench.py --statsforecast-python /tmp/sf/bin/python

Two weeks ahead: one fit on the training part, forecast the 10 holdout days (290 half-hours). Day-ahead: ten
fits, each on everything before a holdout day, forecasting that day. WAPE over all holdout half-hours. kefu's
fit times are the best of 5 runs (milliseconds move with the load of a shared machine); statsforecast's one run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from kefu.wfm.forecasting import History, Params, fit, from_counts, mape, seasonal_naive, tune, wape
from kefu.wfm.forecasting.effects import no_events

HERE = Path(__file__).parent
DATA = Path("/work/shared/data/bank_calls_fpp3.csv")
HOLDOUT = 10


def load(path: Path) -> History:
    with path.open() as f:
        rows = list(csv.DictReader(f))
    # the timestamps say Z but are the bank's local clock (07:00–21:00): read them as wall-clock times
    times = [datetime.fromisoformat(r["DateTime"][:19]) for r in rows]
    return from_counts("bank", times, [float(r["Calls"]) for r in rows], slot_minutes=30)


def _best_of(repeats: int, run):
    """The result of ``run()`` and its fastest time over ``repeats`` runs (the machine is shared)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t)
    return out, min(times)


def kefu_runs(h: History, params: Params, repeats: int = 5) -> dict:
    n = len(h.days)
    train, days = h.head(n - HOLDOUT), h.days[n - HOLDOUT:]
    two_weeks, fit_two = _best_of(repeats, lambda: fit(train, params, calendar=no_events).predict(days))
    day_ahead, fit_day = _best_of(repeats, lambda: np.vstack([
        fit(h.head(i), params, calendar=no_events).predict(h.days[i:i + 1]) for i in range(n - HOLDOUT, n)]))
    return {"two_weeks": two_weeks.ravel(), "day_ahead": day_ahead.ravel(), "fit_seconds_two_weeks": fit_two,
            "fit_seconds_day_ahead": fit_day / HOLDOUT}


def naive_runs(h: History) -> dict:
    n = len(h.days)
    two = seasonal_naive(h.head(n - HOLDOUT), h.days[n - HOLDOUT:])
    day = np.vstack([seasonal_naive(h.head(i), h.days[i:i + 1]) for i in range(n - HOLDOUT, n)])
    return {"two_weeks": two.ravel(), "day_ahead": day.ravel(), "fit_seconds_two_weeks": 0.0,
            "fit_seconds_day_ahead": 0.0}


def statsforecast_runs(python: str) -> dict:
    out = subprocess.run([python, str(HERE / "forecast_bench_statsforecast.py"), str(DATA), str(HOLDOUT)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["models"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--statsforecast-python", help="a Python with statsforecast installed (skipped if not given)")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    h = load(DATA)
    n = len(h.days)
    train = h.head(n - HOLDOUT)
    actual = h.values[n - HOLDOUT:].ravel()
    print(f"{n} days × {h.slots} half-hours; holdout {h.days[n - HOLDOUT]} … {h.days[-1]}")

    t = time.perf_counter()
    p_two, cv_two = tune(train, horizon_days=HOLDOUT, windows=8, step_days=5, calendar=no_events)
    p_day, cv_day = tune(train, horizon_days=1, windows=30, calendar=no_events)
    print(f"tuning on the training part only: {time.perf_counter() - t:.1f} s; backtest WAPE {cv_two:.4f} "
          f"(10-day, 8 origins) {cv_day:.4f} (1-day, 30 origins)\n  two weeks: {p_two}\n  day-ahead: {p_day}")

    runs = {}
    runs["kefu day×profile"] = {**kefu_runs(h, p_two), "day_ahead": kefu_runs(h, p_day)["day_ahead"]}
    no_fx = {k: kefu_runs(h, Params(**{**p.__dict__, "effects": False})) for k, p in (("two", p_two), ("day", p_day))}
    runs["kefu, no day effects"] = {**no_fx["two"], "day_ahead": no_fx["day"]["day_ahead"]}
    runs["kefu seasonal naive"] = naive_runs(h)
    if args.statsforecast_python:
        t = time.perf_counter()
        for name, r in statsforecast_runs(args.statsforecast_python).items():
            runs[f"statsforecast {name}"] = {k: np.asarray(v) for k, v in r.items()}
        print(f"statsforecast run: {time.perf_counter() - t:.0f} s")

    print("\n| model | WAPE 2 weeks | MAPE 2 weeks | WAPE day-ahead | MAPE day-ahead | fit 2 weeks | fit day-ahead |")
    print("|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        print(f"| {name} | {wape(actual, r['two_weeks']):.4f} | {mape(actual, r['two_weeks']):.4f} "
              f"| {wape(actual, r['day_ahead']):.4f} | {mape(actual, r['day_ahead']):.4f} "
              f"| {r['fit_seconds_two_weeks'] * 1000:.1f} ms | {r['fit_seconds_day_ahead'] * 1000:.1f} ms |")
    if args.statsforecast_python:
        k = runs["kefu day×profile"]
        for ours, peer, key in (("two_weeks", "statsforecast MSTL", "two_weeks"),
                                ("day_ahead", "statsforecast AutoETS", "day_ahead")):
            a, b = wape(actual, k[ours]), wape(actual, runs[peer][key])
            print(f"{ours}: kefu {a:.4f} vs {peer} {b:.4f}: {1 - a / b:.1%} lower (goal ≥ 10%)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
