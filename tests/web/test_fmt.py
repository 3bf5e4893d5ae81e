"""The history lines and time formatting, as plain functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from kefu.web import fmt

SH = ZoneInfo("Asia/Shanghai")
CTX = fmt.HistoryContext(
    users={7: "李组长"}, messages={1: ("您好,已为您催单", False), 2: ("客户情绪激动", True)}, tz=SH
)


@dataclass
class Ev:
    id: int
    kind: str
    data: dict = field(default_factory=dict)
    actor_name: str = "王小明"
    at: datetime = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_local_time_is_shown_in_the_centers_zone():
    assert fmt.local_time(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), SH) == "2026-11-23 10:00"
    assert fmt.local_time(None) == "—"


def test_parse_local_reads_a_datetime_local_input_in_the_centers_zone():
    parsed = fmt.parse_local("2026-11-23T14:30", SH)
    assert parsed == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    assert fmt.parse_local("not a time", SH) is None
    assert fmt.parse_local("", SH) is None


def test_escalation_line_names_both_tiers_and_the_reason():
    line = fmt.describe(
        "escalated", {"from_tier": 1, "to_tier": 2, "reason": "客户要求主管处理"}, "李组长", "zh-CN", CTX
    )
    assert line == "李组长 升级 一线 → 组长:原因 客户要求主管处理"
    en = fmt.describe("escalated", {"from_tier": 2, "to_tier": 3, "reason": "x"}, "Li", "en", CTX)
    assert en == "Li escalated Tier 2 team lead → Tier 3 complaints: reason x"


def test_status_compensation_callback_and_breach_lines():
    assert (
        fmt.describe("status", {"old": "open", "new": "resolved", "reason": ""}, "王小明", "zh-CN", CTX)
        == "王小明 将状态由「处理中」改为「已解决」"
    )
    assert (
        fmt.describe(
            "compensation",
            {"kind": "red_packet", "reason": "service_failure", "amount_fen": 1000},
            "王小明",
            "zh-CN",
            CTX,
        )
        == "王小明 发放补偿:红包 ¥10.00(服务失误)"
    )
    cb = fmt.describe(
        "callback_created",
        {"callback_id": 3, "due_at": "2026-11-23T06:00:00+00:00", "owner_id": 7},
        "王小明",
        "zh-CN",
        CTX,
    )
    assert cb == "王小明 创建回访任务 #3,回访时间 2026-11-23 14:00,负责人 李组长"
    assert (
        fmt.describe("callback_done", {"callback_id": 3, "outcome": "no_answer"}, "李组长", "zh-CN", CTX)
        == "李组长 完成回访 #3:无人接听"
    )
    assert (
        fmt.describe("sla_breached", {"which": "resolution"}, "系统", "zh-CN", CTX) == "系统:解决时限已超时"
    )
    assert fmt.describe("mystery", {}, "系统", "zh-CN", CTX) == "系统 mystery"


def test_user_text_goes_into_arguments_never_into_the_template():
    line = fmt.describe(
        "escalated",
        {"from_tier": 1, "to_tier": 2, "reason": "{actor} {0} {kind.__class__}"},
        "<b>x</b>",
        "zh-CN",
        CTX,
    )
    assert line == "<b>x</b> 升级 一线 → 组长:原因 {actor} {0} {kind.__class__}"


def test_history_is_oldest_first_and_carries_reply_and_note_bodies():
    later = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    lines = fmt.history(
        [Ev(3, "note", {"message_id": 2}, at=later), Ev(1, "created"), Ev(2, "reply", {"message_id": 1})],
        "zh-CN",
        CTX,
    )
    assert [line.kind for line in lines] == ["created", "reply", "note"]
    assert (lines[1].body, lines[1].internal) == ("您好,已为您催单", False)
    assert (lines[2].body, lines[2].internal) == ("客户情绪激动", True)
    assert lines[0].text == "王小明 创建工单"


def test_field_changes_say_what_they_were_and_became():
    ctx = fmt.HistoryContext(users={7: "李组长", 8: "刘二"}, messages={}, tz=SH,
                             categories={5: "外卖 / 配送问题 / 超时未送达"}, teams={2: "一线客服二组"})
    data = {"changes": {"priority": ["normal", "urgent"], "assignee_id": [7, 8], "category_id": [None, 5],
                        "team_id": [1, 2], "description": ["旧的描述", "新的描述"], "subject": ["短", "长" * 70]}}
    line = fmt.describe("updated", data, "李组长", "zh-CN", ctx)
    assert line == ("李组长 修改了 主题「短」→「" + "长" * 60 + "…」、问题描述、"
                    "分类「无」→「外卖 / 配送问题 / 超时未送达」、优先级「普通」→「紧急」、"
                    "处理人「李组长」→「刘二」、班组「#1」→「一线客服二组」")
    en = fmt.describe("updated", {"changes": {"channel": ["phone", "wechat"]}}, "Li", "en", ctx)
    assert en == "Li changed Channel Phone → WeChat"


def test_callback_reassignment_line_names_the_new_owner_and_time():
    line = fmt.describe("callback_reassigned", {"callback_id": 3, "owner_id": 7,
                                                "due_at": "2026-11-24T01:30:00+00:00"}, "陈督导", "zh-CN", CTX)
    assert line == "陈督导 将回访 #3 改派给 李组长,回访时间 2026-11-24 09:30"
