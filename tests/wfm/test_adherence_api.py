"""POST /api/v1/wfm/adherence and ``kefu wfm adherence``: a roster (as the scheduler gives it) and the agents'
logged states in, adherence and conformance per agent and overall out; bad input named."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from kefu.cli import app

URL = "/api/v1/wfm/adherence"
DAY = {"date": "2026-12-07", "shift": "兼职4小时", "start": "08:00", "end": "12:00", "paid_minutes": 240,
       "breaks": [{"name": "小休", "start": "09:30", "end": "09:45", "paid": True},
                  {"name": "午餐", "start": "10:30", "end": "11:00", "paid": False}]}
ROSTER = [{"id": "A01", "name": "张伟", "days": [DAY]}, {"id": "A02", "name": "王芳", "days": [DAY]}]


def span(agent: str, start: str, end: str, state: str) -> dict:
    return {"agent": agent, "start": f"2026-12-07T{start}:00+08:00", "end": f"2026-12-07T{end}:00+08:00",
            "state": state}


LOG = [
    # 张伟 does what the schedule says (a call finished a minute into the break: inside the grace)
    span("A01", "07:58", "09:31", "talking"), span("A01", "09:31", "09:45", "小休"),
    span("A01", "09:45", "10:30", "ready"), span("A01", "10:30", "11:00", "用餐"),
    span("A01", "11:00", "12:00", "ready"),
    # 王芳 logs in 10 minutes late, stays on a call 15 minutes into lunch and comes back 15 minutes late
    span("A02", "08:10", "09:30", "ready"), span("A02", "09:30", "09:45", "break"),
    span("A02", "09:45", "10:45", "talking"), span("A02", "10:45", "11:15", "lunch"),
    span("A02", "11:15", "12:00", "ready"),
]


def test_adherence_and_conformance_per_agent_and_overall(client, world):
    r = client.post(URL, headers=world.headers("supervisor"), json={"roster": ROSTER, "logged": LOG})
    assert r.status_code == 200, r.text
    body = r.json()
    zhang, wang = body["agents"]["A01"], body["agents"]["A02"]
    assert zhang["adherence"] == 1.0 and zhang["conformance"] == 1.0
    assert wang["scheduled_minutes"] == 240 and wang["in_adherence_minutes"] == 240 - 10 - 15 - 15
    assert wang["conformance"] == pytest.approx(230 / 240, abs=1e-4)
    assert [(s["start"][11:16], s["end"][11:16], s["scheduled"], s["logged"]) for s in wang["out_of_adherence"]] == [
        ("08:00", "08:10", "phone", "off"), ("10:30", "10:45", "lunch", "phone"), ("11:00", "11:15", "phone", "lunch")]
    assert body["adherence"] == pytest.approx((240 + 200) / 480, abs=1e-4)
    assert body["conformance"] == pytest.approx((240 + 230) / 480, abs=1e-4)


def test_the_scheduler_output_and_naive_local_times_are_accepted(client, world):
    naive = [dict(s, start=s["start"][:19], end=s["end"][:19]) for s in LOG]  # center time, Asia/Shanghai
    r = client.post(URL, headers=world.headers("analyst"), json={"roster": ROSTER, "logged": naive, "grace_minutes": 0})
    assert r.status_code == 200, r.text
    assert r.json()["agents"]["A01"]["adherence"] == pytest.approx((240 - 1) / 240, abs=1e-4)  # no grace now


@pytest.mark.parametrize(("change", "field"), [
    (lambda b: b["logged"].append(span("A02", "11:30", "11:50", "break")), "logged"),  # overlaps 11:15–12:00
    (lambda b: b["logged"].append(span("A03", "09:00", "08:00", "ready")), "logged.10"),
    (lambda b: b["roster"][0]["days"][0].update(start="25:00"), "roster.0.days.0.start"),
    (lambda b: b["roster"][1]["days"][0].update(end="07:00"), "roster[1].days[0].end"),
    (lambda b: b.update(grace_minutes=-1), "grace_minutes"),
])
def test_bad_input_is_a_422_naming_the_field(client, world, change, field):
    body = json.loads(json.dumps({"roster": ROSTER, "logged": LOG}))
    change(body)
    r = client.post(URL, headers=world.headers("supervisor"), json=body)
    assert r.status_code == 422, r.text
    assert field in r.text


runner = CliRunner()


def test_cli_reads_the_schedule_json_and_the_log(tmp_path):
    (tmp_path / "schedule.json").write_text(json.dumps({"status": "optimal", "agents": ROSTER}, ensure_ascii=False),
                                            encoding="utf-8")
    (tmp_path / "log.json").write_text(json.dumps(LOG, ensure_ascii=False), encoding="utf-8")
    r = runner.invoke(app, ["wfm", "adherence", str(tmp_path / "schedule.json"), str(tmp_path / "log.json"),
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["agents"]["A02"]["adherence"] == pytest.approx(200 / 240, abs=1e-4)
    table = runner.invoke(app, ["wfm", "adherence", str(tmp_path / "schedule.json"), str(tmp_path / "log.json")])
    assert table.exit_code == 0 and "83.3%" in table.output and "100.0%" in table.output and "全部" in table.output


def test_cli_names_bad_input_without_a_traceback(tmp_path):
    (tmp_path / "schedule.json").write_text(json.dumps(ROSTER), encoding="utf-8")
    (tmp_path / "log.json").write_text(json.dumps([*LOG, span("A01", "11:30", "11:40", "break")]), encoding="utf-8")
    r = runner.invoke(app, ["wfm", "adherence", str(tmp_path / "schedule.json"), str(tmp_path / "log.json")])
    assert r.exit_code == 2 and "logged: log of A01: spans overlap" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["wfm", "adherence", str(tmp_path / "missing.json"), str(tmp_path / "log.json")])
    assert r.exit_code == 2 and "ROSTER: cannot read" in r.output
    (tmp_path / "bad.json").write_text(json.dumps([{"agent": "A01", "start": "昨天", "end": "今天"}]), encoding="utf-8")
    r = runner.invoke(app, ["wfm", "adherence", str(tmp_path / "schedule.json"), str(tmp_path / "bad.json")])
    assert r.exit_code == 2 and "logged[0].start" in r.output
