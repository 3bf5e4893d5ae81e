"""One entry point for the CLI and the API: Erlang C when callers wait forever, Erlang A when they have a
mean ``patience`` (seconds)."""

from __future__ import annotations

import numpy as np

from kefu.wfm import erlang, erlang_a


def requirement(*, calls, interval_minutes, aht, service_level, target_time, shrinkage=0.0, max_occupancy=1.0,
                patience=None, max_abandonment=None) -> erlang.Requirement:
    interval_s = _positive_minutes(interval_minutes)
    if patience is None:
        if max_abandonment is not None:
            raise ValueError("max_abandonment needs patience (Erlang A): without it nobody hangs up")
        return erlang.requirement(calls, interval_s, aht, service_level, target_time, shrinkage=shrinkage,
                                  max_occupancy=max_occupancy)
    return erlang_a.requirement(calls, interval_s, aht, service_level, target_time, patience=patience,
                                shrinkage=shrinkage, max_occupancy=max_occupancy,
                                max_abandonment=1.0 if max_abandonment is None else max_abandonment)


def _positive_minutes(minutes):
    m = np.asarray(minutes, dtype=float)
    if not np.all(np.isfinite(m) & (m > 0)):
        raise ValueError("interval must be > 0 minutes")
    return m * 60.0
