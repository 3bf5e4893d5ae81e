"""Erlang C over arrays: how many agents an interval needs, and how long its callers wait.

Each element is one queue in one staffing interval: offered load ``a`` in Erlangs (arrival rate × mean
handle time, in sessions when an agent serves several at once) and ``m`` servers. Plain numpy, no loops
over elements; the loops run over server counts (a few hundred at most).

Below ``MAX_OCCUPANCY`` the M/M/m queue's waiting time is used: a customer waits with probability
C(m, a) (Erlang C) and then an exponential time of mean ``aht / (m - a)``. At or above it the queue is
overloaded; there the fluid picture holds (the queue grows until abandonment balances the excess), and a
customer's expected wait grows with the excess by the mean patience: ``w(ρ0) + patience × (ρ - ρ0)``.
"""

from __future__ import annotations

import numpy as np


def erlang_c(m: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Probability that an arrival waits, for ``m`` servers (ints ≥ 1) and offered load ``a``; 1 if a ≥ m."""
    m = np.asarray(m, dtype=np.int64)
    a = np.asarray(a, dtype=float)
    b = np.ones(a.shape)
    at_m = np.ones(a.shape)
    for k in range(1, int(m.max(initial=0)) + 1):  # Erlang B by its recursion, read at k = m
        b = a * b / (k + a * b)
        at_m = np.where(m == k, b, at_m)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = m * at_m / (m - a * (1 - at_m))
    return np.where(a < m, np.clip(c, 0.0, 1.0), 1.0)


def required_servers(a: np.ndarray, aht: np.ndarray, sl_target: np.ndarray, sl_seconds: np.ndarray) -> np.ndarray:
    """The fewest servers so that a share ``sl_target`` waits at most ``sl_seconds`` (at least 1)."""
    a = np.asarray(a, dtype=float)
    aht = np.broadcast_to(np.asarray(aht, dtype=float), a.shape)
    target = np.broadcast_to(np.asarray(sl_target, dtype=float), a.shape)
    t = np.broadcast_to(np.asarray(sl_seconds, dtype=float), a.shape)
    need = np.zeros(a.shape, dtype=np.int64)
    done = a <= 0
    need[done] = 1
    b = np.ones(a.shape)
    k = 0
    while not done.all():
        k += 1
        b = a * b / (k + a * b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            c = k * b / (k - a * (1 - b))
            sl = 1 - c * np.exp(-(k - a) * t / aht)
        ok = (a < k) & (sl >= target) & ~done
        need[ok] = k
        done |= ok
    return need


def wait_parameters(m: np.ndarray, a: np.ndarray, aht: np.ndarray, patience_mean: np.ndarray,
                    max_occupancy: float) -> tuple[np.ndarray, np.ndarray]:
    """Per element: the probability of waiting at all and the mean wait of those who wait (seconds)."""
    m = np.maximum(np.asarray(m, dtype=np.int64), 1)
    a = np.asarray(a, dtype=float)
    aht = np.broadcast_to(np.asarray(aht, dtype=float), a.shape)
    patience = np.broadcast_to(np.asarray(patience_mean, dtype=float), a.shape)
    stable = a < max_occupancy * m
    p_wait = np.where(stable, erlang_c(m, np.where(stable, a, 0.0)), 1.0)
    edge = aht / (m * (1 - max_occupancy))  # the mean wait of those who wait at ρ = ρ0
    with np.errstate(divide="ignore"):
        below = aht / np.where(stable, m - a, 1.0)
    mean = np.where(stable, below, edge + patience * (a / m - max_occupancy))
    return p_wait, mean


def sample_waits(rng: np.random.Generator, p_wait: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """One wait per customer: zero with probability ``1 - p_wait``, else exponential with ``mean``."""
    waits = rng.exponential(1.0, p_wait.shape) * mean
    return np.where(rng.random(p_wait.shape) < p_wait, waits, 0.0)
