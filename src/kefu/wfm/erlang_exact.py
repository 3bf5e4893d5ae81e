"""The exact reference for ``kefu.wfm.erlang``: one cell at a time in integers and fractions.

Inputs are read as the decimals they print as (``0.85`` is 17/20). Erlang B is carried as an unreduced
integer pair through its recursion, Erlang C is an exact fraction, and only the service level's
exponential is evaluated, with 60 significant digits (``decimal``). Slow by design: it exists to check
the fast module, in the tests and the benchmark.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

DIGITS = 60


def q(x) -> Fraction:
    """A decimal input as an exact fraction."""
    return x if isinstance(x, Fraction) else Fraction(str(x))


def ceil_q(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _dec(x: Fraction) -> Decimal:
    scaled = x.numerator * 10**DIGITS // x.denominator  # no huge-integer-to-string conversion
    return Decimal(scaled) / Decimal(10**DIGITS)


def service_level_meets(n: int, a: Fraction, c: Fraction, aht: Fraction, t: Fraction, target: Fraction) -> bool:
    """1 − C·exp(−(n − A)·T/AHT) ≥ target, decided with 60 digits."""
    with localcontext() as ctx:
        ctx.prec = DIGITS
        x = _dec((n - a) * t / aht)
        return Decimal(1) - _dec(c) * (-x).exp() >= _dec(target)


def requirement(calls, interval_s, aht, service_level, target_time, shrinkage=0, max_occupancy=1) -> dict:
    """``{"raw_positions", "positions", "waiting_probability"}`` (the last a Fraction) for one cell."""
    a = q(calls) * q(aht) / q(interval_s)
    if a == 0:
        return {"raw_positions": 0, "positions": 0, "waiting_probability": Fraction(0)}
    lower = max(math.floor(a) + 1, ceil_q(a / q(max_occupancy)))
    p, r = a.numerator, a.denominator
    u, v = 1, 1  # B(0) = 1, as u/v
    n = 0
    while True:
        n += 1
        u, v = p * u, n * r * v + p * u  # B(n) = A·B / (n + A·B) with A = p/r
        if n < lower:
            continue
        c = Fraction(n * u * r, n * r * v - p * (v - u))  # n·B / (n − A(1 − B))
        if service_level_meets(n, a, c, q(aht), q(target_time), q(service_level)):
            return {"raw_positions": n, "positions": ceil_q(n / (1 - q(shrinkage))), "waiting_probability": c}
