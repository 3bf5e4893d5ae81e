"""`kefu report kpis|top-reasons|rebuild` on a migrated SQLite file with a day of calls."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, insert, select
from typer.testing import CliRunner

from kefu.catalog.models import BusinessLine, Category
from kefu.cli import app
from kefu.contacts.service import ingest
from kefu.core.db import make_engine, make_sessionmaker, session_scope
from kefu.core.settings import get_settings
from kefu.migrate import upgrade
from kefu.reports.models import KpiRollup

from .test_reports_api import MON, cdr

runner = CliRunner()


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'report.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as s:
        line = s.execute(insert(BusinessLine).values(code="waimai", name="外卖", is_active=True)
                         .returning(BusinessLine.id)).scalar()
        s.execute(insert(Category), [{"code": c, "name": n, "severity_class": "general", "business_line_id": line,
                                      "sort_order": 0, "is_active": True}
                                     for c, n in (("delivery.late", "超时未送达"), ("refund", "退款问题"))])
        ingest(s, [cdr(1, MON, "answered", wait=10, talk=100, agent=None),
                   cdr(2, MON, "answered", wait=40, talk=200, agent=None, category="refund"),
                   cdr(3, MON, "abandoned", wait=30, category="refund"),
                   cdr(4, MON, "abandoned", wait=50)], now=datetime.now(UTC))
    engine.dispose()
    monkeypatch.setenv("KEFU_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_kpis_as_json_csv_and_xlsx(database, tmp_path):
    r = runner.invoke(app, ["report", "kpis", "--from", "2026-11-23", "--to", "2026-11-23"])
    assert r.exit_code == 0, r.output
    totals = json.loads(r.stdout)["totals"]
    assert (totals["offered"], totals["answered"], totals["answer_rate"]) == (4, 2, 0.5)
    assert totals["service_level"] == 0.25 and totals["asa_seconds"] == 25
    r = runner.invoke(app, ["report", "kpis", "--from", "2026-11-23", "--to", "2026-11-23", "--group-by", "category",
                            "--format", "csv"])
    rows = {row["label"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["退款问题"]["offered"] == "2" and rows["退款问题"]["answer_rate"] == "0.5"
    out = tmp_path / "报表.xlsx"
    r = runner.invoke(app, ["report", "top-reasons", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "xlsx",
                            "-o", str(out)])
    assert r.exit_code == 0, r.output
    sheet = load_workbook(out).active
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["超时未送达", "退款问题"]


def test_rebuild_restores_the_rollups(database):
    engine = make_engine(database)
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(delete(KpiRollup))
    r = runner.invoke(app, ["report", "rebuild"])
    assert r.exit_code == 0 and "4 contacts" in r.stdout
    with session_scope(make_sessionmaker(engine)) as s:
        assert s.scalar(select(KpiRollup.offered).where(KpiRollup.grain == 2)) == 4
    engine.dispose()


def test_bad_options_say_what_is_wrong(database):
    r = runner.invoke(app, ["report", "kpis", "--from", "上周一", "--to", "2026-11-23"])
    assert r.exit_code == 2 and "--from" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["report", "kpis", "--from", "2026-11-23", "--to", "2026-11-23", "--group-by", "心情"])
    assert r.exit_code == 2 and "group_by must be one of" in r.output
    r = runner.invoke(app, ["report", "kpis", "--from", "2026-11-23", "--to", "2026-11-23", "--format", "pdf"])
    assert r.exit_code == 2 and "--format" in r.output
