"""``kefu compliance check`` through Typer's runner: exit codes, the highlighted output, JSON, transcripts and
clear errors (never a traceback)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kefu.cli import app

runner = CliRunner()
TRANSCRIPT = """# 外卖超时
customer: 在吗?外卖超时一个小时了
客服：您好,很高兴为您服务,请问您的订单号是多少?
顾客: 2026112300012345

agent: 您的订单号是多少呢?
agent: 感谢您的耐心等待,已为您催促骑手,祝您生活愉快,再见。
"""


def run(*args):
    result = runner.invoke(app, ["compliance", "check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_warnings_only_exit_0_and_show_the_span():
    r = run("您好,这个我帮您提交了!!")
    assert r.exit_code == 0
    assert "forbidden_wording [8:10] “提交”" in r.output and "我们会为您反馈给相关人员或相关部门核实确认的" in r.output
    assert "exclamation" in r.output and "2 violation(s)" in r.output and "blocked" not in r.output


def test_a_blocking_violation_exits_1():
    r = run("您好,商家的手机是13987654321")
    assert r.exit_code == 1
    assert "pii_leak" in r.output and "阻止" in r.output and "sending blocked" in r.output


def test_a_clean_message_exits_0():
    r = run("您好,很高兴为您服务,请问有什么可以帮到您?")
    assert r.exit_code == 0 and "0 violation(s)" in r.output


def test_json_output(tmp_path):
    context = tmp_path / "context.txt"
    context.write_text("customer: 我的手机13812345678\nagent: 您好\n", encoding="utf-8")
    r = run("和您核对手机13812345678", "--context-file", str(context), "--json")
    assert r.exit_code == 0
    data = json.loads(r.output)
    (message,) = data["messages"]
    assert data["blocked"] is False and message["index"] == 2
    assert [(v["rule"], v["start"], v["end"], v["suggestion"]) for v in message["violations"]] == [
        ("pii_leak", 6, 17, "138****5678")]


def test_closing_option():
    assert "missing_closing" in run("好的", "--closing").output


def test_a_transcript_file_checks_each_agent_message_in_context(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    r = run("--file", str(path), "--json")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert [(m["index"], [v["rule"] for v in m["violations"]]) for m in data["messages"]] == [
        (3, ["repeated_question"])]
    r = run("--file", str(path))
    assert "#4 您的订单号是多少呢?" in r.output and "3 agent message(s) checked: 1 violation(s)" in r.output


def test_a_gb18030_transcript_is_read(tmp_path):
    path = tmp_path / "chat.txt"
    path.write_bytes("agent: 您好,帮您递交了\n".encode("gb18030"))
    r = run("--file", str(path), "--open", "--json")
    assert [v["rule"] for v in json.loads(r.output)["messages"][0]["violations"]] == ["forbidden_wording"]


@pytest.mark.parametrize(("args", "content", "error"), [
    ((), None, "give either TEXT or --file"),
    (("您好", "--file", "{path}"), "agent: 您好\n", "give either TEXT or --file"),
    (("--file", "{path}"), "agent: 您好\n经理说: 退款\n", "line 2: expected 'agent: …'"),
    (("--file", "{path}", "--closing"), "agent: 您好\n", "--context-file and --closing go with TEXT"),
    (("--file", "{missing}"), None, "cannot read"),
    (("--file", "{path}"), b"\xff\xfe\xff\x00agent", "neither UTF-8 nor GB18030"),
    (("您好", "--rules", "{path}"), "[exclamation]\nmax = 'x'\n", "[exclamation] max must be a number"),
    (("   ",), None, "TEXT is empty"),
])
def test_bad_input_is_a_clear_error_with_exit_2(tmp_path, args, content, error):
    path = tmp_path / "input.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    args = [a.format(path=path, missing=tmp_path / "missing.txt") for a in args]
    r = run(*args)
    assert r.exit_code == 2
    assert error in r.output and "Traceback" not in r.output
