"""Placeholder rendering and salutations (kefu.scripts.render): plain functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kefu.scripts.render import render, salutation, surname, unknown_placeholders


def test_every_placeholder_is_filled():
    body = "{称呼},我是{坐席},欢迎致电{中心},工单号{工单号},现在是{时间}。"
    ctx = {"称呼": "张女士", "坐席": "王小明", "中心": "起点客服中心", "工单号": "123", "时间": "2026-11-23 10:00"}
    assert render(body, ctx) == "张女士,我是王小明,欢迎致电起点客服中心,工单号123,现在是2026-11-23 10:00。"


def test_english_aliases_fill_the_same_values():
    assert render("{salutation}, this is {agent} at {center}.", {"称呼": "Ms. 李", "坐席": "Amy", "中心": "Qidian"},
                  lang="en") == "Ms. 李, this is Amy at Qidian."


def test_missing_values_have_defaults_never_raw_braces():
    assert render("{称呼},我是{坐席},欢迎致电{中心}。", {}) == "您,我是客服代表,欢迎致电客服中心。"
    assert render("{称呼}, thank you for waiting.", {"称呼": None}, lang="en") == "Sir or Madam, thank you for waiting."
    assert render("工单号{工单号}", {"工单号": ""}) == "工单号(待生成)"


def test_an_unknown_placeholder_renders_as_nothing_and_is_reported():
    assert render("您好{客户手机}", {}) == "您好"
    assert unknown_placeholders("{称呼}{客户手机}{agent}{x}{客户手机}") == ["客户手机", "x"]
    assert unknown_placeholders("价格 {  } 与 {称呼}") == []


def test_salutation_uses_the_surname_and_title_only():
    assert salutation("张伟", "mr") == "张先生"
    assert salutation("李娜", "ms") == "李女士"
    assert salutation("李娜", "ms", lang="en") == "Ms. 李"
    assert salutation("欧阳娜娜", "ms") == "欧阳女士"
    assert salutation("张女士", None) == "张女士"  # callers recorded by their own salutation
    assert salutation("王先生", "mr") == "王先生"
    assert salutation("张伟", None) is None  # unknown title: the default 您
    assert salutation("", "ms") is None
    assert salutation("<img src=x>", "ms") is None
    assert salutation("John Smith", "mr", lang="en") == "Mr. Smith"


def test_surname():
    assert surname("张伟") == "张" and surname("司马相如") == "司马" and surname("欧阳") == "欧"
    assert surname("阿卜杜热合曼·买买提") is None


@given(st.text(max_size=40), st.dictionaries(st.sampled_from(["称呼", "坐席", "中心", "工单号", "时间"]),
                                              st.text(alphabet="张王李女士先生您好0123456789", max_size=5)))
def test_rendering_never_leaves_a_placeholder(body, ctx):
    out = render(body, ctx)
    assert unknown_placeholders(out) == [] or "{" in body  # only user braces that are no placeholder survive
    for name in ("{称呼}", "{坐席}", "{中心}", "{工单号}", "{时间}"):
        assert name not in out or name in "".join(ctx.values())
