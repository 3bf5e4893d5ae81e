"""Erlang C staffing against the exact-fraction reference, the textbook example and pyworkforce's rounding
slips."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.wfm import erlang
from kefu.wfm import erlang_exact as exact


def test_worked_example_needs_14_on_the_phones_and_20_scheduled():
    # 100 calls in 30 minutes, 3-minute handle time, 80% answered in 20 s, 30% shrinkage
    r = erlang.requirement(100, 1800, 180, 0.8, 20, shrinkage=0.3)
    assert (int(r.raw_positions), int(r.positions)) == (14, 20)
    assert float(r.load) == 10.0
    assert 0.8 <= float(r.service_level) < 0.9
    assert float(r.occupancy) == pytest.approx(10 / 14)
    # 13 agents would miss the target: 14 is the fewest
    assert float(erlang.erlang_c(13, 100, 1800, 180, 20).service_level) < 0.8


def test_integer_ratios_do_not_round_up_an_extra_agent():
    assert int(erlang.with_shrinkage(21, 0.3)) == 30  # 21 / 0.7 is 30.000000000000004 in floats
    # the float noise the module must see through: 459 calls in 30 minutes of 3 minutes each, pyworkforce's way
    assert 21 / (1 - 0.3) > 30 and 459 / 30 * 3 / 0.85 > 54
    assert int(erlang.ceil_exact(459 / 30 * 3 / 0.85)) == 54
    # a load of 45.9 Erlangs capped at 85% occupancy: 54 agents, not 55
    r = erlang.requirement(459, 1800, 180, 0.0, 0, max_occupancy=0.85)
    assert float(r.load) == pytest.approx(45.9) and int(r.raw_positions) == 54
    assert float(r.occupancy) <= 0.85 + 1e-12
    assert int(erlang.ceil_exact(30.5)) == 31 and int(erlang.ceil_exact(30.000001)) == 31


def test_zero_calls_need_nobody():
    r = erlang.requirement([0, 0, 5], 1800, 180, 0.8, 20, shrinkage=0.3, max_occupancy=0.85)
    assert r.raw_positions.tolist()[:2] == [0, 0] and r.positions.tolist()[:2] == [0, 0]
    assert r.raw_positions[2] == exact.requirement(5, 1800, 180, 0.8, 20, 0.3, 0.85)["raw_positions"] > 0
    assert r.service_level.tolist()[:2] == [1.0, 1.0] and r.asa.tolist()[:2] == [0.0, 0.0]


def test_too_few_agents_means_everyone_waits_forever():
    m = erlang.erlang_c([5, 10, 11], 100, 1800, 180, 20)  # a load of exactly 10 Erlangs
    assert m.waiting_probability.tolist()[:2] == [1.0, 1.0]
    assert m.service_level.tolist()[:2] == [0.0, 0.0]
    assert np.isinf(m.asa[:2]).all() and np.isfinite(m.asa[2])
    assert 0 < m.waiting_probability[2] < 1


def _sweep(seed: int, size: int, max_calls: int):
    rng = np.random.default_rng(seed)
    return {"calls": rng.integers(0, max_calls, size), "interval_s": rng.choice([900, 1800, 3600], size),
                "aht": rng.integers(20, 900, size), "service_level": rng.integers(50, 99, size) / 100,
                "target_time": rng.choice([0, 10, 15, 20, 30, 60, 120], size),
                "shrinkage": rng.integers(0, 60, size) / 100, "max_occupancy": rng.integers(60, 101, size) / 100}


def test_ten_thousand_cases_agree_with_the_exact_reference():
    cases = _sweep(2026, 10_000, 400)
    fast = erlang.requirement(cases["calls"], cases["interval_s"], cases["aht"], cases["service_level"],
                              cases["target_time"], shrinkage=cases["shrinkage"],
                              max_occupancy=cases["max_occupancy"])
    wrong = []
    for i in range(10_000):
        row = {k: v[i].item() for k, v in cases.items()}
        ref = exact.requirement(row["calls"], row["interval_s"], row["aht"], row["service_level"],
                                row["target_time"], row["shrinkage"], row["max_occupancy"])
        got = (int(fast.raw_positions[i]), int(fast.positions[i]))
        if got != (ref["raw_positions"], ref["positions"]):
            wrong.append((row, got, ref))
        elif ref["raw_positions"]:
            assert float(fast.waiting_probability[i]) == pytest.approx(float(ref["waiting_probability"]), rel=1e-9)
    assert wrong == []
    # the sweep covers the cases that matter: integer ratios under shrinkage and occupancy, idle intervals
    ratio = fast.raw_positions / (1 - cases["shrinkage"])
    assert (np.abs(ratio - np.rint(ratio)) < 1e-9).sum() > 100
    assert (fast.raw_positions == 0).sum() > 0


@pytest.mark.parametrize("load", [0.001, 0.5, 1, 37.25, 999.9, 2500, 10_000])
def test_stable_from_a_trickle_to_ten_thousand_erlangs(load):
    r = erlang.requirement(load, 1, 1, 0.8, 0.2, shrinkage=0.35, max_occupancy=0.95)
    ref = exact.requirement(Fraction(str(load)), 1, 1, 0.8, Fraction(1, 5), 0.35, 0.95)
    assert (int(r.raw_positions), int(r.positions)) == (ref["raw_positions"], ref["positions"])
    assert r.raw_positions > load and np.isfinite(r.asa) and 0.8 <= r.service_level <= 1


def test_vectorized_over_a_week_of_half_hours_for_twenty_queues():
    rng = np.random.default_rng(3)
    calls = rng.poisson(rng.uniform(0, 600, (336, 20)))
    aht = rng.uniform(120, 420, 20)  # per queue, broadcast over the intervals
    r = erlang.requirement(calls, 1800, aht, 0.8, 20, shrinkage=0.3, max_occupancy=0.85)
    assert r.raw_positions.shape == (336, 20) == r.service_level.shape
    for i, q in [(0, 0), (100, 7), (335, 19)]:
        one = erlang.requirement(int(calls[i, q]), 1800, float(aht[q]), 0.8, 20, shrinkage=0.3, max_occupancy=0.85)
        assert int(one.raw_positions) == r.raw_positions[i, q] and int(one.positions) == r.positions[i, q]


@settings(max_examples=200, deadline=None)
@given(calls=st.integers(1, 2000), aht=st.integers(10, 1200), sl=st.floats(0.05, 0.99),
       target=st.integers(0, 300), occ=st.floats(0.5, 1.0))
def test_the_requirement_is_the_fewest_that_meets_every_target(calls, aht, sl, target, occ):
    r = erlang.requirement(calls, 1800, aht, sl, target, max_occupancy=occ)
    n = int(r.raw_positions)
    at_n = erlang.erlang_c(n, calls, 1800, aht, target)
    assert at_n.service_level >= sl - 1e-12 and at_n.occupancy <= occ + 1e-9
    below = erlang.erlang_c(n - 1, calls, 1800, aht, target)
    assert below.service_level < sl or below.occupancy > occ + 1e-9 or n - 1 <= calls * aht / 1800


@pytest.mark.parametrize("bad, field", [
    ({"calls": -1}, "calls"), ({"aht": 0}, "aht"), ({"service_level": 1.0}, "service_level"),
    ({"shrinkage": 1.0}, "shrinkage"), ({"max_occupancy": 0}, "max_occupancy"),
    ({"interval_s": float("nan")}, "interval_s"), ({"target_time": -5}, "target_time"),
])
def test_bad_input_names_the_argument(bad, field):
    args = {"calls": 100, "interval_s": 1800, "aht": 180, "service_level": 0.8, "target_time": 20, "shrinkage": 0.3,
                "max_occupancy": 0.85} | bad
    with pytest.raises(ValueError, match=field):
        erlang.requirement(args.pop("calls"), args.pop("interval_s"), args.pop("aht"), args.pop("service_level"),
                           args.pop("target_time"), **args)
