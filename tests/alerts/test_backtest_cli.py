"""``kefu alerts backtest`` through the CLI runner: JSON lines for each alert, categories by code or Chinese
name, a center's own rules file, and bad files refused with a message naming the line and column."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from kefu.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["alerts", "backtest", *args, "--demo-categories"])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_backtest_prints_each_alert_as_a_json_line(tmp_path):
    rows = ["created_at,category,customer_id,text"]
    # 付费充值 by name and by code alternately, one customer: eleven in ten minutes → 一级 at the 6th, 红色 at the 11th
    for i in range(11):
        rows.append(f"2026-11-23T10:{i:02d}:30,{'付费充值' if i % 2 else 'yuedu.payment'},同一用户,充值没到账")
    result = run("--events", write(tmp_path, "history.csv", "\n".join(rows) + "\n"))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(a["at"], a["rule"], a["category"], a["category_name"], a["level"], a["window"], a["count"])
            for a in lines] == [
        ("2026-11-23T10:05:30+08:00", "severe", "yuedu.payment", "付费充值", "一级", "30m", 6),
        ("2026-11-23T10:10:30+08:00", "severe", "yuedu.payment", "付费充值", "红色", "30m", 11)]
    assert lines[1]["action"] == "escalated" and lines[0]["lines"] == [2, 3, 4, 5, 6, 7]


def test_backtest_with_a_centers_own_rules(tmp_path):
    rules = write(tmp_path, "rules.yaml", """
rules:
  - id: waimai_late
    name: 外卖超时
    categories: [超时未送达]
    thresholds:
      - {window: 10m, more_than: 2, level: 二级}
""")
    events = write(tmp_path, "e.csv", "created_at,category\n2026-11-23T12:00:00+08:00,超时未送达\n"
                                      "2026-11-23T12:01:00+08:00,waimai.delivery.late\n"
                                      "2026-11-23T12:02:00+08:00,超时未送达\n")
    result = run("--events", events, "--rules", rules)
    assert result.exit_code == 0, result.output
    (alert,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (alert["rule"], alert["level"], alert["count"], alert["window"]) == ("waimai_late", "二级", 3, "10m")


def test_bad_time_is_refused_with_line_and_column(tmp_path):
    events = write(tmp_path, "e.csv", "created_at,category\n2026-11-23T12:00:00,登录访问\n昨天下午,登录访问\n")
    result = run("--events", events)
    assert result.exit_code == 2
    assert "line 3, created_at: '昨天下午' is not an ISO 8601 time" in result.output
    assert "Traceback" not in result.output


def test_missing_column_and_bad_rules_are_refused(tmp_path):
    result = run("--events", write(tmp_path, "e.csv", "time,category\n"))
    assert result.exit_code == 2 and "missing created_at" in result.output
    events = write(tmp_path, "ok.csv", "created_at,category\n")
    bad = write(tmp_path, "r.yaml", "rules: [{id: x, classes: [severe], thresholds: [{window: 30m, more_than: 5,"
                                    " level: 橙色}]}]")
    result = run("--events", events, "--rules", bad)
    assert result.exit_code == 2
    assert "thresholds[0].level: '橙色' is not a level" in result.output
