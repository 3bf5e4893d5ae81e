"""The statsforecast side of ``forecast_bench.py``, run with a Python that has statsforecast (never kefu's venv).

Reads the bank calls, sums five-minute counts into half-hours (29 a day: 07:00 … 21:00, the last holding one
five-minute count, exactly as kefu buckets them), fits SeasonalNaive, AutoETS and MSTL (AutoETS trend) on the
series as statsforecast sees it (positions, no calendar: 29 per day, 145 per five-weekday week), and prints JSON:
per model the two-week forecast from the training part, the ten day-ahead forecasts (refit each day) and the fit
times. Usage: python forecast_bench_statsforecast.py CSV HOLDOUT_DAYS
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from statsforecast.models import MSTL, AutoETS, SeasonalNaive

DAY, WEEK = 29, 145


def series(path: str) -> np.ndarray:
    df = pd.read_csv(path)
    t = pd.to_datetime(df["DateTime"].str.slice(0, 19))
    df["slot"] = t.dt.floor("30min")
    return df.groupby("slot")["Calls"].sum().to_numpy(dtype=float)


MODELS = {
    "SeasonalNaive": lambda: SeasonalNaive(season_length=WEEK),
    "AutoETS": lambda: AutoETS(season_length=DAY),
    "MSTL": lambda: MSTL(season_length=[DAY, WEEK], trend_forecaster=AutoETS(model="ZZN")),
}


def run(y: np.ndarray, holdout_days: int) -> dict:
    cut = len(y) - holdout_days * DAY
    out = {}
    for name, make in MODELS.items():
        t = time.perf_counter()
        two_weeks = make().forecast(y=y[:cut], h=holdout_days * DAY)["mean"]
        fit_two_weeks = time.perf_counter() - t
        t = time.perf_counter()
        day_ahead = [make().forecast(y=y[:cut + k * DAY], h=DAY)["mean"] for k in range(holdout_days)]
        fit_day_ahead = (time.perf_counter() - t) / holdout_days
        out[name] = {"two_weeks": np.asarray(two_weeks).tolist(),
                     "day_ahead": np.concatenate(day_ahead).tolist(),
                     "fit_seconds_two_weeks": fit_two_weeks, "fit_seconds_day_ahead": fit_day_ahead}
    return out


if __name__ == "__main__":
    y = series(sys.argv[1])
    print(json.dumps({"n": len(y), "models": run(y, int(sys.argv[2]))}))
