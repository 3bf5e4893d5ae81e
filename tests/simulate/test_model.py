"""The traffic model, checked statistically with fixed seeds.

Tolerances come from the distributions: a Poisson count with mean λ has standard deviation √λ, so an
observed count is accepted within five of them of its exact expectation (``Model.rates``); a log-normal's
log-mean is accepted within five standard errors. No figure is a recorded output of an earlier run.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from kefu.simulate import profile as P
from kefu.simulate.calendar import events_on, line_factors
from kefu.simulate.model import BIN, Model, Scenario, generate
from kefu.simulate.output import COLUMNS, records
from kefu.simulate.queueing import erlang_c, required_servers, sample_waits, wait_parameters
from kefu.simulate.spikes import CENTER_TZ, SpikeError, parse_duration, parse_spike

MONDAY = date(2026, 11, 16)  # an ordinary week: no event between 2026-11-14 and 2026-12-11
CODES = [c.code for c in P.CATEGORIES]


def within(observed: float, expected: float, sigmas: float = 5.0) -> bool:
    return abs(observed - expected) <= sigmas * math.sqrt(max(expected, 1.0))


def local_hours(day) -> np.ndarray:
    return ((day.offered + 8 * 3600) % 86400) // 3600


def expected_by_hour(model: Model, when: date, line: str) -> np.ndarray:
    lam = model.rates(when)[:, model.cat_line == model.lines.index(line)].sum(1)
    return lam.reshape(24, 3600 // BIN).sum(1)


def test_food_delivery_has_lunch_and_dinner_peaks_and_a_quiet_night():
    model = Model(Scenario(start=MONDAY, days=7, seed=11, scale=2))
    observed, expected = np.zeros(24), np.zeros(24)
    waimai = model.lines.index("waimai")
    for k in range(7):
        when = MONDAY + timedelta(days=k)
        day = model.day(when)
        observed += np.bincount(local_hours(day)[day.line == waimai], minlength=24)
        expected += expected_by_hour(model, when, "waimai")
    assert all(within(o, e) for o, e in zip(observed, expected, strict=True))
    lunch, dinner = observed[11:13].mean(), observed[17:20].mean()
    trough, night = observed[15:16].mean(), observed[3:5].mean()
    assert lunch > 2 * trough and dinner > 2 * trough
    assert night < lunch / 20
    assert observed.argmax() in (11, 12, 13, 17, 18, 19, 20)


def test_weekends_are_busier_than_weekdays():
    model = Model(Scenario(start=MONDAY, days=7, seed=5))
    days = list(generate(Scenario(start=MONDAY, days=7, seed=5)))
    counts = [len(d) for d in days]
    for d, n in zip(days, counts, strict=True):
        assert within(n, model.rates(d.day).sum())
    weekday, weekend = np.mean(counts[:5]), np.mean(counts[5:])
    assert weekend / weekday == pytest.approx(np.mean(P.WEEKDAY[5:]) / np.mean(P.WEEKDAY[:5]), rel=0.05)
    assert weekend > 1.1 * weekday


def test_national_day_sends_people_travelling_and_festival_dates_are_the_lunar_ones():
    holiday, ordinary = date(2026, 10, 2), date(2026, 10, 16)  # both Fridays
    model = Model(Scenario(start=holiday, days=1, seed=3, scale=3))
    lines = model.lines
    travel = lines.index("lvxing")
    assert line_factors(holiday, lines)[travel] == pytest.approx(1.8)
    assert line_factors(ordinary, lines) == [1.0] * len(lines)
    on_holiday = int((model.day(holiday).line == travel).sum())
    on_ordinary = int((model.day(ordinary).line == travel).sum())
    exp_h = model.rates(holiday)[:, model.cat_line == travel].sum()
    exp_o = model.rates(ordinary)[:, model.cat_line == travel].sum()
    assert exp_h == pytest.approx(1.8 * exp_o)
    assert within(on_holiday, exp_h) and within(on_ordinary, exp_o)
    assert on_holiday > 1.4 * on_ordinary
    # 春节 (正月初一) and 中秋 of a few years, the dumplings of 立冬
    assert "春节" in {e.name for e in events_on(date(2027, 2, 6))}
    assert "春节" in {e.name for e in events_on(date(2028, 1, 26))}
    assert "中秋" in {e.name for e in events_on(date(2025, 10, 6))}
    assert "立冬" in {e.name for e in events_on(date(2026, 11, 7))}
    assert "春节" not in {e.name for e in events_on(date(2026, 3, 1))}
    with pytest.raises(ValueError, match="2024–2030"):
        line_factors(date(2031, 5, 1), lines)


def test_a_spike_multiplies_only_its_category_within_its_window():
    start = datetime(2026, 11, 18, 18, 0, tzinfo=CENTER_TZ)
    spike = parse_spike("food_safety@2026-11-18T18:00×8+3h", CODES)
    base_sc = Scenario(start=MONDAY + timedelta(days=2), days=1, seed=9, scale=4)
    spiked_sc = Scenario(start=base_sc.start, days=1, seed=9, scale=4, spikes=(spike,))
    base, spiked = Model(base_sc), Model(spiked_sc)
    a, b = base.day(base_sc.start), spiked.day(base_sc.start)
    food = CODES.index("waimai.merchant.food_safety")
    lo, hi = int(start.timestamp()), int((start + timedelta(hours=3)).timestamp())

    def pick(day, cat_in: bool, window: bool):
        sel = (day.category == food) == cat_in
        inside = (day.offered >= lo) & (day.offered < hi)
        return np.sort(day.offered[sel & (inside == window)])

    # every other contact, and the category outside the window, arrive exactly as without the spike
    assert np.array_equal(pick(a, False, True), pick(b, False, True))
    assert np.array_equal(pick(a, False, False), pick(b, False, False))
    assert np.array_equal(pick(a, True, False), pick(b, True, False))
    lam = base.rates(base_sc.start)[:, food]
    first = (lo - int(datetime(2026, 11, 18, tzinfo=CENTER_TZ).timestamp())) // BIN
    expected_window = lam[first:first + 3 * 3600 // BIN].sum()
    assert within(len(pick(a, True, True)), expected_window)
    assert within(len(pick(b, True, True)), 8 * expected_window)
    assert len(pick(b, True, True)) > 4 * max(len(pick(a, True, True)), 1)


def test_counts_per_interval_are_poisson_dispersed():
    model = Model(Scenario(start=MONDAY, days=7, seed=21))
    dispersion = []
    for k in range(7):
        when = MONDAY + timedelta(days=k)
        day = model.day(when)
        lam = model.rates(when)
        # per hour and business line: expected vs observed
        cell = local_hours(day) * len(model.lines) + day.line
        observed = np.bincount(cell, minlength=24 * len(model.lines))
        by_line = np.stack([lam[:, model.cat_line == i].sum(1) for i in range(len(model.lines))], 1)
        expected = by_line.reshape(24, -1, len(model.lines)).sum(1).ravel()
        dispersion += list((observed - expected) ** 2 / expected)
    n = len(dispersion)
    index = float(np.mean(dispersion))  # variance / mean: 1 for Poisson, sd about √(2/n)
    assert abs(index - 1) < 5 * math.sqrt(2 / n) + 0.05, index


def test_handle_times_are_log_normal_with_the_profile_parameters():
    day = Model(Scenario(start=MONDAY, days=1, seed=4, scale=2)).day(MONDAY)
    phone = P.CHANNELS.index("phone")
    talk = day.talk[(day.channel == phone) & (day.outcome == 0)]
    logs = np.log(talk)
    model = P.CHANNEL_MODELS["phone"]
    n = len(logs)
    assert n > 2000
    assert abs(logs.mean() - math.log(model.talk_median)) < 5 * model.talk_sigma / math.sqrt(n)
    assert abs(logs.std() - model.talk_sigma) < 5 * model.talk_sigma / math.sqrt(2 * n) + 0.005
    chat = day.talk[(day.channel == P.CHANNELS.index("chat")) & (day.outcome == 0)]
    assert np.median(chat) > 1.5 * np.median(talk)  # a chat session outlasts a call (480 s vs 240 s medians)


def test_erlang_c_and_abandonment_rise_with_load():
    a = np.array([5.0, 8.0, 9.0, 9.5, 9.8])
    c = erlang_c(np.full(5, 10), a)
    assert np.all(np.diff(c) > 0) and c[0] == pytest.approx(0.0361, abs=0.001)  # textbook C(10, 5)
    assert erlang_c(np.array([10]), np.array([12.0]))[0] == 1.0
    need = required_servers(np.array([1.0, 10.0, 100.0]), 180.0, 0.8, 20.0)
    assert list(need) == sorted(need) and need[1] > 10 and need[2] < 115
    rng = np.random.default_rng(0)
    rates = []
    for load in (0.7, 0.85, 0.95, 1.05, 1.3):
        p_wait, mean = wait_parameters(np.array([50]), np.array([50 * load]), 300.0, 180.0, 0.97)
        waits = sample_waits(rng, np.repeat(p_wait, 20000), np.repeat(mean, 20000))
        rates.append(float(np.mean(rng.exponential(180.0, 20000) < waits)))
    assert all(later > earlier for earlier, later in zip(rates, rates[1:], strict=False)), rates


def test_an_incident_raises_abandonment_in_its_window():
    when = MONDAY + timedelta(days=1)
    spike = parse_spike("waimai@2026-11-17T18:00x2+2h", CODES)
    plain = Model(Scenario(start=when, days=1, seed=8, scale=2)).day(when)
    busy = Model(Scenario(start=when, days=1, seed=8, scale=2, spikes=(spike,))).day(when)
    lo, hi = spike.start.timestamp(), spike.end.timestamp()
    phone = P.CHANNELS.index("phone")

    def abandon(day) -> tuple[float, int]:
        sel = (day.channel == phone) & (day.offered >= lo) & (day.offered < hi)
        return float(np.mean(day.outcome[sel] == 1)), int(sel.sum())

    (p0, n0), (p1, n1) = abandon(plain), abandon(busy)
    se = math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    assert p1 > p0 + 5 * se, (p0, p1)


def test_same_seed_same_stream_other_seed_other_stream():
    def stream(seed: int) -> list[dict]:
        sc = Scenario(start=MONDAY, days=2, seed=seed, scale=0.1, agents=("agent1", "agent2"))
        model = Model(sc)
        return [r for d in generate(sc) for r in records(model, d)]

    first, again, other = stream(42), stream(42), stream(43)
    assert first == again and len(first) > 1000
    assert [r["offered_at"] for r in first] != [r["offered_at"] for r in other]


def test_a_day_is_the_same_whatever_day_the_run_starts_on():
    two = list(generate(Scenario(start=MONDAY, days=2, seed=6, scale=0.1)))
    one = next(generate(Scenario(start=MONDAY + timedelta(days=1), days=1, seed=6, scale=0.1)))
    assert np.array_equal(two[1].offered, one.offered) and two[1].call_ids == one.call_ids


def test_scale_scales_volume():
    small = sum(len(d) for d in generate(Scenario(start=MONDAY, days=1, seed=2, scale=0.5)))
    large = sum(len(d) for d in generate(Scenario(start=MONDAY, days=1, seed=2, scale=2)))
    model = Model(Scenario(start=MONDAY, days=1, seed=2, scale=0.5))
    assert within(small, model.rates(MONDAY).sum()) and within(large, 4 * model.rates(MONDAY).sum())


def test_records_have_the_shape_of_a_call_detail_record():
    from kefu.contacts.schemas import ContactRecord
    from kefu.contacts.service import validate

    sc = Scenario(start=MONDAY, days=1, seed=1, scale=0.2, agents=("agent1",))
    model = Model(sc)
    recs = list(records(model, model.day(MONDAY)))
    good, errors = validate(recs)
    assert errors == [] and len(good) == len(recs)
    outcomes = {r["outcome"] for r in recs}
    assert outcomes == set(P.OUTCOMES)
    assert {r["channel"] for r in recs} == set(P.CHANNELS)
    for r in recs:
        assert set(r) <= set(COLUMNS) and r["offered_at"].endswith("+08:00")
        rec = ContactRecord.model_validate(r)
        if r["outcome"] == "answered":
            assert rec.answered_at >= rec.offered_at and r.get("agent") == "agent1"
        else:
            assert rec.answered_at is None and "agent" not in r
        if r["outcome"] == "callback_requested":
            assert r["channel"] == "phone"
        if r["outcome"] == "deflected":
            assert r["channel"] == "self_service"
        if r["category"] in ("waimai.rider.income", "waimai.rider.dispatch"):
            assert r["customer_role"] == "rider"
    assert len({r["call_id"] for r in recs}) == len(recs)
    assert all(len(r["customer_phone"]) == 11 and r["customer_phone"][0] == "1" for r in recs)


def test_spike_syntax():
    s = parse_spike("food_safety@2026-11-20T18:00×8", CODES)
    assert s.codes == ("waimai.merchant.food_safety",) and s.factor == 8
    assert s.start == datetime(2026, 11, 20, 18, tzinfo=CENTER_TZ) and s.end - s.start == timedelta(hours=2)
    s = parse_spike("waimai.delivery@2026-11-20T10:00+00:00x1.5+2h30m", CODES)
    assert set(s.codes) == {c for c in CODES if c.startswith("waimai.delivery.")}
    assert s.start.utcoffset() == timedelta(0) and s.end - s.start == timedelta(minutes=150)
    assert parse_duration("1d") == timedelta(days=1)
    for bad, says in (("nothing@2026-11-20T18:00x2", "no category"), ("food_safety@tomorrow x2", "ISO"),
                      ("food_safety@2026-11-20T18:00x2+5q", "not CATEGORY"), ("food_safety", "not CATEGORY"),
                      ("food_safety@2026-11-20T18:00x5000", "between")):
        with pytest.raises(SpikeError, match=says):
            parse_spike(bad, CODES)


def test_categories_are_the_demo_centers_leaves():
    from kefu.demo.catalog import TREE, Leaf

    leaves = set()

    def walk(node) -> None:
        code, _, _, body = node
        if isinstance(body, Leaf):
            leaves.add(code)
        else:
            for child in body:
                walk(child)

    for _, roots in TREE:
        for root in roots:
            walk(root)
    assert set(CODES) == leaves
