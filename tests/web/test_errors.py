"""Service errors shown on pages in the user's language (kefu.web.errors), as plain functions."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import kefu
from kefu.core.errors import Conflict, Forbidden, Invalid, NotFound
from kefu.web.errors import RULES, error_text, match

SRC = Path(kefu.__file__).parent
# every module whose errors reach a page: the services the pages call, the request checks, the pages
SHOWN = [
    "tickets/service.py",
    "compensation/service.py",
    "callbacks/service.py",
    "customers/service.py",
    "catalog/service.py",
    "accounts/service.py",
    "sla/calendars.py",
    "core/deps.py",
    "channels/complaints.py",
    "scripts/service.py",
    "reports/queries.py",
    "satisfaction/links.py",
    "chat/workspace.py",
    "chat/queues.py",
    *(str(p.relative_to(SRC)) for p in sorted((SRC / "web").glob("*.py"))),
]
ERRORS = {"Invalid", "Conflict", "Forbidden", "NotFound", "CsrfFailed", "DomainError"}


def _sample(node: ast.expr) -> str | None:
    """The message an f-string would make, each placeholder filled with '1' (``'1'`` where it is a repr)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "'1'" if v.conversion == ord("r") else "1"
                       for v in node.values)
    return None


def raised_messages() -> list[tuple[str, int, str]]:
    found = []
    for rel in SHOWN:
        tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                func = node.exc.func
                if isinstance(func, ast.Name) and func.id in ERRORS:
                    sample = _sample(node.exc.args[0])
                    if sample is None:  # passes on another error's text: the clock's, checked below
                        assert rel == "sla/calendars.py", f"{rel}:{node.lineno}: message is not a string"
                        continue
                    found.append((rel, node.lineno, sample))
    return found


def test_every_message_a_page_can_show_has_a_translation():
    messages = raised_messages()
    assert len(messages) > 60  # the scan found the services' raise statements
    missing = [f"{rel}:{line}: {text}" for rel, line, text in messages if match(text) is None]
    assert missing == []


def test_the_sla_clocks_calendar_errors_are_matched_too():
    from kefu.sla.clock import BusinessCalendar

    bad = [
        {"hours": {0: [(600, 540)]}},
        {"hours": {0: [(540, 720), (600, 780)]}},
        {"hours": {0: [(540, 720)]}, "holidays": ["2026-10-01"], "extra_workdays": ["2026-10-01"]},
        {"hours": {1: [(540, 720)]}, "extra_workdays": ["2026-09-27"]},
    ]
    for kwargs in bad:
        with pytest.raises(ValueError) as caught:
            BusinessCalendar(**kwargs)
        assert match(str(caught.value)) is not None, str(caught.value)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.pattern.pattern[:40])
def test_every_rule_fills_both_languages_from_its_groups(rule):
    groups = set(rule.pattern.groupindex) | {"field"}
    for template in (rule.zh, rule.en):
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        assert names <= groups, (template, names - groups)
    assert set(rule.labels) <= set(rule.pattern.groupindex)


def test_status_transition_in_chinese_and_english():
    exc = Conflict("a open ticket cannot become closed", field="status")
    assert error_text(exc, "zh-CN") == "「处理中」的工单不能直接改为「已关闭」"
    assert error_text(exc, "en") == "A ticket that is Open cannot become Closed"


def test_compensation_over_the_limit_and_bad_input_name_the_amount():
    exc = Forbidden("your role may grant at most ¥20.00; escalate for more", field="amount")
    assert error_text(exc, "zh-CN") == "您的角色单笔最多可发放 ¥20.00,超出请升级处理"
    bad = Invalid("the amount is not a number of yuan", field="amount")
    assert error_text(bad, "zh-CN") == "「金额(元)」请填写以元为单位的数字"
    assert error_text(bad, "en") == "Amount (yuan): enter a number of yuan"


def test_field_labels_and_user_values_come_through():
    exc = Invalid("channel must be one of phone, chat", field="channel")
    assert error_text(exc, "zh-CN") == "「渠道」的取值无效"
    taken = Conflict("calendar '国庆<b>日历' exists", field="name")
    assert error_text(taken, "zh-CN") == "「名称」国庆<b>日历 已存在,请换一个"  # the page escapes it
    assert error_text(Invalid("Tuesday hours '9-18' are not HH:MM-HH:MM ranges", field="hours_1"), "zh-CN") \
        == "周二的工作时间 9-18 格式不对,请写成 09:00-18:00,多段用逗号分隔"
    assert error_text(NotFound("no customer 42"), "zh-CN") == "客户 #42 不存在"
    assert error_text(Forbidden("your role (agent) may not pii.reveal"), "zh-CN") == "您的角色(一线客服)无权执行此操作"
    name = Invalid("name must not be empty", field="name")
    assert error_text(name, "zh-CN", {"name": "customer.name"}) == "「姓名」不能为空"


def test_an_unknown_message_still_comes_out_in_the_users_language():
    assert error_text(Invalid("something new went wrong", field="phone"), "zh-CN") == "「电话」输入有误"
    assert error_text(Invalid("something new went wrong", field="phone"), "en") == "Phone: invalid input"
    assert error_text(Conflict("odd state"), "zh-CN") == "操作未能完成"
    assert error_text(Forbidden("nope"), "en") == "You may not do this"
