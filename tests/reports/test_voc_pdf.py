"""The weekly voice-of-customer report as a PDF: from the page's link and from `kefu report voc`."""

from __future__ import annotations

import io

from pypdf import PdfReader
from typer.testing import CliRunner

from kefu.cli import app

from .test_report_cli import database  # noqa: F401 - the migrated SQLite file the CLI reads
from .test_satisfaction import _calls


def _text(body: bytes) -> str:
    reader = PdfReader(io.BytesIO(body))
    return "".join(page.extract_text() for page in reader.pages)


def test_the_voc_page_offers_its_report_as_a_pdf(client, db, world, clock):
    from kefu.satisfaction import service as satisfaction
    from web.helpers import login

    calls = _calls(db, clock, 3)
    satisfaction.rate(db, contact=calls[0], level=1, source="ivr", now=clock.now(),
                      comment="骑手把汤洒了,打13812345678没人接")
    db.commit()
    login(client, "analyst")
    line = world.lines["waimai"].id
    page = client.get("/reports/voc", params={"line": line, "week": "2026-11-25"}).text
    assert f'href="/reports/voc.pdf?line={line}&amp;week=2026-11-23"' in page
    r = client.get("/reports/voc.pdf", params={"line": line, "week": "2026-11-25"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert 'filename="voc-waimai-2026-11-23.pdf"' in r.headers["content-disposition"]
    text = _text(r.content)
    assert "外卖 2026-11-23 至 2026-11-29" in text
    assert "超时未送达" in text and "TOP10" in text
    assert "骑手把汤洒了" in text and "138****5678" in text and "13812345678" not in text
    bad = client.get("/reports/voc.pdf", params={"line": line, "week": "下周一"})
    assert bad.status_code == 422 and "日期格式" in bad.text


def test_report_voc_writes_the_pdf_of_a_line_and_week(database, tmp_path):  # noqa: F811
    out = tmp_path / "外卖周报.pdf"
    r = CliRunner().invoke(app, ["report", "voc", "--line", "waimai", "--week", "2026-11-24", "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = _text(out.read_bytes())
    assert "客户之声周报:外卖 2026-11-23 至 2026-11-29" in text
    top = text[text.index("TOP10"):text.index("本周预警")]
    assert top.index("超时未送达") > 0 and top.index("退款问题") > 0
    r = CliRunner().invoke(app, ["report", "voc", "--line", "jiudian", "--week", "2026-11-24", "-o", str(out)])
    assert r.exit_code == 2 and "--line" in r.output and "Traceback" not in r.output


def test_an_analyst_adds_and_removes_suggested_fixes_shown_on_the_page_and_in_the_pdf(client, db, world, clock):
    from kefu.audit.models import AuditEntry
    from web.helpers import login

    line = world.lines["waimai"].id
    csrf = login(client, "analyst")
    r = client.post("/reports/voc/fixes", data={"csrf_token": csrf, "line": str(line), "week": "2026-11-25",
                                                "topic": "超时未送达", "text": "午高峰加派骑手", "owner": "王芳"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/reports/voc?line={line}&week=2026-11-25"
    page = client.get("/reports/voc", params={"line": line, "week": "2026-11-29"}).text
    fixes = page[page.index('id="voc-fixes"'):]
    assert "午高峰加派骑手" in fixes and "王芳" in fixes
    assert "午高峰加派骑手" not in client.get("/reports/voc", params={"line": line, "week": "2026-11-30"}).text
    text = _text(client.get("/reports/voc.pdf", params={"line": line, "week": "2026-11-23"}).content)
    assert "建议改进措施" in text and "午高峰加派骑手" in text
    empty = client.post("/reports/voc/fixes", data={"csrf_token": csrf, "line": str(line), "week": "2026-11-25",
                                                    "text": "  "}, follow_redirects=False)
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    from kefu.reports.models import VocFix

    fix_id = db.query(VocFix.id).scalar()
    r = client.post(f"/reports/voc/fixes/{fix_id}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert "午高峰加派骑手" not in client.get("/reports/voc", params={"line": line, "week": "2026-11-25"}).text
    actions = [a.action for a in db.query(AuditEntry).filter(AuditEntry.target_type == "voc_fix")]
    assert sorted(actions) == ["reports.voc_fix.add", "reports.voc_fix.remove"]
    login(client, "team_lead")  # reads the report, does not write it
    page = client.get("/reports/voc", params={"line": line, "week": "2026-11-25"}).text
    assert 'id="voc-fix-form"' not in page


def test_the_api_refuses_a_fix_without_text_naming_the_field(client, world):
    r = client.post("/api/v1/reports/voc/fixes", headers=world.headers("supervisor"),
                    json={"business_line_id": world.lines["waimai"].id, "week": "2026-11-25", "text": ""})
    assert r.status_code == 422 and "text" in r.text
    r = client.post("/api/v1/reports/voc/fixes", headers=world.headers("supervisor"),
                    json={"business_line_id": 99999, "week": "2026-11-25", "text": "加派骑手"})
    assert r.status_code == 404 and "business_line_id" in r.text
