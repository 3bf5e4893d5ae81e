"""``kefu wfm erlang`` and ``kefu wfm schedule`` through Typer's runner: the table, JSON and CSV outputs, and
clear errors with exit code 2 (never a traceback)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from kefu.cli import app

from .plans import day_requirement, plan

runner = CliRunner()
EXAMPLE = ["--calls", "100", "--interval", "30", "--aht", "180", "--sl", "0.8", "--target", "20",
           "--shrinkage", "0.3", "--max-occupancy", "0.85"]


def wfm(*args):
    result = runner.invoke(app, ["wfm", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_erlang_json_has_the_staffing_and_what_it_achieves():
    r = wfm("erlang", *EXAMPLE, "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["raw_positions"] == 14 and body["positions"] == 20
    assert 0.8 <= body["service_level"] < 1 and body["occupancy"] <= 0.85
    assert body["asa"] > 0 and 0 < body["waiting_probability"] < 1


def test_erlang_table_and_several_intervals():
    r = wfm("erlang", *EXAMPLE)
    assert r.exit_code == 0 and "Erlang C" in r.output and "20" in r.output and "88.8%" in r.output
    r = wfm("erlang", "--calls", "80,120，0", "--aht", "200", "--patience", "60", "--json")
    body = json.loads(r.output)
    assert body["model"] == "erlang_a" and len(body["raw_positions"]) == 3 and body["raw_positions"][2] == 0


@pytest.mark.parametrize("args, message", [
    (["--calls", "100", "--aht", "180", "--sl", "80"], "--sl"),
    (["--calls", "一百", "--aht", "180"], "--calls"),
    (["--calls", "100", "--aht", "-3"], "--aht must be > 0"),
    (["--calls", "100", "--aht", "180", "--interval", "0"], "interval must be > 0"),
    (["--calls", "100", "--aht", "180", "--max-abandonment", "0.05"], "needs patience"),
])
def test_erlang_bad_input_exits_2_with_a_message(args, message):
    r = wfm("erlang", *args)
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


def test_schedule_from_a_plan_and_a_requirements_csv(tmp_path):
    data = plan(days=1, agents=8, time_limit=5)
    data["days"] = [{"date": "2026-12-07", "open": "08:00", "close": "22:00", "holiday": None}]
    (tmp_path / "plan.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rows = ["date,time,requirement"] + [f"2026-12-07,{t // 2:02d}:{t % 2 * 30:02d},{v}"
                                        for t, v in enumerate(day_requirement()) if v]
    (tmp_path / "req.csv").write_text("\n".join(rows), encoding="gb18030")
    r = wfm("schedule", str(tmp_path / "plan.json"), "-r", str(tmp_path / "req.csv"), "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["coverage"]["requirement"][0] == day_requirement() and out["summary"]["shortfall"] == 0
    r = wfm("schedule", str(tmp_path / "plan.json"), "-r", str(tmp_path / "req.csv"), "--format", "csv")
    roster = list(csv.DictReader(io.StringIO(r.output)))
    assert roster and {row["date"] for row in roster} == {"2026-12-07"} and all(row["breaks"] for row in roster)
    r = wfm("schedule", str(tmp_path / "plan.json"), "-r", str(tmp_path / "req.csv"))
    assert r.exit_code == 0 and "排班 roster" in r.output and "under-covered intervals 0" in r.output


def test_schedule_bad_files_exit_2(tmp_path):
    (tmp_path / "plan.json").write_text("{not json", encoding="utf-8")
    r = wfm("schedule", str(tmp_path / "plan.json"))
    assert r.exit_code == 2 and "not JSON" in r.output
    data = plan(days=1, agents=2)
    data["agents"][1]["days_off"] = ["后天"]
    (tmp_path / "plan.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    r = wfm("schedule", str(tmp_path / "plan.json"))
    assert r.exit_code == 2 and "agents[1].days_off[0]" in r.output
    (tmp_path / "req.csv").write_text("date,time\n2026-12-07,08:00\n", encoding="utf-8")
    r = wfm("schedule", str(tmp_path / "plan.json"), "-r", str(tmp_path / "req.csv"))
    assert r.exit_code == 2 and "requirement" in r.output
    r = wfm("schedule", str(tmp_path / "missing.json"))
    assert r.exit_code == 2 and "cannot read" in r.output
