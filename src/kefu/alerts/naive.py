"""The naive evaluator the engine is checked and measured against: every contact recounts each window from
the whole history of its category. Ladder rules only (no growth, no closing); same raise/escalate semantics.
Used by the property test (the engine must agree event for event) and by ``bench/alerts_bench.py``."""

from __future__ import annotations

from collections.abc import Iterable

from kefu.alerts.engine import Catalog
from kefu.alerts.rules import RANK, RuleSet, format_duration


def naive_alerts(rules: RuleSet, catalog: Catalog, events: Iterable[tuple]) -> list[tuple]:
    """``(at, rule, category, level, window, count)`` for each raise or escalation."""
    history: dict[tuple[str, str], list[int]] = {}
    opened: dict[tuple[str, str], int] = {}
    out = []
    ladders = rules.of_kind("ladder")
    for at, category, *_ in events:
        info = catalog.resolve(category)
        if info is None:
            continue
        for rule in ladders:
            if not rule.matches(info.code, info.name, info.klass):
                continue
            key = (rule.id, category)
            buckets = history.setdefault(key, [])
            bucket = int(at // rule.resolution)
            buckets.append(max(bucket, buckets[-1]) if buckets else bucket)  # late ones count in the current
            now = buckets[-1]
            best, chosen = -1, None
            for t in rule.thresholds:
                count = sum(1 for b in buckets if b > now - t.window // rule.resolution)
                if count > t.more_than and RANK[t.level] > best:
                    best, chosen = RANK[t.level], (t, count)
            if best > opened.get(key, -1):
                opened[key] = best
                out.append((at, rule.id, category, chosen[0].level, format_duration(chosen[0].window), chosen[1]))
    return out
