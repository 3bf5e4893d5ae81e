"""KPI targets and their deviation (偏离程度): pure functions.

A target is a value with a tolerance; the deviation is actual − target (in the KPI's own unit: a fraction
for rates, seconds for ASA/AHT). It is flagged when it lies outside ± tolerance, with whether that side is
the bad one (a service level far above target is flagged too: the center is overstaffed).
"""

from __future__ import annotations

from dataclasses import dataclass

# satisfaction benchmarks (seed 000): government hotlines 94.8%, e-commerce 95%, industry leading 98–99%
BENCHMARKS = {"政府类客服": 0.948, "电子商务类客服": 0.95, "行业领先": 0.98, "行业领先(上限)": 0.99}
LOWER_IS_BETTER = {"abandonment_rate", "asa_seconds", "aht_seconds"}


@dataclass(frozen=True, slots=True)
class Target:
    kpi: str
    value: float
    tolerance: float


def parse_targets(text: str) -> dict[str, Target]:
    """``kpi=value±tolerance`` (or ``+-``) separated by commas; a ValueError names the bad part."""
    out: dict[str, Target] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kpi, sep, rest = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r}: expected kpi=value±tolerance")
        value, _, tol = rest.replace("+-", "±").partition("±")
        try:
            out[kpi.strip()] = Target(kpi.strip(), float(value), float(tol or 0))
        except ValueError:
            raise ValueError(f"{part!r}: value and tolerance must be numbers") from None
    return out


def deviation(kpi: str, actual: float | None, target: Target | None) -> dict | None:
    """``{target, tolerance, deviation, flagged, worse}`` of one KPI, or None without a target or value."""
    if target is None or actual is None:
        return None
    dev = actual - target.value
    flagged = abs(dev) > target.tolerance + 1e-12
    worse = dev > 0 if kpi in LOWER_IS_BETTER else dev < 0
    return {"target": target.value, "tolerance": target.tolerance, "deviation": dev, "flagged": flagged,
            "worse": flagged and worse}


def deviations(values: dict, targets: dict[str, Target]) -> dict[str, dict]:
    return {k: d for k in targets if (d := deviation(k, values.get(k), targets[k])) is not None}
