"""A discrete-event simulator of one staffed queue (排队仿真): Poisson arrivals, a handle-time distribution,
caller patience, ``agents`` identical agents answering first come, first served.

It checks the Erlang formulas and staffs where they do not hold (handle times far from exponential, a
fixed patience). With one FCFS queue the events need no calendar: a caller's answer time is fixed by
those ahead of them, so each caller takes the earliest free agent (a heap of agents' free times) unless
their patience runs out first, in which case they leave and occupy no one.

A run plays ``intervals`` back-to-back copies of the interval after a ``warmup`` of the same load, so the
figures are the steady state the formulas describe; seeded, so a run is reproducible.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

HANDLE_KINDS = ("exponential", "lognormal", "gamma", "deterministic", "empirical")


@dataclass(frozen=True)
class SimResult:
    offered: int
    answered: int
    abandoned: int
    service_level: float  # answered within the target time, over all callers
    waiting_probability: float
    asa: float  # mean wait of the answered, seconds
    abandonment: float
    occupancy: float


def handle_times(rng: np.random.Generator, size: int, *, aht: float, kind: str = "exponential", cv: float = 1.0,
                 sample=None) -> np.ndarray:
    """``size`` handle times of mean ``aht`` (``cv``: coefficient of variation; ``sample``: observed times
    to draw from when ``kind`` is ``empirical``)."""
    if kind == "exponential":
        return rng.exponential(aht, size)
    if kind == "deterministic":
        return np.full(size, float(aht))
    if kind == "lognormal":
        s2 = np.log1p(cv * cv)
        return rng.lognormal(np.log(aht) - s2 / 2, np.sqrt(s2), size)
    if kind == "gamma":
        shape = 1.0 / (cv * cv)
        return rng.gamma(shape, aht / shape, size)
    if kind == "empirical":
        if sample is None or len(sample) == 0:
            raise ValueError("an empirical handle time needs a sample of observed times")
        return rng.choice(np.asarray(sample, dtype=float), size)
    raise ValueError(f"handle time kind must be one of {', '.join(HANDLE_KINDS)}")


def simulate(*, calls: float, interval_s: float, aht: float, agents: int, target_time: float,
             patience: float | None = None, handle: str = "exponential", cv: float = 1.0, sample=None,
             intervals: int = 200, warmup: int = 5, seed: int = 0) -> SimResult:
    """Play the staffed interval; callers arriving during the warm-up are not counted."""
    if agents < 0 or calls < 0 or interval_s <= 0 or aht <= 0:
        raise ValueError("agents and calls must be ≥ 0, interval and aht > 0")
    rng = np.random.default_rng(seed)
    horizon = interval_s * (intervals + warmup)
    count = rng.poisson(calls * (intervals + warmup))
    arrivals = np.sort(rng.uniform(0.0, horizon, count))  # a Poisson process, given its count
    service = handle_times(rng, count, aht=aht, kind=handle, cv=cv, sample=sample)
    limit = rng.exponential(patience, count) if patience else np.full(count, np.inf)
    waits = _play(arrivals, service, limit, agents)
    counted = arrivals >= interval_s * warmup
    w, s = waits[counted], service[counted]
    answered = np.isfinite(w)
    n = int(counted.sum())
    if n == 0:
        return SimResult(0, 0, 0, 1.0, 0.0, 0.0, 0.0, 0.0)
    busy = float(s[answered].sum())
    return SimResult(
        offered=n, answered=int(answered.sum()), abandoned=int((~answered).sum()),
        service_level=float((answered & (w <= target_time)).sum() / n),
        waiting_probability=float(((~answered) | (w > 0)).sum() / n),
        asa=float(w[answered].mean()) if answered.any() else float("inf"),
        abandonment=float((~answered).sum() / n),
        occupancy=min(1.0, busy / (agents * interval_s * intervals)) if agents else 1.0,
    )


def _play(arrivals: np.ndarray, service: np.ndarray, limit: np.ndarray, agents: int) -> np.ndarray:
    """Each caller's wait until answered, ``inf`` for those who gave up (or found no agent at all)."""
    waits = np.full(arrivals.size, np.inf)
    if agents == 0:
        return waits
    free = [0.0] * agents  # when each agent is next free (a heap)
    for i, (t, s, p) in enumerate(zip(arrivals.tolist(), service.tolist(), limit.tolist(), strict=True)):
        start = max(t, free[0])
        if start - t > p:
            continue  # hung up before an agent was free
        waits[i] = start - t
        heapq.heapreplace(free, start + s)
    return waits


def staff(*, calls: float, interval_s: float, aht: float, service_level: float, target_time: float,
          patience: float | None = None, handle: str = "exponential", cv: float = 1.0, sample=None,
          max_occupancy: float = 1.0, start: int = 1, intervals: int = 200, seed: int = 0) -> tuple[int, SimResult]:
    """The fewest agents whose simulated service level and occupancy meet the targets, searching upward
    from ``start`` (an Erlang figure is a good start). The same seed for every count (common random
    numbers), so adding an agent never makes the run look worse by chance."""
    if calls <= 0:
        return 0, SimResult(0, 0, 0, 1.0, 0.0, 0.0, 0.0, 0.0)
    n = max(1, start)
    run = {}

    def at(k):
        if k not in run:
            run[k] = simulate(calls=calls, interval_s=interval_s, aht=aht, agents=k, target_time=target_time,
                              patience=patience, handle=handle, cv=cv, sample=sample, intervals=intervals,
                              seed=seed)
        return run[k]

    def ok(k):
        r = at(k)
        return r.service_level >= service_level and r.occupancy <= max_occupancy

    while not ok(n):
        n += 1
    while n > 1 and ok(n - 1):
        n -= 1
    return n, at(n)
