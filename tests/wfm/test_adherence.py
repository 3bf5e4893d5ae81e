"""Adherence (排班遵从度): the agents' logged states against their schedule, minute by minute."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.wfm.adherence import Span, adherence, from_roster

SH = ZoneInfo("Asia/Shanghai")


def at(hhmm: str) -> datetime:
    h, m = hhmm.split(":")
    return datetime(2026, 12, 7, int(h), int(m), tzinfo=SH)


ROSTER = [{"id": "A01", "name": "张伟", "days": [{
    "date": "2026-12-07", "shift": "兼职4小时", "start": "08:00", "end": "12:00", "paid_minutes": 240,
    "breaks": [{"name": "小休", "start": "09:30", "end": "09:45", "paid": True},
               {"name": "午餐", "start": "10:30", "end": "11:00", "paid": False}]}]}]


def test_the_roster_becomes_phone_break_and_lunch_spans():
    spans = from_roster(ROSTER, SH)
    assert [(s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.activity) for s in spans] == [
        ("08:00", "09:30", "phone"), ("09:30", "09:45", "break"), ("09:45", "10:30", "phone"),
        ("10:30", "11:00", "lunch"), ("11:00", "12:00", "phone")]


def test_an_agent_who_follows_the_schedule_adheres_fully():
    log = [Span("A01", at("07:55"), at("09:30"), "ready"), Span("A01", at("09:30"), at("09:45"), "小休"),
           Span("A01", at("09:45"), at("10:30"), "talking"), Span("A01", at("10:30"), at("11:00"), "meal"),
           Span("A01", at("11:00"), at("12:05"), "wrap_up")]
    out = adherence(from_roster(ROSTER, SH), log)
    a = out["agents"]["A01"]
    assert a["scheduled_minutes"] == 240 and a["adherence"] == 1.0 and a["conformance"] == 1.0
    assert a["out_of_adherence"] == [] and out["adherence"] == 1.0


def test_a_late_login_and_a_long_break_are_out_of_adherence():
    log = [Span("A01", at("08:10"), at("09:30"), "ready"),  # 10 minutes late
           Span("A01", at("09:30"), at("10:00"), "break"),  # break 15 minutes too long
           Span("A01", at("10:00"), at("10:30"), "talking"),
           Span("A01", at("10:30"), at("11:00"), "lunch"),
           Span("A01", at("11:00"), at("11:01"), "talking"),  # finishing a call: inside the 2-minute grace
           Span("A01", at("11:01"), at("12:00"), "ready")]
    out = adherence(from_roster(ROSTER, SH), log, grace=timedelta(minutes=2))
    a = out["agents"]["A01"]
    assert a["in_adherence_minutes"] == 240 - 10 - 15
    assert a["adherence"] == pytest.approx((240 - 25) / 240, abs=1e-4)
    assert a["conformance"] == pytest.approx(230 / 240, abs=1e-4)
    assert a["out_of_adherence"] == [
        {"start": at("08:00").isoformat(), "end": at("08:10").isoformat(), "scheduled": "phone", "logged": "off"},
        {"start": at("09:45").isoformat(), "end": at("10:00").isoformat(), "scheduled": "phone", "logged": "break"}]
    # per half hour, for a chart: 08:00 lost 10 of 30 minutes, 09:30 lost 15
    shares = {row["start"][11:16]: row["adherence"] for row in a["intervals"]}
    assert shares["08:00"] == pytest.approx(20 / 30, abs=1e-4) and shares["09:30"] == pytest.approx(0.5, abs=1e-4)
    assert shares["08:30"] == 1.0 and set(shares) == {"08:00", "08:30", "09:00", "09:30", "10:00", "10:30",
                                                       "11:00", "11:30"}


def test_an_absent_agent_has_zero_adherence():
    out = adherence(from_roster(ROSTER, SH), [])
    assert out["agents"]["A01"]["adherence"] == 0.0 and out["agents"]["A01"]["conformance"] == 0.0


def test_bad_logs_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        adherence(from_roster(ROSTER, SH), [Span("A01", at("08:00"), at("09:00"), "ready"),
                                            Span("A01", at("08:30"), at("09:30"), "break")])
    with pytest.raises(ValueError, match="time zone"):
        adherence(from_roster(ROSTER, SH), [Span("A01", datetime(2026, 12, 7, 8), datetime(2026, 12, 7, 9), "ready")])
