"""Tests for kefu.sla.clock: service-desk examples, then properties against a minute-stepping oracle.

The oracle knows nothing of the implementation: it walks UTC minute by minute, converts each
minute to local wall time with ``astimezone`` and counts it as working when its local
date/weekday/minute falls in a window. That is also the module's DST convention (working time
is defined per instant by its wall-clock time), so the oracle needs no fold handling.
"""

from __future__ import annotations

import math
import pickle
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.sla.clock import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    due_at,
    elapsed,
    working_windows,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600
MINUTE = timedelta(minutes=1)

# 周一至周五 09:00–18:00，上海
OFFICE = BusinessCalendar.business_hours()


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


# --------------------------------------------------------------------------- service-desk examples


def test_friday_afternoon_ticket_is_due_monday():
    # 周五 17:00 建单，目标 8 个工作小时：周五 17–18 用掉 1 小时，剩 7 小时 → 周一 09:00 + 7h = 16:00
    created = sh(2026, 5, 15, 17, 0)
    assert created.weekday() == 4
    assert add_business_seconds(OFFICE, created, 8 * HOUR) == sh(2026, 5, 18, 16, 0)
    assert business_seconds_between(OFFICE, created, sh(2026, 5, 18, 16, 0)) == 8 * HOUR


def test_budget_used_up_at_closing_time_is_due_at_closing_time():
    # 恰好在下班时刻用完：到期时间是周五 18:00，而不是周一 09:00（最早时刻）
    assert add_business_seconds(OFFICE, sh(2026, 5, 15, 17, 0), HOUR) == sh(2026, 5, 15, 18, 0)


def test_weekend_ticket_counts_from_monday_morning():
    # 周六凌晨 02:00 建单：周末不计时，从周一 09:00 开始算
    created = sh(2026, 5, 16, 2, 0)
    assert business_seconds_between(OFFICE, created, sh(2026, 5, 18, 9, 0)) == 0
    assert add_business_seconds(OFFICE, created, 8 * HOUR) == sh(2026, 5, 18, 17, 0)


def test_results_are_utc():
    due = add_business_seconds(OFFICE, sh(2026, 5, 15, 17, 0), 8 * HOUR)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 5, 18, 8, 0, tzinfo=UTC)


def test_zero_duration_is_the_start_itself_even_outside_hours():
    saturday = sh(2026, 5, 16, 2, 0)
    assert add_business_seconds(OFFICE, saturday, 0) == saturday
    assert due_at(OFFICE, saturday, 0) == saturday


# 国庆 2026-10-01（周四）至 10-07（周三）放假；以 10-10（周六）调休上班为例
NATIONAL_DAY = BusinessCalendar.business_hours(
    holidays=[date(2026, 10, 1) + timedelta(days=i) for i in range(7)],
    extra_workdays=["2026-10-10"],
)


def test_national_day_holidays_are_skipped():
    # 9-30（周三）17:00 建单：当天 1 小时，10-01..07 放假，10-08（周四）09:00 + 7h = 16:00
    assert add_business_seconds(NATIONAL_DAY, sh(2026, 9, 30, 17, 0), 8 * HOUR) == sh(2026, 10, 8, 16, 0)
    assert business_seconds_between(NATIONAL_DAY, sh(2026, 10, 1), sh(2026, 10, 8)) == 0
    # 没有假期的日历会在 10-01 就到期
    assert add_business_seconds(OFFICE, sh(2026, 9, 30, 17, 0), 8 * HOUR) == sh(2026, 10, 1, 16, 0)


def test_adjusted_saturday_is_worked():
    # 10-09（周五）17:00 建单：周五 1 小时，周六 10-10 调休上班 09:00 + 7h = 16:00
    assert date(2026, 10, 10).weekday() == 5
    assert add_business_seconds(NATIONAL_DAY, sh(2026, 10, 9, 17, 0), 8 * HOUR) == sh(2026, 10, 10, 16, 0)
    assert business_seconds_between(NATIONAL_DAY, sh(2026, 10, 10), sh(2026, 10, 11)) == 9 * HOUR
    assert business_seconds_between(NATIONAL_DAY, sh(2026, 10, 17), sh(2026, 10, 18)) == 0  # 普通周六


def test_extra_workday_hours_default_to_mondays_windows():
    cal = BusinessCalendar(hours={0: ((600, 720),), 2: ((540, 1080),)}, extra_workdays={date(2026, 10, 10)})
    assert business_seconds_between(cal, sh(2026, 10, 10), sh(2026, 10, 11)) == 2 * HOUR


def test_24x7_72_hours_is_exactly_72_hours():
    always = BusinessCalendar.always()
    created = sh(2026, 5, 16, 2, 17)
    assert add_business_seconds(always, created, 72 * HOUR) == created + timedelta(hours=72)
    # 欧洲夏令时切换（10-25 回拨一小时）也是真实的 72 小时
    berlin = BusinessCalendar.always("Europe/Berlin")
    start = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    assert add_business_seconds(berlin, start, 72 * HOUR) == start.astimezone(UTC) + timedelta(hours=72)
    assert business_seconds_between(berlin, start, datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN)) == 25 * HOUR


def test_pending_pause_of_five_business_hours_pushes_due_time_by_five_business_hours():
    created = sh(2026, 5, 18, 9, 0)  # 周一 09:00，目标 8 小时 → 周一 17:00
    assert due_at(OFFICE, created, 8 * HOUR) == sh(2026, 5, 18, 17, 0)
    # 周一 10:00–15:00 "待客户回复" 暂停 5 个工作小时 → 顺延 5 个工作小时：周二 13:00
    pending = [(sh(2026, 5, 18, 10, 0), sh(2026, 5, 18, 15, 0))]
    assert due_at(OFFICE, created, 8 * HOUR, pending) == sh(2026, 5, 19, 13, 0)
    assert due_at(OFFICE, created, 8 * HOUR, pending) == add_business_seconds(OFFICE, created, 13 * HOUR)
    assert elapsed(OFFICE, created, sh(2026, 5, 19, 13, 0), pending) == 8 * HOUR
    # 跨夜暂停（周一 16:00–周二 11:00）只算其中的工作时间：2 + 2 = 4 小时
    overnight = [(sh(2026, 5, 18, 16, 0), sh(2026, 5, 19, 11, 0))]
    assert due_at(OFFICE, created, 8 * HOUR, overnight) == sh(2026, 5, 19, 12, 0)


def test_overlapping_and_out_of_range_pauses():
    created = sh(2026, 5, 18, 9, 0)
    pauses = [
        (sh(2026, 5, 18, 10, 0), sh(2026, 5, 18, 12, 0)),
        (sh(2026, 5, 18, 11, 0), sh(2026, 5, 18, 13, 0)),  # 与上一段重叠，不重复扣
        (sh(2026, 5, 17, 10, 0), sh(2026, 5, 18, 9, 30)),  # 建单前开始的部分忽略
    ]
    assert elapsed(OFFICE, created, sh(2026, 5, 18, 18, 0), pauses) == 9 * HOUR - 3.5 * HOUR
    # 周一实际计时 09:30–10:00 与 13:00–18:00 共 5.5 小时，剩 2.5 小时 → 周二 11:30
    assert due_at(OFFICE, created, 8 * HOUR, pauses) == sh(2026, 5, 19, 11, 30)


def test_open_pause_stops_the_clock():
    created = sh(2026, 5, 18, 9, 0)
    pending = [(sh(2026, 5, 18, 10, 0), None)]
    assert due_at(OFFICE, created, 8 * HOUR, pending) is None
    # 开放的暂停一直持续到 now
    assert elapsed(OFFICE, created, sh(2026, 5, 20, 9, 0), pending) == HOUR
    # 已经超时之后才挂起：到期时间不会被隐藏，仍返回（过去的）到期时刻
    assert due_at(OFFICE, created, HOUR, [(sh(2026, 5, 18, 15, 0), None)]) == sh(2026, 5, 18, 10, 0)
    # now 之后才开始的暂停不计
    later = [(sh(2026, 5, 18, 15, 0), None)]
    assert due_at(OFFICE, created, 8 * HOUR, later, now=sh(2026, 5, 18, 14, 0)) == sh(2026, 5, 18, 17, 0)


def test_due_at_ignores_pause_time_after_now():
    created = sh(2026, 5, 18, 9, 0)
    pending = [(sh(2026, 5, 18, 10, 0), sh(2026, 5, 18, 15, 0))]
    # 只知道到 12:00 为止的暂停（10–12，2 小时）：周一计 7 小时，周二 10:00 到期
    assert due_at(OFFICE, created, 8 * HOUR, pending, now=sh(2026, 5, 18, 12, 0)) == sh(2026, 5, 19, 10, 0)


def test_working_windows_are_merged_and_clipped():
    always = BusinessCalendar.always()
    start, end = sh(2026, 5, 15, 12, 0), sh(2026, 5, 19, 12, 0)
    assert list(working_windows(always, start, end)) == [(start, end)]
    office = list(working_windows(OFFICE, sh(2026, 5, 15, 12, 0), sh(2026, 5, 18, 12, 0)))
    assert office == [
        (sh(2026, 5, 15, 12, 0), sh(2026, 5, 15, 18, 0)),
        (sh(2026, 5, 18, 9, 0), sh(2026, 5, 18, 12, 0)),
    ]
    split = BusinessCalendar(hours={0: ((540, 720), (720, 1080))})
    assert list(working_windows(split, sh(2026, 5, 18), sh(2026, 5, 19))) == [
        (sh(2026, 5, 18, 9, 0), sh(2026, 5, 18, 18, 0))
    ]


def test_dst_nonexistent_local_time_holds_no_working_time():
    # 柏林 2026-03-29（周日）02:00 跳到 03:00：窗口 02:30–03:30 实际只有 03:00–03:30
    cal = BusinessCalendar(timezone="Europe/Berlin", hours={6: ((150, 210),)})
    day = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert business_seconds_between(cal, day, day + timedelta(days=1)) == 30 * 60
    assert list(working_windows(cal, day, day + timedelta(days=1))) == [
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    ]


def test_dst_repeated_local_hour_is_worked_twice():
    # 柏林 2026-10-25（周日）03:00 回拨到 02:00：窗口 02:00–03:00 出现两次，共 2 小时
    cal = BusinessCalendar(timezone="Europe/Berlin", hours={6: ((120, 180),)})
    day = datetime(2026, 10, 25, tzinfo=BERLIN)
    assert business_seconds_between(cal, day, day + timedelta(days=1)) == 2 * HOUR
    assert add_business_seconds(cal, day, 90 * 60) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_budget_used_up_exactly_where_the_zone_offset_or_the_utc_year_changes():
    # 内部按"UTC 年 / 时区偏移不变"分段计算；恰好在分段末尾用完时仍取最早时刻
    berlin = BusinessCalendar.business_hours(timezone="Europe/Berlin")
    friday = datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)  # 夏令时 03-29 01:00 UTC 开始
    assert add_business_seconds(berlin, friday, HOUR) == datetime(2026, 3, 27, 18, 0, tzinfo=BERLIN)
    assert add_business_seconds(berlin, friday, HOUR + 1) == datetime(2026, 3, 30, 9, 0, 1, tzinfo=BERLIN)
    new_years_eve = sh(2026, 12, 31, 17, 0)  # UTC 年末 = 上海 01-01 08:00
    assert add_business_seconds(OFFICE, new_years_eve, HOUR) == sh(2026, 12, 31, 18, 0)
    assert add_business_seconds(OFFICE, new_years_eve, 2 * HOUR) == sh(2027, 1, 1, 10, 0)


def test_calendar_without_working_time_raises_instead_of_looping():
    empty = BusinessCalendar(hours={})
    with pytest.raises(ValueError, match="no working time"):
        add_business_seconds(empty, sh(2026, 5, 18), 1)
    with pytest.raises(ValueError, match="no working time"):
        due_at(empty, sh(2026, 5, 18), 60)
    long_closure = [date(2026, 1, 1) + timedelta(days=i) for i in range(400)]
    only_holidays = BusinessCalendar.business_hours(holidays=long_closure)
    assert add_business_seconds(only_holidays, sh(2026, 1, 1), HOUR) == sh(2027, 2, 5, 10, 0)
    # 只有补班日：能用完的就给出结果，用不完报错
    extras = BusinessCalendar(hours={}, extra_workdays={date(2026, 10, 10)}, extra_workday_hours=[(540, 600)])
    assert add_business_seconds(extras, sh(2026, 5, 18), HOUR) == sh(2026, 10, 10, 10, 0)
    with pytest.raises(ValueError, match="not enough working time"):
        add_business_seconds(extras, sh(2026, 5, 18), HOUR + 1)
    with pytest.raises(ValueError, match="no working time"):
        add_business_seconds(extras, sh(2026, 10, 11), 1)
    with pytest.raises(ValueError):
        add_business_seconds(OFFICE, sh(2026, 5, 18), 1e300)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_seconds(OFFICE, datetime(2026, 5, 18, 9), 60),
        lambda: add_business_seconds(OFFICE, sh(2026, 5, 18), -1),
        lambda: add_business_seconds(OFFICE, sh(2026, 5, 18), math.nan),
        lambda: add_business_seconds(OFFICE, sh(2026, 5, 18), math.inf),
        lambda: business_seconds_between(OFFICE, sh(2026, 5, 18), datetime(2026, 5, 19)),
        lambda: working_windows(OFFICE, datetime(2026, 5, 18), sh(2026, 5, 19)),
        lambda: elapsed(OFFICE, sh(2026, 5, 18), datetime(2026, 5, 19)),
        lambda: elapsed(OFFICE, sh(2026, 5, 18), sh(2026, 5, 19), [(datetime(2026, 5, 18, 10), None)]),
        lambda: elapsed(OFFICE, sh(2026, 5, 18), sh(2026, 5, 19), [(sh(2026, 5, 18, 12), sh(2026, 5, 18))]),
        lambda: due_at(OFFICE, sh(2026, 5, 18), -5),
        lambda: due_at(OFFICE, sh(2026, 5, 18), 60, now=datetime(2026, 5, 19)),
        lambda: due_at(OFFICE, sh(2026, 5, 18), 60, [(sh(2026, 5, 18, 10), datetime(2026, 5, 18, 11))]),
    ],
)
def test_bad_call_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": {0: ((540, 720), (700, 1080))}}, "overlap"),
        ({"hours": {0: ((540, 1441),)}}, "bad window"),
        ({"hours": {0: ((600, 600),)}}, "bad window"),
        ({"hours": {0: ((-1, 60),)}}, "bad window"),
        ({"hours": {0: ((9.5, 60),)}}, "integer minutes"),
        ({"hours": {7: ((540, 1080),)}}, "weekday"),
        ({"hours": {"0": ((540, 1080),)}}, "weekday"),
        ({"hours": {0: 540}}, "pairs"),
        ({"hours": {}, "timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"hours": {}, "holidays": {"2026-10-01"}, "extra_workdays": {date(2026, 10, 1)}}, "both a holiday"),
        ({"hours": {1: ((540, 1080),)}, "extra_workdays": {date(2026, 10, 10)}}, "extra_workday_hours"),
        ({"hours": {}, "extra_workday_hours": ((600, 500),)}, "extra_workday_hours"),
        ({"hours": {}, "holidays": {datetime(2026, 10, 1, tzinfo=SH)}}, "holidays"),
    ],
)
def test_bad_calendars_raise_value_error_naming_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)


def test_business_hours_factory_validates_its_strings():
    with pytest.raises(ValueError, match="start"):
        BusinessCalendar.business_hours(start="9am")
    with pytest.raises(ValueError, match="bad window"):
        BusinessCalendar.business_hours(start="18:00", end="09:00")
    night = BusinessCalendar.business_hours(start="20:00", end="24:00", weekdays=range(7))
    assert night.hours[3] == ((1200, 1440),)


def test_calendar_value_semantics():
    assert OFFICE.validate() is None
    assert BusinessCalendar.always().is_24x7()
    assert not OFFICE.is_24x7()
    full_week = dict.fromkeys(range(7), ((0, 1440),))
    assert BusinessCalendar(hours=full_week).is_24x7()
    assert not BusinessCalendar(hours=full_week, holidays={date(2026, 1, 1)}).is_24x7()
    windows = {0: [(720, 1080), (540, 600)]}
    cal = BusinessCalendar(hours=windows)
    windows[0].append((0, 60))  # 调用方之后改自己的 dict 不影响日历
    assert cal.hours[0] == ((540, 600), (720, 1080))
    assert cal == BusinessCalendar(hours={0: ((540, 600), (720, 1080))})
    assert hash(OFFICE) == hash(BusinessCalendar.business_hours())
    assert pickle.loads(pickle.dumps(OFFICE)) == OFFICE


def test_long_spans_are_fast():
    created = sh(2026, 5, 15, 17, 0)
    year = business_seconds_between(OFFICE, created, created + timedelta(days=365))
    assert year == 261 * 9 * HOUR - 8 * HOUR  # 261 个工作日的 9 小时，首日只剩 1 小时
    add_business_seconds(OFFICE, created, year)  # warm the per-year zone cache
    began = time.perf_counter()
    for _ in range(200):
        assert add_business_seconds(OFFICE, created, year) == created + timedelta(days=364, hours=1)
        add_business_seconds(OFFICE, created, 72 * HOUR)
    per_call = (time.perf_counter() - began) / 400
    assert per_call < 0.002, f"{per_call * 1e6:.0f} µs per call"


# --------------------------------------------------------------------------- the oracle

ZONES = ["Asia/Shanghai", "UTC", "Europe/Berlin", "America/New_York"]
PERIODS = [datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 10, 5, tzinfo=UTC)]
PERIOD_DAYS = 40
# 2026 DST changes (New York 03-08 / 11-01, Berlin 03-29 / 10-25), in minutes from the period start
CHANGES = {
    PERIODS[0]: [(7 * 24 + 7) * 60, (28 * 24 + 1) * 60],
    PERIODS[1]: [(20 * 24 + 1) * 60, (27 * 24 + 6) * 60],
}
MAX_MINUTES = 14 * 1440


def oracle_windows(spec: dict, day: date) -> tuple:
    if day in spec["holidays"]:
        return ()
    if day in spec["extra_workdays"]:
        extra = spec["extra_workday_hours"]
        return spec["hours"].get(0, ()) if extra is None else extra
    return spec["hours"].get(day.weekday(), ())


def oracle_flags(spec: dict, start: datetime, minutes: int) -> list[bool]:
    """flags[i]: is UTC minute [start + i, start + i + 1) working time?"""
    zone = ZoneInfo(spec["timezone"])
    flags = []
    for i in range(minutes):
        local = (start + i * MINUTE).astimezone(zone)
        minute = local.hour * 60 + local.minute
        flags.append(any(a <= minute < b for a, b in oracle_windows(spec, local.date())))
    return flags


def kth_working_minute_end(flags: list[bool], k: int) -> int | None:
    """Minutes after start at which the k-th working minute ends (0 for k == 0)."""
    if k == 0:
        return 0
    seen = 0
    for i, working in enumerate(flags):
        seen += working
        if seen == k:
            return i + 1
    return None


# --------------------------------------------------------------------------- strategies

BOUNDARIES = st.sampled_from([0, 60, 90, 120, 150, 180, 1440])  # the DST hours are 01:00–03:00
MINUTE_MARKS = st.one_of(st.integers(0, 1440), BOUNDARIES)


def pairs(marks: list[int]) -> tuple:
    marks = sorted(marks)
    return tuple(zip(marks[::2], marks[1::2], strict=False))


day_windows = st.one_of(
    st.just(()),
    st.just(((0, 1440),)),
    st.just(((540, 1080),)),
    st.lists(MINUTE_MARKS, max_size=6, unique=True).map(pairs),
)


@st.composite
def specs(draw) -> dict:
    """Raw calendar parameters (the oracle reads these, the code under test gets a BusinessCalendar)
    and a start minute: anywhere in the period, or in the three days before a DST change."""
    period = draw(st.sampled_from(PERIODS))
    days_in_range = st.integers(-3, PERIOD_DAYS + 20).map(lambda n: period.date() + timedelta(days=n))
    hours = {day: draw(day_windows) for day in range(7) if draw(st.booleans())}
    holidays = draw(st.frozensets(days_in_range, max_size=8))
    extra_hours = draw(st.one_of(st.none(), day_windows))
    extras = draw(st.frozensets(days_in_range, max_size=4)) - holidays
    if extra_hours is None and not hours.get(0):
        extras = frozenset()
    near_change = st.sampled_from(CHANGES[period]).flatmap(lambda m: st.integers(m - 3 * 1440, m))
    return {
        "timezone": draw(st.sampled_from(ZONES)),
        "hours": hours,
        "holidays": holidays,
        "extra_workdays": extras,
        "extra_workday_hours": extra_hours,
        "period": period,
        "start_minute": draw(st.one_of(st.integers(0, PERIOD_DAYS * 1440), near_change)),
    }


def calendar_of(spec: dict) -> BusinessCalendar:
    return BusinessCalendar(**{k: v for k, v in spec.items() if k not in ("period", "start_minute")})


def start_of(spec: dict) -> datetime:
    """The start instant, aware in a zone of its own to show that input zones do not matter."""
    return (spec["period"] + spec["start_minute"] * MINUTE).astimezone(ZoneInfo("Asia/Kolkata"))


durations = st.one_of(st.integers(0, MAX_MINUTES), st.integers(MAX_MINUTES // 2, MAX_MINUTES))
ORACLE = settings(max_examples=45, deadline=None)


# --------------------------------------------------------------------------- properties


@ORACLE
@given(spec=specs(), minutes=durations)
def test_business_seconds_between_matches_oracle(spec, minutes):
    start = start_of(spec)
    expected = sum(oracle_flags(spec, start, minutes)) * 60
    assert business_seconds_between(calendar_of(spec), start, start + minutes * MINUTE) == expected


@ORACLE
@given(spec=specs(), data=st.data())
def test_add_business_seconds_matches_oracle_and_round_trips(spec, data):
    cal, start = calendar_of(spec), start_of(spec)
    flags = oracle_flags(spec, start, MAX_MINUTES)
    k = data.draw(st.integers(0, sum(flags)), label="working minutes")
    due = add_business_seconds(cal, start, k * 60)
    assert due == start + kth_working_minute_end(flags, k) * MINUTE
    assert due.tzinfo is UTC
    assert business_seconds_between(cal, start, due) == k * 60


@ORACLE
@given(spec=specs(), minutes=durations)
def test_working_windows_match_oracle(spec, minutes):
    start = start_of(spec)
    end = start + minutes * MINUTE
    windows = list(working_windows(calendar_of(spec), start, end))
    covered = [False] * minutes
    for (a, b), following in zip(windows, windows[1:] + [None], strict=False):
        assert start <= a < b <= end and a.tzinfo is UTC
        assert following is None or b < following[0]  # sorted, disjoint, adjacent ones merged
        for i in range((a - start) // MINUTE, (b - start) // MINUTE):
            covered[i] = True
    assert covered == oracle_flags(spec, start, minutes)


pause_lists = st.lists(
    st.tuples(st.integers(-600, MAX_MINUTES + 600), st.one_of(st.none(), st.integers(0, 3 * 1440))),
    max_size=5,
)


def as_pauses(start: datetime, raw: list) -> list:
    return [(start + a * MINUTE, None if n is None else start + (a + n) * MINUTE) for a, n in raw]


@ORACLE
@given(spec=specs(), minutes=durations, raw=pause_lists)
def test_elapsed_with_pauses_matches_oracle(spec, minutes, raw):
    start = start_of(spec)
    flags = oracle_flags(spec, start, minutes)

    def paused(i: int) -> bool:
        return any(a <= i < (minutes if n is None else a + n) for a, n in raw)

    expected = sum(1 for i in range(minutes) if flags[i] and not paused(i)) * 60
    now = start + minutes * MINUTE
    assert elapsed(calendar_of(spec), start, now, as_pauses(start, raw)) == expected


@ORACLE
@given(
    spec=specs(),
        raw=pause_lists,
    now=st.one_of(st.none(), st.integers(0, MAX_MINUTES)),
    data=st.data(),
)
def test_due_at_matches_oracle(spec, raw, now, data):
    start = start_of(spec)
    flags = oracle_flags(spec, start, MAX_MINUTES)
    known = MAX_MINUTES if now is None else now  # pause time after `now` is not known yet
    stops = [a for a, n in raw if n is None and a <= known]
    stop = max(0, min(stops)) if stops else None  # an open pause stops the clock for good

    def paused(i: int) -> bool:
        return any(n is not None and a <= i < a + n and i < known for a, n in raw)

    running = [flags[i] and not paused(i) for i in range(MAX_MINUTES if stop is None else stop)]
    k = data.draw(st.integers(0, sum(running) + (stop is not None)), label="working minutes")
    end = kth_working_minute_end(running, k)
    expected = None if end is None else start + end * MINUTE
    moment = None if now is None else start + now * MINUTE
    assert due_at(calendar_of(spec), start, k * 60, as_pauses(start, raw), now=moment) == expected


@settings(max_examples=150, deadline=None)
@given(
    spec=specs(),
    micro=st.integers(0, 60_000_000 - 1),
    amounts=st.lists(st.integers(0, 5 * 86_400_000_000), min_size=2, max_size=2).map(sorted),
)
def test_add_business_seconds_is_monotonic_and_round_trips_to_the_microsecond(spec, micro, amounts):
    cal = calendar_of(spec)
    if not any(spec["hours"].values()):
        return  # no weekly working time: covered by the examples
    start = start_of(spec) + timedelta(microseconds=micro)
    small, large = (amount / 1e6 for amount in amounts)
    due_small, due_large = add_business_seconds(cal, start, small), add_business_seconds(cal, start, large)
    assert start <= due_small <= due_large
    assert business_seconds_between(cal, start, due_small) == small
    assert business_seconds_between(cal, start, due_large) == large
    if small:  # the earliest such instant: any earlier one has less business time
        assert business_seconds_between(cal, start, due_small - timedelta(microseconds=1)) < small
