"""KPI definitions against values worked out by hand (docs/kpis.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.reports.kpis import (
    Tally,
    Thresholds,
    Touch,
    contacts_per_agent_day,
    first_contact_resolution,
    occupancy,
    rates,
    resolution_rate,
    tally_all,
)
from kefu.reports.targets import BENCHMARKS, deviations, parse_targets

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=SH)  # 外卖's lunch peak


@dataclass
class C:
    """A contact with ContactFact's attributes."""

    channel: str
    outcome: str
    wait: int | None = None  # answered after (or, abandoned: gave up after) this many seconds
    talk_seconds: int | None = None
    hold_seconds: int | None = None
    wrap_seconds: int | None = None
    span: int | None = None  # answered → ended, when talk is not given
    satisfaction: int | None = None

    @property
    def offered_at(self):
        return T0

    @property
    def answered_at(self):
        return T0 + timedelta(seconds=self.wait) if self.outcome == "answered" else None

    @property
    def ended_at(self):
        if self.outcome == "answered":
            return self.answered_at + timedelta(seconds=self.span or 0) if self.span is not None else None
        return T0 + timedelta(seconds=self.wait) if self.wait is not None else None


# 张伟's call, 王芳's call, 李娜's chat, two callers who hung up, one who took the callback offer, a
# self-service refund (deflected) and an e-mail
DAY = [
    C("phone", "answered", wait=10, talk_seconds=200, hold_seconds=20, wrap_seconds=30, satisfaction=5),
    C("phone", "answered", wait=30, talk_seconds=100, hold_seconds=0, wrap_seconds=20, satisfaction=4),
    C("chat", "answered", wait=20, span=300, satisfaction=2),
    C("phone", "abandoned", wait=3),
    C("phone", "abandoned", wait=60),
    C("phone", "callback_requested", wait=90),
    C("self_service", "deflected", satisfaction=5),
    C("email", "answered", wait=3600, talk_seconds=120, satisfaction=3),
]


def test_a_day_with_short_abandons_left_out():
    k = rates(tally_all(DAY, Thresholds(service_level_seconds=20, short_abandon_seconds=5)))
    # offered: the three answered, the 60 s abandon, the callback (the 3 s abandon is short; self-service and
    # e-mail are not offered to a queue)
    assert (k["offered"], k["answered"], k["abandoned"], k["short_abandoned"]) == (5, 3, 1, 1)
    assert k["answer_rate"] == pytest.approx(3 / 5)
    assert k["abandonment_rate"] == pytest.approx(1 / 5)
    assert k["service_level"] == pytest.approx(2 / 5)  # waits 10 and 20 (20 is within T)
    assert k["asa_seconds"] == pytest.approx((10 + 30 + 20) / 3)
    assert k["aht_seconds"] == pytest.approx((250 + 120 + 300) / 3)  # chat: talk from answered → ended
    assert k["satisfaction_rate"] == pytest.approx(3 / 5)  # 5, 4, 5 of 5, 4, 2, 5, 3
    assert k["contacts"] == 8


def test_every_abandon_counts_by_default():
    k = rates(tally_all(DAY, Thresholds()))
    assert (k["offered"], k["abandoned"]) == (6, 2)
    assert k["answer_rate"] == pytest.approx(0.5)
    assert k["abandonment_rate"] == pytest.approx(2 / 6)
    assert k["service_level"] == pytest.approx(2 / 6)


def test_a_tighter_service_level_threshold():
    k = rates(tally_all(DAY, Thresholds(service_level_seconds=15)))
    assert k["service_level"] == pytest.approx(1 / 6)


def test_nothing_offered_gives_no_rate_rather_than_zero():
    k = rates(Tally())
    assert k["answer_rate"] is None and k["asa_seconds"] is None and k["satisfaction_rate"] is None


def test_dianping_month():
    """Seed 000: 大众点评's month, 84.29% 非常满意 and 14.33% 满意 of 10,000 ratings: 98.62%."""
    levels = [5] * 8429 + [4] * 1433 + [3] * 80 + [2] * 40 + [1] * 18
    k = rates(tally_all([C("phone", "answered", wait=5, talk_seconds=60, satisfaction=v) for v in levels],
                        Thresholds()))
    assert k["rated"] == 10_000
    assert k["very_satisfied_share"] == pytest.approx(0.8429)
    assert k["satisfied_share"] == pytest.approx(0.1433)
    assert k["satisfaction_rate"] == pytest.approx(0.9862)
    above = [name for name, line in BENCHMARKS.items() if k["satisfaction_rate"] >= line]
    assert above == ["政府类客服", "电子商务类客服", "行业领先"]  # leading, short of the 99% upper line


def test_first_contact_resolution():
    d = [T0 + timedelta(days=i) for i in range(13)]
    zhang, wang = 1, 2
    delivery, refund = 10, 11
    touches = [
        Touch(zhang, delivery, d[0], True),  # called back about it 3 days later: not first-contact
        Touch(zhang, delivery, d[3], True),  # next call about it 9 days later: first-contact
        Touch(wang, refund, d[1], True),  # her next contact is about something else: first-contact
        Touch(wang, delivery, d[2], False),  # not resolved: not counted
        Touch(zhang, delivery, d[12], True),  # after the period
    ]
    assert first_contact_resolution(touches, start=d[0], end=d[10]) == pytest.approx(2 / 3)


def test_72_hour_resolution_rate():
    now = T0 + timedelta(days=10)
    d0, d9 = T0, T0 + timedelta(days=9)
    tickets = [(d0, d0 + timedelta(hours=10)), (d0, d0 + timedelta(hours=80)),
               (d0 + timedelta(days=1), None),  # open for 9 days: judged, not resolved in time
               (d9, None),  # open for a day: not judged yet
               (d9, d9 + timedelta(hours=5))]
    assert resolution_rate(tickets, now=now) == pytest.approx(2 / 4)


def test_per_agent_day_and_occupancy():
    a, b = 7, 8
    assert contacts_per_agent_day({(a, date(2026, 11, 23)): 30, (a, date(2026, 11, 24)): 40,
                                   (b, date(2026, 11, 23)): 50, (b, date(2026, 11, 24)): 0}) == pytest.approx(40)
    assert occupancy(3 * 3600, 4 * 3600) == pytest.approx(0.75)
    assert occupancy(100, 0) is None


def test_deviation_from_targets():
    targets = parse_targets("service_level=0.80±0.05,asa_seconds=20+-10,aht_seconds=300±60,abandonment_rate=0.05±0.02")
    dev = deviations({"service_level": 0.72, "asa_seconds": 25, "aht_seconds": 400, "abandonment_rate": 0.01},
                     targets)
    assert dev["service_level"]["deviation"] == pytest.approx(-0.08)
    assert dev["service_level"]["flagged"] and dev["service_level"]["worse"]
    assert not dev["asa_seconds"]["flagged"]
    assert dev["aht_seconds"]["flagged"] and dev["aht_seconds"]["worse"]
    assert dev["abandonment_rate"]["flagged"] and not dev["abandonment_rate"]["worse"]  # better than target


def test_bad_targets_name_the_part():
    with pytest.raises(ValueError, match="接通率"):
        parse_targets("接通率=高")
