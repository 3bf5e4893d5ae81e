"""Alert engine throughput: a simulated stream of contacts through ``kefu.alerts.engine.Engine`` (the default
rules: severe, general and intermittent ladders with growth, same issue by category) against a naive
evaluator that recounts each window from the stored timestamps at every contact, in the same run.

The stream: contacts over the demo center's categories (weighted as the demo reports them, the seed's 阅读
categories included), arriving as a Poisson process whose rate follows the day (quiet at night, peaks at
11:00 and 20:00), with a burst in a random category now and then; customers drawn from a large pool. It is
generated in chunks outside the timing. The naive evaluator keeps each category's timestamps of the longest
window and counts every window by scanning them at each contact: its cost per contact is steady once the
windows are full, so it runs on a prefix and its rate is stated as measured there.

    .venv/bin/python bench/alerts_bench.py --contacts 10000000 --naive 200000
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections import deque

from kefu.alerts.engine import Engine, demo_catalog
from kefu.alerts.rules import RANK, default_rules

DAY = 86400


def categories(catalog):
    """Leaf codes with a weight: the seed's classed categories more often, as complaints would come."""
    from kefu.demo.catalog import TREE, Leaf

    out = []

    def walk(node):
        code, _name, klass, body = node
        if isinstance(body, Leaf):
            out.append((code, body.weight * (3 if klass in ("severe", "general", "intermittent") else 1)))
        else:
            for child in body:
                walk(child)

    for _line, roots in TREE:
        for root in roots:
            walk(root)
    return out


def stream(n: int, *, seed: int, per_day: int, chunk: int = 1_000_000):
    """Yield lists of ``(at, category, customer, text, contact)`` tuples in time order."""
    rng = random.Random(seed)
    cats = categories(demo_catalog())
    codes, weights = [c for c, _ in cats], [w for _, w in cats]
    cum = []
    total = 0.0
    for w in weights:
        total += w
        cum.append(total)
    t = 1_795_000_000.0  # a Monday, 2026-11-16
    burst_until, burst_cat = 0.0, None
    made = 0
    mean_gap = DAY / per_day
    while made < n:
        out = []
        for _ in range(min(chunk, n - made)):
            hour = (t % DAY) / 3600
            shape = 0.25 + math.exp(-((hour - 11) ** 2) / 8) + math.exp(-((hour - 20) ** 2) / 6)
            t += rng.expovariate(shape / mean_gap / 1.2)
            if t > burst_until and rng.random() < 2e-5:
                burst_until, burst_cat = t + rng.uniform(600, 5400), rng.choice(codes)
            if t < burst_until and rng.random() < 0.3:
                cat = burst_cat
            else:
                cat = codes[_pick(cum, rng.random() * total)]
            made += 1
            out.append((t, cat, rng.randrange(2_000_000), None, made))
        yield out


def _pick(cum, x):
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


class Naive:
    """Recount every window of every matching ladder rule from the timestamps at each contact."""

    def __init__(self, rules, catalog):
        self.rules = rules.of_kind("ladder")
        self.catalog = catalog
        self.times: dict[tuple[str, str], deque] = {}
        self.open: dict[tuple[str, str], int] = {}
        self.routes: dict[str, list] = {}
        self.raised = 0

    def feed(self, at, category, *_):
        route = self.routes.get(category)
        if route is None:
            info = self.catalog.resolve(category)
            route = self.routes[category] = [r for r in self.rules if info and r.matches(info.code, info.name,
                                                                                          info.klass)]
        for rule in route:
            key = (rule.id, category)
            q = self.times.setdefault(key, deque())
            q.append(at)
            g = rule.resolution
            now = int(at // g)
            longest = max(rule.windows) // g
            while q and int(q[0] // g) <= now - longest:
                q.popleft()
            best = -1
            for t in rule.thresholds:
                span = t.window // g
                n = sum(1 for x in q if int(x // g) > now - span)
                if n > t.more_than and RANK[t.level] > best:
                    best = RANK[t.level]
            if best > self.open.get(key, -1):
                self.open[key] = best
                self.raised += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=10_000_000)
    ap.add_argument("--naive", type=int, default=200_000, help="contacts the naive recount runs on (a prefix)")
    ap.add_argument("--per-day", type=int, default=120_000, help="mean contacts a day (a large center)")
    ap.add_argument("--seed", type=int, default=20261123)
    args = ap.parse_args()
    rules, catalog = default_rules(), demo_catalog()
    print(f"load average at start: {os.getloadavg()}")

    engine = Engine(rules, catalog)
    feed = engine.feed
    spent, cpu, done, span = 0.0, 0.0, 0, (0.0, 0.0)
    for chunk in stream(args.contacts, seed=args.seed, per_day=args.per_day):
        if done == 0:
            span = (chunk[0][0], 0.0)
        started, started_cpu = time.perf_counter(), time.process_time()
        for event in chunk:
            feed(*event)
        spent += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        done += len(chunk)
        span = (span[0], chunk[-1][0])
        print(f"  engine: {done:,} contacts, {done / spent:,.0f}/s wall, {done / cpu:,.0f}/s CPU", flush=True)
    engine_rate, engine_cpu_rate = done / spent, done / cpu
    kinds = {}
    for a in engine.alerts:
        kinds[(a.rule, a.action)] = kinds.get((a.rule, a.action), 0) + 1
    days = (span[1] - span[0]) / DAY

    naive = Naive(rules, catalog)
    prefix = next(stream(args.naive, seed=args.seed, per_day=args.per_day, chunk=args.naive))
    started, started_cpu = time.perf_counter(), time.process_time()
    for event in prefix:
        naive.feed(*event)
    naive_rate = len(prefix) / (time.perf_counter() - started)
    naive_cpu_rate = len(prefix) / (time.process_time() - started_cpu)
    check = Engine(rules, catalog)
    for event in prefix:
        check.feed(*event)
    engine_ladder = sum(1 for a in check.alerts if a.rule != "same_issue" and a.action != "closed"
                        and a.basis == "count")

    print(f"stream: {done:,} contacts over {days:,.1f} simulated days; alerts {sorted(kinds.items())}")
    print(f"engine: {engine_rate:,.0f} contacts/s wall ({spent:,.1f} s), {engine_cpu_rate:,.0f} per CPU second")
    print(f"naive recount (first {len(prefix):,}): {naive_rate:,.0f} contacts/s wall, {naive_cpu_rate:,.0f} per CPU "
          "second; "
          f"ladder raises+escalations there: naive {naive.raised}, engine {engine_ladder} (engine also closes "
          f"quiet alerts, so it may raise again)")
    print(f"ratio engine / naive: {engine_rate / naive_rate:,.1f}x wall, {engine_cpu_rate / naive_cpu_rate:,.1f}x CPU; "
          f"{args.contacts:,} by the naive recount: ~{args.contacts / naive_cpu_rate / 60:,.0f} CPU minutes")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
