"""The seasonal-naive baseline (同期值): each day repeats the last open day of the same weekday."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from kefu.wfm.forecasting.history import WEEKDAYS_ZH, History


def seasonal_naive(history: History, days: Sequence[date]) -> np.ndarray:
    """(days × intervals): the latest history day with the same weekday, copied."""
    latest = {d.weekday(): i for i, d in enumerate(history.days)}
    missing = sorted({WEEKDAYS_ZH[d.weekday()] for d in days if d.weekday() not in latest})
    if missing:
        raise ValueError(f"no history on {'、'.join(missing)}: nothing to forecast from")
    return np.array([history.values[latest[d.weekday()]] for d in days]).reshape(len(days), history.slots)
