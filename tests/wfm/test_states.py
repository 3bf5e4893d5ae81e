"""The agent state log's pure logic (kefu.wfm.states): state names, where a late change goes, seconds per
30-minute interval."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from kefu.wfm.states import Span, activity, normalize, place, seconds_by_interval

SH = ZoneInfo("Asia/Shanghai")


def at(hhmm: str, day: int = 7) -> datetime:
    h, m = hhmm.split(":")
    return datetime(2026, 12, day, int(h), int(m), tzinfo=SH)


def test_state_names_in_english_and_chinese():
    assert normalize("示闲") == ("ready", "")
    assert normalize("示忙", "培训") == ("not_ready", "培训")
    assert normalize("小休") == ("not_ready", "小休")
    assert normalize("wrap_up") == ("acw", "")
    assert normalize("OFFLINE") == ("logged_out", "")
    assert normalize("ready", "就餐") == ("ready", "")  # a reason belongs to 示忙 only
    with pytest.raises(ValueError, match="unknown state '睡觉'"):
        normalize("睡觉")
    with pytest.raises(ValueError, match="reason"):
        normalize("not_ready", "很长的原因" * 10)


def test_a_late_change_cuts_the_span_that_holds_it():
    log = [Span(at("08:00"), at("10:00"), "ready"), Span(at("10:00"), at("12:00"), "busy"),
           Span(at("12:00"), None, "not_ready", "就餐")]
    assert place(log, at("09:00")) == (0, at("10:00"))  # splits the ready span; ends where it ended
    assert place(log, at("12:30")) == (2, None)  # after the current one: becomes the current state
    assert place(log, at("07:00")) == (-1, at("08:00"))  # before them all: lasts until the first
    assert place([], at("07:00")) == (-1, None)


def test_seconds_per_interval_cross_interval_and_day_boundaries():
    spans = [Span(at("23:50", 7), at("00:40", 8), "ready"),  # crosses two intervals and midnight (Shanghai)
             Span(at("00:40", 8), at("00:45", 8), "logged_out")]
    cells = seconds_by_interval(spans)
    assert cells == {at("23:30", 7).astimezone(UTC): {"ready": 600.0},
                     at("00:00", 8).astimezone(UTC): {"ready": 1800.0},
                     at("00:30", 8).astimezone(UTC): {"ready": 600.0}}


def test_a_current_span_runs_until_now_and_is_clipped_to_the_period():
    spans = [Span(at("09:10"), None, "busy")]
    cells = seconds_by_interval(spans, start=at("09:00"), end=at("18:00"), now=at("09:40"))
    assert cells == {at("09:00").astimezone(UTC): {"busy": 1200.0}, at("09:30").astimezone(UTC): {"busy": 600.0}}
    with pytest.raises(ValueError, match="now"):
        seconds_by_interval(spans)


def test_what_adherence_sees_of_each_state():
    assert [activity(Span(at("08:00"), None, s, r)) for s, r in (
        ("ready", ""), ("acw", ""), ("not_ready", "小休"), ("not_ready", "就餐"), ("not_ready", "培训"),
        ("not_ready", "找组长"), ("logged_out", ""))] == [
        "phone", "phone", "break", "lunch", "training", "not_ready", "off"]
