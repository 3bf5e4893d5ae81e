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
