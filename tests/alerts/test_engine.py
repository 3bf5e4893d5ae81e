"""The alert engine on hand-built streams of contacts: the exact contact that reaches each level, nothing one
contact short, escalation within one open alert, growth against the previous week, same issue by category
and by text, cool-down and closing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.alerts.engine import Engine, demo_catalog
from kefu.alerts.naive import naive_alerts
from kefu.alerts.rules import default_rules, parse_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI).timestamp()  # Monday 10:00, on a minute
CATALOG = demo_catalog()


def minute(m: float) -> float:
    return T0 + m * 60


def engine(rules=None) -> Engine:
    return Engine(rules or default_rules(), CATALOG)


def feed_many(eng: Engine, times, category: str, customer_base: int = 0, *, same_issue: bool = False):
    """Feed one contact per time (minutes from T0), each from its own customer; the alerts per contact (those
    of the ladder rules unless ``same_issue``: distinct customers in one category also make a same issue)."""
    results = [eng.feed(minute(m), category, customer_base + i, None, 1000 + i) for i, m in enumerate(times)]
    return [[a for a in r if same_issue or a.rule != "same_issue"] for r in results]


def only(alerts):
    assert len(alerts) == 1, alerts
    return alerts[0]


def test_severe_first_level_on_the_sixth_complaint_within_half_an_hour():
    eng = engine()
    results = feed_many(eng, [0, 5, 10, 15, 20, 29], "登录访问")  # 登录访问 by its Chinese name
    assert results[:5] == [[]] * 5  # five is not "more than 5"
    alert = only(results[5])
    assert (alert.rule, alert.category, alert.level, alert.window, alert.count) == ("severe", "登录访问", "一级",
                                                                                    "30m", 6)
    assert alert.at.timestamp() == minute(29) and alert.action == "raised"
    assert alert.contacts == tuple(range(1000, 1006))


def test_the_half_hour_window_slides_by_the_minute():
    # five at 10:00:00 and a sixth at 10:29:59: the window at 10:29 counts 10:00..10:29, so six
    inside = engine()
    assert only(feed_many(inside, [0, 0, 0, 0, 0, 29 + 59 / 60], "yuedu.login")[5]).count == 6
    # the sixth at 10:30:00: the window at 10:30 counts 10:01..10:30, the five have left it
    outside = engine()
    assert all(r == [] for r in feed_many(outside, [0, 0, 0, 0, 0, 30], "yuedu.login"))


def test_a_burst_from_distinct_customers_is_also_a_same_issue():
    results = feed_many(engine(), [0, 1, 2, 3, 4, 5], "登录访问", same_issue=True)
    assert [(i + 1, a.rule, a.level) for i, r in enumerate(results) for a in r] == [
        (3, "same_issue", "一级"), (6, "severe", "一级")]


def test_three_hour_ladder_without_any_half_hour_burst():
    eng = engine()
    times = [i * 16 for i in range(11)]  # one every 16 minutes: never more than 2 in 30 minutes
    results = feed_many(eng, times, "yuedu.payment")
    assert all(r == [] for r in results[:10])
    alert = only(results[10])
    assert (alert.level, alert.window, alert.count) == ("一级", "3h", 11)
    assert alert.at.timestamp() == minute(160)


def test_escalation_within_one_open_alert_up_to_red():
    eng = engine()
    results = feed_many(eng, [i * 0.5 for i in range(25)], "阅读障碍")  # 25 in 12 minutes
    raised = [(i + 1, a.action, a.level, a.from_level, a.count) for i, r in enumerate(results) for a in r]
    assert raised == [(6, "raised", "一级", None, 6), (11, "escalated", "红色", "一级", 11)]
    assert eng.open_level("severe", "阅读障碍") == "红色"


def test_general_ladder_each_level_at_its_exact_contact():
    eng = engine()
    results = feed_many(eng, [i * 0.5 for i in range(40)], "道具使用")  # 40 in 20 minutes
    raised = [(i + 1, a.level, a.window, a.count) for i, r in enumerate(results) for a in r]
    assert raised == [(11, "二级", "30m", 11), (21, "一级", "30m", 21), (31, "红色", "30m", 31)]


def test_each_category_counts_on_its_own():
    eng = engine()
    results = feed_many(eng, [0, 1, 2], "登录访问") + feed_many(eng, [3, 4, 5], "付费充值", 10)
    assert all(r == [] for r in results)  # six severe complaints, but three per category


def test_categories_outside_every_rule_raise_nothing():
    eng = engine()
    assert all(r == [] for r in feed_many(eng, [i * 0.1 for i in range(50)], "waimai.delivery.late"))
    assert all(r == [] for r in feed_many(eng, [i * 0.1 for i in range(50)], None))


def test_intermittent_daily_and_weekly_counts_by_the_hour():
    eng = engine()
    day = feed_many(eng, [60 * h for h in range(6)], "陆续反馈需排查")  # one an hour
    assert day[:5] == [[]] * 5
    assert (only(day[5]).level, only(day[5]).window, only(day[5]).count) == ("二级", "1d", 6)
    week = engine()
    times = [d * 1440 + h * 600 for d in range(6) for h in range(2)]  # two a day for six days
    results = feed_many(week, times, "陆续反馈需排查")
    assert all(r == [] for r in results[:10])
    assert (only(results[10]).level, only(results[10]).window, only(results[10]).count) == ("二级", "1w", 11)


def test_growth_against_the_same_day_of_the_previous_week():
    week = 7 * 1440

    def stream(last_week: int, extra: int, until: int = 1500):
        """Last week ``last_week`` complaints, one each half hour from 00:15 on (never a ladder threshold); this
        week the same ones plus ``extra`` more from 20:15 on, one each half hour. Checked hourly until ``until``."""
        eng = engine()
        for i in range(last_week):
            eng.feed(T0 + (i * 30 + 15) * 60, "付费充值", i, None, i)
        for i in range(last_week):
            eng.feed(T0 + (week + i * 30 + 15) * 60, "付费充值", i, None, 100 + i)
        for j in range(extra):
            eng.feed(T0 + (week + 1215 + j * 30) * 60, "付费充值", 500 + j, None, 500 + j)
        eng.tick(T0 + (week + until) * 60)
        return [(a.action, a.level, a.basis, a.window, (a.at.timestamp() - T0) / 60 - week, a.count, a.previous)
                for a in eng.alerts if a.rule == "severe"]

    # at 23:00 five extra are in: 45 against 40, +12.5%
    assert stream(40, 5) == [("raised", "一级", "growth", "1d", 1380, 45, 40)]
    assert stream(40, 4, until=1440) == []  # 44 against 40 is +10%, not more than 10%
    # at 01:00 the day has lost the two earliest of each week: 42 against 38 is +10.5%
    assert stream(40, 4) == [("raised", "一级", "growth", "1d", 1500, 42, 38)]
    # +20% at 24:00 is not more than 20%; at 01:00 the day has lost two from each week: 47 against 38, +23.7%
    assert stream(40, 9) == [("raised", "一级", "growth", "1d", 1380, 46, 40),
                             ("escalated", "红色", "growth", "1d", 1500, 47, 38)]
    assert stream(20, 10) == []  # +50%, but 20 is under the minimum base of 30


def test_an_alert_closes_after_a_quiet_cooldown_and_is_raised_again():
    eng = engine()
    feed_many(eng, [0, 1, 2, 3, 4, 5], "登录访问")
    assert eng.open_level("severe", "登录访问") == "一级"
    # the 30-minute count falls to 5 at 10:30 (10:00's contact leaves), the 3-hour one never passed 10:
    # quiet from 10:30, closed an hour later, at 11:30 - seen when the next contact comes at 11:50
    closed = [a for a in eng.feed(minute(110), "登录访问", 50, None, 50) if a.rule == "severe"]
    assert [(a.action, a.at.timestamp()) for a in closed] == [("closed", minute(90))]
    assert eng.open_level("severe", "登录访问") is None
    # a new alert: the 3-hour window holds the first six and 11:50..11:54, eleven
    again = feed_many(eng, [111, 112, 113, 114], "登录访问", 60)
    assert again[:3] == [[], [], []]
    assert [(a.action, a.window, a.count) for a in again[3]] == [("raised", "3h", 11)]


def test_an_alert_that_stays_hot_does_not_close():
    eng = engine()
    feed_many(eng, [i * 4 for i in range(60)], "登录访问")  # 7 or 8 in every half hour for four hours
    assert eng.open_level("severe", "登录访问") == "红色"  # 3 hours: more than 20 crossed at 2h40
    assert not [a for a in eng.alerts if a.action == "closed" and a.rule == "severe"]


def test_an_alert_resolved_by_a_person_is_not_raised_within_the_cooldown():
    eng = engine()
    feed_many(eng, [0, 1, 2, 3, 4, 5], "登录访问")
    eng.resolve("severe", "登录访问", minute(6))
    assert feed_many(eng, [7, 8, 9, 10, 11], "登录访问", 10) == [[]] * 5  # eleven in 30 min, but just resolved
    assert feed_many(eng, [65.9], "登录访问", 20) == [[]]  # 11:05:54, still within the hour's cool-down
    # 11:06, cool-down over: the 3-hour window holds 13, raised at once
    later = feed_many(eng, [66], "登录访问", 30)
    assert [(a.action, a.level, a.window, a.count) for a in later[0]] == [("raised", "一级", "3h", 13)]


def test_same_issue_three_distinct_customers_within_ten_minutes():
    eng = engine()
    assert eng.feed(minute(0), "道具使用", "客户甲", None, 1) == []
    assert eng.feed(minute(3), "道具使用", "客户甲", None, 2) == []  # the same customer again
    assert eng.feed(minute(5), "道具使用", "客户乙", None, 3) == []
    alert = only(eng.feed(minute(9.9), "道具使用", "客户丙", None, 4))
    assert (alert.rule, alert.category, alert.level, alert.window, alert.count) == ("same_issue", "道具使用",
                                                                                    "一级", "10m", 3)
    assert alert.contacts == (1, 2, 3, 4)


def test_same_issue_not_when_spread_over_more_than_ten_minutes():
    eng = engine()
    for m, who in ((0, "甲"), (5, "乙"), (10, "丙")):
        assert eng.feed(minute(m), "道具使用", who, None, None) == []


TEXTS = ["登录不上去,一直提示网络错误", "App登录不了,提示网络错误", "今天登录时提示网络错误,进不去书架"]


def test_same_issue_by_similar_text_in_a_category_without_a_class():
    eng = engine()
    got = [eng.feed(minute(i * 2), "waimai.delivery.late", f"客户{i}", text, 10 + i) for i, text in enumerate(TEXTS)]
    assert got[:2] == [[], []]
    alert = only(got[2])
    assert (alert.rule, alert.basis, alert.count, alert.contacts) == ("same_issue", "same_issue", 3, (10, 11, 12))


def test_different_texts_are_not_the_same_issue():
    eng = engine()
    texts = ["登录不上去,一直提示网络错误", "充值了50元书币没有到账", "外卖超时一个小时还没送到"]
    got = [eng.feed(minute(i), "waimai.delivery.late", f"客户{i}", text, i) for i, text in enumerate(texts)]
    assert got == [[], [], []]


def test_same_text_from_one_customer_three_times_is_one_customer():
    eng = engine()
    got = [eng.feed(minute(i), None, "客户甲", TEXTS[i], i) for i in range(3)]
    assert got == [[], [], []]


LADDER = """
rules:
  - id: tight
    categories: [登录访问, 道具使用]
    resolution: 1m
    cooldown: 52w
    thresholds:
      - {window: 5m, more_than: 2, level: 二级}
      - {window: 20m, more_than: 4, level: 一级}
      - {window: 1h, more_than: 7, level: 红色}
"""


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 600), st.sampled_from(["登录访问", "道具使用"])), min_size=1, max_size=120))
def test_engine_agrees_with_a_recount_per_event(draws):
    """Random streams: the bucketed engine raises exactly what recounting the whole history at each contact
    raises, at the same contacts."""
    rules = parse_rules(LADDER)
    events = sorted((T0 + seconds * 20, cat) for seconds, cat in draws)
    eng = Engine(rules, CATALOG)
    got = [(a.at.timestamp(), a.rule, a.category, a.level, a.window, a.count)
           for at, cat in events for a in eng.feed(at, cat)]
    assert got == naive_alerts(rules, CATALOG, events)


@pytest.mark.parametrize("text, message", [
    ("rules: [{id: x, thresholds: []}]", "rules[0] (x).classes: a ladder rule needs classes or categories"),
    ("rules: [{id: x, classes: [severe], thresholds: [{window: 7m, more_than: 5, level: 一级}], resolution: 5m}]",
     "rules[0] (x).thresholds[0].window: 7m is not a whole number of the rule's resolution (5m)"),
    ("rules: [{id: x, classes: [severe], thresholds: [{window: 30m, more_than: 5, level: 三级}]}]",
     "rules[0] (x).thresholds[0].level: '三级' is not a level"),
    ("rules: [{id: x, classes: [severe], thresholds: [{window: half an hour, more_than: 5, level: 一级}]}]",
     "rules[0] (x).thresholds[0].window: 'half an hour' is not a duration"),
    ("rules: [{id: x, classes: [severe], thresholds: [{window: 30m, more_than: -1, level: 一级}]}]",
     "rules[0] (x).thresholds[0].more_than: must be a whole number"),
    ("rules: [{id: x, classes: [critical], thresholds: [{window: 30m, more_than: 1, level: 一级}]}]",
     "rules[0] (x).classes: 'critical' is not one of"),
    ("rules: [{id: x, classes: [severe], thresholds: [{window: 30m, more_than: 1, level: 一级}],"
     " growth: {period: month, steps: [{more_than_percent: 10, level: 一级}]}}]",
     "rules[0] (x).growth.period: 'month' is not one of day, week, year"),
    ("rules: [{id: same_issue, kind: same_issue, min_customers: 1}]", "rules[0] (same_issue).min_customers"),
    ("rules: [{id: a, kind: alarm}]", "rules[0] (a).kind: 'alarm' is not one of"),
    ("rules: [{id: a, classes: [severe], thresholds: [{window: 1h, more_than: 1, level: 一级}], colour: red}]",
     "rules[0] (a).colour: unknown key"),
    ("rules:\n  - id: [unclosed", "not valid YAML at line"),
    ("- just a list", "rules: the file must be a mapping"),
])
def test_bad_rules_are_refused_naming_the_field(text, message):
    from kefu.alerts.rules import RulesError

    with pytest.raises(RulesError) as err:
        parse_rules(text)
    assert message in str(err.value)


def test_the_default_rules_hold_the_seed_table():
    rules = default_rules()
    severe = rules.get("severe")
    assert [(t.window // 60, t.more_than, t.level) for t in severe.thresholds] == [
        (30, 5, "一级"), (180, 10, "一级"), (30, 10, "红色"), (180, 20, "红色"), (30, 20, "红色"), (180, 40, "红色")]
    assert [(s.more_than_percent, s.level) for s in severe.growth.steps] == [(10, "一级"), (20, "红色"), (30, "红色")]
    assert rules.get("same_issue").min_customers == 3 and rules.get("same_issue").window == 600
    assert rules.get("key_launch").kind == "digest"


def test_a_long_stream_drops_old_buckets_and_still_agrees_with_the_recount():
    """Ten days of contacts, most in minutes of their own: the engine drops buckets no window needs (thousands
    at a time) and raises exactly what the recount does."""
    import random

    rng = random.Random(7)
    rules = parse_rules(LADDER)
    t, events = T0, []
    for _ in range(6000):
        t += rng.choice((1, 30, 90, 150, 400))
        events.append((t, rng.choice(["登录访问", "道具使用"])))
    eng = Engine(rules, CATALOG)
    got = [(a.at.timestamp(), a.rule, a.category, a.level, a.window, a.count)
           for at, cat in events for a in eng.feed(at, cat)]
    assert got == naive_alerts(rules, CATALOG, events)
    assert {(a[2], a[3]) for a in got} >= {("登录访问", "红色"), ("道具使用", "红色")}  # (nothing closes)
    kept = [st.c for st in eng._states]
    assert all(c.base > 0 and len(c.keys) < 2 * 2048 for c in kept)  # old buckets were dropped
