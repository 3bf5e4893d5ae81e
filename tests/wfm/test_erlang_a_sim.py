"""Erlang A and the simulator check each other: the formulas must match a seeded simulation within its
statistical tolerance, and Erlang A must become Erlang C when callers never hang up."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.wfm import erlang, erlang_a, sim

# 100 calls a half hour, 3 minutes each: 10 Erlangs
CELL = {"calls": 100, "interval_s": 1800, "aht": 180, "target_time": 20}


def test_endless_patience_is_erlang_c():
    for n in (11, 14, 20):
        c = erlang.erlang_c(n, **CELL)
        a, abandon = erlang_a.erlang_a(n, **CELL, patience=1e9)
        assert float(a.service_level) == pytest.approx(float(c.service_level), abs=1e-6)
        assert float(a.waiting_probability) == pytest.approx(float(c.waiting_probability), abs=1e-6)
        assert float(a.asa) == pytest.approx(float(c.asa), rel=1e-5)
        assert float(abandon) < 1e-6


@pytest.mark.parametrize("agents, patience", [(8, 120), (10, 60), (12, 120), (14, 300)])
def test_erlang_a_matches_the_simulation(agents, patience):
    m, abandon = erlang_a.erlang_a(agents, **CELL, patience=patience)
    s = sim.simulate(**CELL, agents=agents, patience=patience, intervals=3000, seed=agents)
    assert s.offered > 290_000
    assert s.service_level == pytest.approx(float(m.service_level), abs=0.012)
    assert s.abandonment == pytest.approx(float(abandon), abs=0.008)
    assert s.waiting_probability == pytest.approx(float(m.waiting_probability), abs=0.012)
    assert s.asa == pytest.approx(float(m.asa), rel=0.06, abs=0.3)
    assert s.occupancy == pytest.approx(float(m.occupancy), abs=0.01)


def test_erlang_c_matches_the_simulation():
    m = erlang.erlang_c(14, **CELL)
    s = sim.simulate(**CELL, agents=14, intervals=3000, seed=5)
    assert s.abandoned == 0
    assert s.service_level == pytest.approx(float(m.service_level), abs=0.012)
    assert s.asa == pytest.approx(float(m.asa), rel=0.15)  # waits are heavy-tailed: ±5% is one sigma here


def test_fewer_agents_than_the_load_still_has_an_answer_when_callers_give_up():
    m, abandon = erlang_a.erlang_a([5, 8, 10], **CELL, patience=90)
    assert np.all(np.isfinite(m.asa)) and np.all((0 < m.service_level) & (m.service_level < 1))
    assert abandon[0] > abandon[1] > abandon[2] > 0
    assert np.all(m.occupancy <= 1)


def test_erlang_a_requirement_is_the_fewest_and_below_erlang_c():
    r = erlang_a.requirement(100, 1800, 180, 0.8, 20, patience=120, shrinkage=0.3, max_occupancy=0.85)
    c = erlang.requirement(100, 1800, 180, 0.8, 20, shrinkage=0.3, max_occupancy=0.85)
    n = int(r.raw_positions)
    assert n <= int(c.raw_positions) and float(r.service_level) >= 0.8 and float(r.occupancy) <= 0.85
    below, _ = erlang_a.erlang_a(n - 1, **CELL, patience=120)
    assert below.service_level < 0.8 or below.occupancy > 0.85
    assert int(r.positions) == int(erlang.with_shrinkage(n, 0.3)) and 0 < float(r.abandonment) < 0.1


def test_erlang_a_over_many_cells_and_a_large_load():
    calls = np.array([[0, 50, 400], [3000, 20_000, 90]])
    r = erlang_a.requirement(calls, 1800, 240, 0.8, 20, patience=[[60, 120, 300]])
    assert r.raw_positions.shape == (2, 3) and r.raw_positions[0, 0] == 0
    assert np.all(r.service_level[calls > 0] >= 0.8)
    # 2,667 Erlangs, callers who give up after 2 minutes: staffing below the load meets 80/20, because those
    # who hang up leave within the 20 s a served caller waits; capping abandonment at 5% staffs past the load
    load = calls * 240 / 1800
    assert r.raw_positions[1, 1] < load[1, 1] and r.abandonment[1, 1] > 0.1
    capped = erlang_a.requirement(20_000, 1800, 240, 0.8, 20, patience=120, max_abandonment=0.05)
    assert float(capped.abandonment) <= 0.05 and int(capped.raw_positions) > 0.95 * load[1, 1]
    one = erlang_a.requirement(400, 1800, 240, 0.8, 20, patience=300)
    assert int(one.raw_positions) == r.raw_positions[0, 2]


def test_simulated_staffing_for_steady_handle_times_needs_no_more_than_erlang_c():
    # handle times that barely vary (scripted calls) queue less than exponential ones
    c = erlang.requirement(100, 1800, 180, 0.8, 20)
    n, result = sim.staff(**CELL, service_level=0.8, handle="deterministic", start=int(c.raw_positions) - 3,
                          intervals=400, seed=11)
    assert n <= int(c.raw_positions) and result.service_level >= 0.8
    worse = sim.simulate(**CELL, agents=n - 1, handle="deterministic", intervals=400, seed=11)
    assert worse.service_level < 0.8


def test_simulation_is_reproducible_and_checks_its_input():
    one = sim.simulate(**CELL, agents=12, patience=100, handle="lognormal", cv=1.5, intervals=50, seed=3)
    assert one == sim.simulate(**CELL, agents=12, patience=100, handle="lognormal", cv=1.5, intervals=50, seed=3)
    with pytest.raises(ValueError, match="handle time kind"):
        sim.simulate(**CELL, agents=12, handle="uniform")
