"""Holiday effects on kefu's own simulated traffic: does learning 国庆 and 双11 from last year pay?

The simulator (``kefu simulate``) multiplies each business line's arrivals on Chinese holidays and events
(``kefu.simulate.calendar``). From a CDR export of 540 days (2025-06-01 … 2026-11-22), every queue with at least
30 contacts a day is forecast 14 days ahead from 2026-09-24 (国庆 2026 inside, 国庆 2025 in the history) and from
2026-11-05 (立冬, 双11); the day totals are scored (WAPE), pooled over queues: the model with day effects, without,
and the seasonal-naive baseline. Prints the effects it learned for the busiest queue.

    .venv/bin/kefu simulate --days 540 --start 2025-06-01 --scale 0.1 --csv /tmp/sim.csv
    .venv/bin/python bench/forecast_sim_check.py /tmp/sim.csv
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from kefu.wfm.forecast_source import histories_from_csv
from kefu.wfm.forecasting import Params, fit, seasonal_naive

ORIGINS = (date(2026, 9, 24), date(2026, 11, 5))


def main(path: str) -> None:
    t = time.perf_counter()
    histories = histories_from_csv(Path(path).read_text(), tz=ZoneInfo("Asia/Shanghai"), time_column="offered_at",
                                   count_column=None)
    busy = {q: h for q, h in histories.items() if h.values.sum() / len(h.days) >= 30}
    print(f"{len(histories)} queues read in {time.perf_counter() - t:.1f} s; {len(busy)} with ≥ 30 contacts a day")
    errors = {"day×profile": [0.0, 0.0], "no day effects": [0.0, 0.0], "seasonal naive": [0.0, 0.0]}
    for h in busy.values():
        for origin in ORIGINS:
            i = h.days.index(origin)
            days, actual = h.days[i:i + 14], h.values[i:i + 14].sum(axis=1)
            past = h.head(i)
            for name, f in (("day×profile", fit(past).predict(days)),
                            ("no day effects", fit(past, Params(effects=False)).predict(days)),
                            ("seasonal naive", seasonal_naive(past, days))):
                errors[name][0] += float(np.abs(actual - f.sum(axis=1)).sum())
                errors[name][1] += float(actual.sum())
    for name, (err, total) in errors.items():
        print(f"| {name} | {err / total:.4f} |")
    q, h = max(busy.items(), key=lambda kv: kv[1].values.sum())
    print(f"{q}: " + ", ".join(f"{k} ×{v:.2f}" for k, v in fit(h).effects.items()))


if __name__ == "__main__":
    main(sys.argv[1])
