"""Erlang C staffing over arrays (人力需求测算): how many agents an interval needs to reach its service level.

Every function broadcasts its arguments, so one call staffs a whole week of half-hours for every queue
(an array shaped ``(intervals, queues)`` or any other shape). Plain numpy; the only loop runs over agent
counts, carrying the Erlang B recursion ``B(n) = A·B(n-1) / (n + A·B(n-1))`` for every cell at once, which
stays inside [0, 1] for any load (no factorials, no overflow from 0 to well past 10,000 Erlangs).

Units: ``calls`` per interval, ``interval_s``, ``aht`` and ``target_time`` in seconds, shares as fractions
(0.8 for 80%). The offered load is ``A = calls × aht / interval_s`` Erlangs.

Rounding is exact for decimal inputs: a ratio such as 21 / (1 − 0.3) or 45.9 / 0.85 that is an integer in
exact arithmetic comes out as that integer although the floating-point quotient is 30.000000000000004
(``ceil_exact``). ``kefu.wfm.erlang_exact`` is the exact-fraction reference the tests check this against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# a float quotient this close (relative) to an integer is that integer: the inputs are decimals with a few
# digits, whose exact ratio is either an integer or at least ~1e-8 away from one
SNAP = 1e-9
# SL compared with this slack, so that an SL equal to the target in exact arithmetic meets it
SL_SLACK = 1e-12


def _snap(x: np.ndarray) -> np.ndarray:
    k = np.rint(x)
    return np.where(np.abs(x - k) <= SNAP * np.maximum(1.0, np.abs(x)), k, x)


def ceil_exact(x) -> np.ndarray:
    """``ceil`` of a quotient, not adding one for float noise above an integer (21/0.7 → 30, not 31)."""
    return np.ceil(_snap(np.asarray(x, dtype=float))).astype(np.int64)


def floor_exact(x) -> np.ndarray:
    """``floor`` of a quotient, not losing one for float noise below an integer."""
    return np.floor(_snap(np.asarray(x, dtype=float))).astype(np.int64)


def offered_load(calls, interval_s, aht) -> np.ndarray:
    """Offered load in Erlangs: arrival rate × mean handle time."""
    return np.asarray(calls, dtype=float) * np.asarray(aht, dtype=float) / np.asarray(interval_s, dtype=float)


def erlang_b(agents, load) -> np.ndarray:
    """Blocking probability of a loss system with ``agents`` servers (ints ≥ 0) and ``load`` Erlangs."""
    n = np.asarray(agents, dtype=np.int64)
    a = np.asarray(load, dtype=float)
    n, a = np.broadcast_arrays(n, a)
    b = np.ones(a.shape)
    out = np.ones(a.shape)
    for k in range(1, int(n.max(initial=0)) + 1):
        b = a * b / (k + a * b)
        out = np.where(n == k, b, out)
    return out


def erlang_c_from_b(n, a, b) -> np.ndarray:
    """Probability of waiting from Erlang B: ``n·B / (n − A·(1 − B))``; 1 when n ≤ A (every caller waits)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    return np.where(n > a, np.clip(c, 0.0, 1.0), 1.0)


@dataclass(frozen=True)
class Metrics:
    """What ``agents`` on the phones give, per cell. When agents ≤ load the queue grows without bound:
    every caller waits, the service level is 0 and the ASA infinite."""

    waiting_probability: np.ndarray
    service_level: np.ndarray
    asa: np.ndarray  # average speed of answer, seconds
    occupancy: np.ndarray


def _metrics(n, a, aht, target_time, c) -> Metrics:
    n = np.asarray(n, dtype=float)
    stable = n > a
    gap = np.where(stable, n - a, 1.0)
    sl = np.where(stable, 1.0 - c * np.exp(-gap * target_time / aht), 0.0)
    asa = np.where(stable, c * aht / gap, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.minimum(a / n, 1.0), np.where(a > 0, 1.0, 0.0))
    zero = a <= 0
    return Metrics(waiting_probability=np.where(zero, 0.0, c), service_level=np.where(zero, 1.0, sl),
                   asa=np.where(zero, 0.0, asa), occupancy=occ)


def erlang_c(agents, calls, interval_s, aht, target_time) -> Metrics:
    """Erlang C (M/M/n, callers never give up) for ``agents`` on the phones."""
    a = offered_load(calls, interval_s, aht)
    n, a, aht, t = np.broadcast_arrays(np.asarray(agents, dtype=np.int64), a, np.asarray(aht, dtype=float),
                                       np.asarray(target_time, dtype=float))
    c = erlang_c_from_b(n, a, erlang_b(n, a))
    return _metrics(n, a, aht, t, c)


@dataclass(frozen=True)
class Requirement:
    """The staffing of each cell: ``raw_positions`` agents on the phones, ``positions`` scheduled once
    shrinkage (breaks, training, absence) is allowed for, and what the raw positions achieve."""

    load: np.ndarray
    raw_positions: np.ndarray
    positions: np.ndarray
    service_level: np.ndarray
    occupancy: np.ndarray
    asa: np.ndarray
    waiting_probability: np.ndarray
    abandonment: np.ndarray | None = None  # Erlang A only: share of callers who hang up waiting

    def as_lists(self) -> dict:
        """Plain lists (JSON-ready; an infinite ASA as None) in the cells' shape."""
        out = {}
        for name in ("load", "raw_positions", "positions", "service_level", "occupancy", "asa",
                     "waiting_probability", "abandonment"):
            v = getattr(self, name)
            if v is not None:
                v = np.asarray(v)
                out[name] = (np.where(np.isfinite(v), v, None) if v.dtype.kind == "f" else v).tolist()
        return out


def with_shrinkage(raw_positions, shrinkage) -> np.ndarray:
    """Scheduled positions: ``ceil(raw / (1 − shrinkage))`` exactly (21 at 30% → 30)."""
    raw = np.asarray(raw_positions, dtype=float)
    return ceil_exact(raw / (1.0 - np.asarray(shrinkage, dtype=float)))


def _check(**arrays) -> None:
    rules = {"calls": (0, None, True), "interval_s": (0, None, False), "aht": (0, None, False),
             "service_level": (0, 1, "lo"), "target_time": (0, None, True), "shrinkage": (0, 1, "lo"),
             "max_occupancy": (0, 1, "hi")}
    for name, value in arrays.items():
        lo, hi, closed = rules[name]
        v = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must be a finite number")
        bad = (v < lo) if closed in (True, "lo") else (v <= lo)
        if hi is not None:
            bad |= (v > hi) if closed == "hi" else (v >= hi)
        if np.any(bad):
            low = "≥" if closed in (True, "lo") else ">"
            high = "" if hi is None else (f" and ≤ {hi}" if closed == "hi" else f" and < {hi}")
            raise ValueError(f"{name} must be {low} {lo}{high}")


def requirement(calls, interval_s, aht, service_level, target_time, *, shrinkage=0.0,
                max_occupancy=1.0) -> Requirement:
    """The fewest agents per cell with at least ``service_level`` of callers answered within
    ``target_time`` seconds and occupancy at most ``max_occupancy``; then positions after ``shrinkage``.

    Zero calls need zero agents. Raises ``ValueError`` naming the argument on bad input (negative calls,
    a service level of 1 or more, which no finite staff reaches, …)."""
    _check(calls=calls, interval_s=interval_s, aht=aht, service_level=service_level, target_time=target_time,
           shrinkage=shrinkage, max_occupancy=max_occupancy)
    a = offered_load(calls, interval_s, aht)
    a, aht, sl, t, occ, shr = (np.array(x, dtype=float) for x in np.broadcast_arrays(
        a, aht, service_level, target_time, max_occupancy, shrinkage))
    lower = np.maximum(floor_exact(a) + 1, ceil_exact(a / occ))  # N > A, A/N ≤ max occupancy
    need = np.where(a <= 0, 0, -1).astype(np.int64)
    b_at = np.zeros(a.shape)
    _search(a.ravel(), aht.ravel(), sl.ravel(), t.ravel(), lower.ravel(), need.reshape(-1), b_at.reshape(-1))
    c = erlang_c_from_b(need, a, b_at)
    m = _metrics(need, a, aht, t, c)
    return Requirement(load=a, raw_positions=need, positions=np.where(need > 0, with_shrinkage(need, shr), 0),
                       service_level=m.service_level, occupancy=m.occupancy, asa=m.asa,
                       waiting_probability=m.waiting_probability)


def _search(a, aht, sl, t, lower, need, b_at) -> None:
    """Walk n = 1, 2, … carrying Erlang B (in place) for the open cells; a cell closes at the first n ≥ its
    lower bound whose service level meets the target. Cells are sorted by lower bound: each joins the small
    ``pending`` set when n reaches it, and only pending cells have their service level computed. When half
    the cells have closed, the arrays are compacted (the busiest cells run longest)."""
    idx = np.flatnonzero(need < 0)
    idx = idx[np.argsort(lower[idx], kind="stable")]
    load, ratio, slack = a[idx], t[idx] / aht[idx], 1.0 - (sl[idx] - SL_SLACK)
    low = lower[idx].tolist()
    b, ab = np.ones(idx.size), np.empty(idx.size)
    pending = np.empty(0, dtype=np.int64)
    open_ = np.ones(idx.size, dtype=bool)
    joined, left, n = 0, idx.size, 0
    while left:
        n += 1
        np.multiply(load, b, out=ab)
        np.divide(ab, ab + n, out=b)
        reach = joined
        while reach < len(low) and low[reach] <= n:
            reach += 1
        if reach > joined:
            pending = np.concatenate([pending, np.arange(joined, reach)])
            joined = reach
        if not pending.size:
            continue
        x, bb = load[pending], b[pending]
        gap = n - x
        # 1 − C·e^{−gap·T/AHT} ≥ target with C = n·B / (gap + A·B), n > A: no division needed
        hit = n * bb * np.exp(-gap * ratio[pending]) <= slack[pending] * (gap + x * bb)
        if not hit.any():
            continue
        cells = pending[hit]
        need[idx[cells]] = n
        b_at[idx[cells]] = b[cells]
        open_[cells] = False
        pending = pending[~hit]
        left -= cells.size
        if 2 * left < idx.size and left:
            new = np.cumsum(open_) - 1
            pending, joined = new[pending], int(open_[:joined].sum())
            low = [v for v, keep in zip(low, open_.tolist(), strict=True) if keep]
            idx, load, ratio, slack, b = idx[open_], load[open_], ratio[open_], slack[open_], b[open_]
            ab, open_ = np.empty(idx.size), np.ones(idx.size, dtype=bool)
