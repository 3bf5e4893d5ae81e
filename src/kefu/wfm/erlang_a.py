"""Erlang A (M/M/n+M, Palm's model): callers hang up after an exponential patience of mean ``patience``.

For agents ``n`` and load ``A`` the queue length seen by a caller who must wait follows
``r_k = Π_{i≤k} A / (n + i·g)`` with ``g = aht / patience``; a caller with ``k`` ahead is answered with
probability ``n / (n + (k+1)·g)``, and, given that, after a sum of exponentials of rates
``θ·(α + j)``, ``j = 0..k``, ``α = 1 + n·patience/aht``, whose distribution is ``−ln Beta(α, k+1) / θ``:
answered within ``T`` with probability ``1 − y^α Σ_{j≤k} (α)_j (1−y)^j / j!`` where ``y = e^{−T/patience}``.
Everything is summed in log space over the queue lengths that matter, so loads of thousands of Erlangs and
staffing far below the load (which Erlang A allows: the callers who give up keep the queue finite) work.

The service level is the share of *all* callers answered within ``T``: a caller who hangs up counts as
not served. ``abandonment`` is the share who hang up; ``asa`` the mean wait of those answered.
"""

from __future__ import annotations

import numpy as np

from kefu.wfm.erlang import SL_SLACK, Metrics, Requirement, _check, ceil_exact, erlang_b, offered_load, with_shrinkage
from kefu.wfm.erlang import requirement as erlang_c_requirement

CELLS_X_QUEUE = 2_000_000  # array elements per chunk (cells × queue lengths)


def _depth(a, n, g) -> int:
    """Queue lengths to sum: past the mode (A − n)/g by many standard deviations."""
    spread = np.sqrt(a / g + 1.0)
    return int(np.max(np.maximum(0.0, (a - n) / g) + 12.0 * spread + 40.0, initial=40.0))


def _chunk(n, a, g, alpha, y, b):
    """(waiting probability, abandonment, SL, ASA in aht units) for 1-D arrays of cells."""
    k_max = _depth(a, n, g)
    k = np.arange(k_max + 1, dtype=float)
    rate = n[:, None] + (k[None, 1:]) * g[:, None]  # n + i·g, i = 1..K
    with np.errstate(divide="ignore"):
        logr = np.concatenate([np.zeros((n.size, 1)), np.cumsum(np.log(a)[:, None] - np.log(rate), axis=1)], 1)
    top = logr.max(axis=1, keepdims=True)
    weights = np.exp(logr - top)
    s = weights.sum(axis=1, keepdims=True)
    qk = weights / s  # queue seen by a caller who waits
    with np.errstate(divide="ignore", over="ignore"):
        log_bs = np.log(b) + top[:, 0] + np.log(s[:, 0])
        p_wait = np.where(b > 0, 1.0 / (1.0 + (1.0 - b) * np.exp(-log_bs)), 0.0)
    served = n[:, None] / (n[:, None] + (k[None, :] + 1.0) * g[:, None])
    abandon = p_wait * (qk * (1.0 - served)).sum(axis=1)
    mean_wait = np.cumsum(1.0 / (n[:, None] + (k[None, :] + 1.0) * g[:, None]), axis=1)
    asa_num = p_wait * (qk * served * mean_wait).sum(axis=1)
    within = _within(alpha, y, k_max)
    sl = (1.0 - p_wait) + p_wait * (qk * served * within).sum(axis=1)
    answered = 1.0 - abandon
    asa = np.where(answered > 0, asa_num / np.where(answered > 0, answered, 1.0), np.inf)
    return p_wait, abandon, np.clip(sl, 0.0, 1.0), asa


def _within(alpha, y, k_max):
    """P(−ln Beta(α, k+1) ≤ −ln y) for k = 0..K: 1 − y^α Σ_{j≤k} (α)_j (1−y)^j / j!, in log space."""
    j = np.arange(k_max + 1, dtype=float)
    with np.errstate(divide="ignore"):
        log1my = np.log1p(-y)[:, None]
        steps = np.log(alpha[:, None] + j[None, :-1]) - np.log(j[None, 1:]) + log1my
        logterm = alpha[:, None] * np.log(y)[:, None] + np.concatenate(
            [np.zeros((alpha.size, 1)), np.cumsum(steps, axis=1)], axis=1)
    logcdf = np.logaddexp.accumulate(logterm, axis=1)
    return np.clip(-np.expm1(np.minimum(logcdf, 0.0)), 0.0, 1.0)


def erlang_a(agents, calls, interval_s, aht, target_time, patience) -> tuple[Metrics, np.ndarray]:
    """Erlang A metrics for ``agents`` on the phones, and the abandonment share."""
    a = offered_load(calls, interval_s, aht)
    n, a, aht, t, pat = (np.array(x, dtype=float) for x in np.broadcast_arrays(
        np.asarray(agents), a, aht, target_time, patience))
    shape = a.shape
    n, a, aht, t, pat = (x.ravel() for x in (n, a, aht, t, pat))
    b = erlang_b(n.astype(np.int64), a)
    p_wait, abandon, sl, asa = (np.zeros(a.size) for _ in range(4))
    live = np.flatnonzero(a > 0)
    sl[a <= 0] = 1.0
    if live.size:
        g = aht[live] / pat[live]
        alpha = 1.0 + n[live] * pat[live] / aht[live]
        y = np.exp(-t[live] / pat[live])
        per = max(1, CELLS_X_QUEUE // (_depth(a[live], n[live], g) + 1))
        for lo in range(0, live.size, per):
            s = slice(lo, lo + per)
            got = _chunk(n[live][s], a[live][s], g[s], alpha[s], y[s], b[live][s])
            for out, v in zip((p_wait, abandon, sl, asa), got, strict=True):
                out[live[s]] = v
        asa[live] *= aht[live]
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.minimum(a * (1.0 - abandon) / np.where(n > 0, n, 1.0), 1.0), (a > 0) * 1.0)
    m = Metrics(waiting_probability=p_wait.reshape(shape), service_level=sl.reshape(shape),
                asa=asa.reshape(shape), occupancy=occ.reshape(shape))
    return m, abandon.reshape(shape)


def _meets(m: Metrics, abandon, sl, occ, max_abandon) -> np.ndarray:
    return (m.service_level >= sl - SL_SLACK) & (m.occupancy <= occ + SL_SLACK) & (abandon <= max_abandon)


def requirement(calls, interval_s, aht, service_level, target_time, *, patience, shrinkage=0.0,
                max_occupancy=1.0, max_abandonment=1.0) -> Requirement:
    """The fewest agents meeting the service level and occupancy cap when callers give up after a mean
    ``patience`` seconds; at least one agent when there are calls. Binary search per cell (both measures
    are monotone in the agents), all cells at once.

    With short patience the service level alone can be met below the load (those who hang up leave
    before the target time); ``max_abandonment`` caps the share who give up."""
    _check(calls=calls, interval_s=interval_s, aht=aht, service_level=service_level, target_time=target_time,
           shrinkage=shrinkage, max_occupancy=max_occupancy)
    if not np.all(np.asarray(patience, dtype=float) > 0):
        raise ValueError("patience must be > 0 seconds")
    if not np.all((np.asarray(max_abandonment, dtype=float) > 0) & (np.asarray(max_abandonment) <= 1)):
        raise ValueError("max_abandonment must be > 0 and ≤ 1")
    args = [np.array(x, dtype=float) for x in np.broadcast_arrays(
        calls, interval_s, aht, service_level, target_time, patience, max_occupancy, shrinkage, max_abandonment)]
    calls, interval_s, aht, sl, t, pat, occ, shr, max_ab = args

    def metrics(n):
        return erlang_a(n, calls, interval_s, aht, t, pat)

    def meets(n):
        m, abandon = metrics(n)
        return _meets(m, abandon, sl, occ, max_ab)

    busy = offered_load(calls, interval_s, aht) > 0
    hi = np.maximum(erlang_c_requirement(calls, interval_s, aht, sl, t, max_occupancy=occ).raw_positions, 1)
    while True:  # the Erlang C staffing nearly always suffices; grow it where it does not
        short = busy & ~meets(hi)
        if not short.any():
            break
        hi = np.where(short, hi * 2, hi)
    lo = np.zeros_like(hi)  # fails (or is not allowed) wherever there are calls
    while np.any(busy & (hi - lo > 1)):
        mid = np.where(busy, (lo + hi) // 2, hi)
        ok = meets(mid)
        hi = np.where(busy & ok & (hi - lo > 1), mid, hi)
        lo = np.where(busy & ~ok & (hi - lo > 1), mid, lo)
    need = np.where(busy, hi, 0).astype(np.int64)
    m, abandon = metrics(need)
    return Requirement(load=np.asarray(offered_load(calls, interval_s, aht)), raw_positions=need,
                       positions=np.where(need > 0, with_shrinkage(need, shr), 0), service_level=m.service_level,
                       occupancy=m.occupancy, asa=m.asa, waiting_probability=m.waiting_probability,
                       abandonment=abandon)


__all__ = ["erlang_a", "requirement", "ceil_exact"]
