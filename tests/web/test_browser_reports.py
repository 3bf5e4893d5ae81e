"""The KPI page, TOP10 drill-down and the live wallboard in Debian's Chromium (the set-up of ``test_browser``):
charts drawn by the vendored Chart.js under the strict CSP, the Excel export downloaded, the wallboard
updating by itself when a call comes in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from openpyxl import load_workbook

from kefu.contacts.service import ingest
from kefu.core.db import session_scope
from web.test_browser import browser, live, sign_in  # noqa: F401  (module fixtures: a server and a browser)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
_n = count(1)


def _calls(live, n: int, *, answered: bool = True) -> None:  # noqa: F811
    now = datetime.now(UTC).replace(microsecond=0)
    recs = []
    for _ in range(n):
        i = next(_n)
        at = now - timedelta(minutes=5 + i % 50)
        rec = {"call_id": f"浏览器-{i}", "channel": "phone", "customer_phone": "13812345678", "queue": "外卖热线",
               "offered_at": at.isoformat(), "category": "delivery", "agent": "agent",
               "outcome": "answered" if answered else "abandoned",
               "ended_at": (at + timedelta(seconds=200)).isoformat()}
        if answered:
            rec["answered_at"] = (at + timedelta(seconds=8 + i % 30)).isoformat()
        recs.append(rec)
    with session_scope(live.factory) as session:
        assert ingest(session, recs, now=now).created == n


def _rate(live, levels: list[int]) -> None:  # noqa: F811
    from sqlalchemy import select

    from kefu.contacts.models import Contact

    with session_scope(live.factory) as session:
        calls = session.scalars(select(Contact).where(Contact.external_id.like("浏览器-%"),
                                                      Contact.outcome == "answered").limit(len(levels))).all()
        for c, level in zip(calls, levels, strict=True):
            c.satisfaction = level


def _drawn(page, selector: str) -> None:
    expect(page.locator(f"{selector}[data-drawn='1']")).to_have_count(1)
    box = page.locator(selector).bounding_box()
    assert box["width"] > 200 and box["height"] > 100


def test_kpi_page_charts_export_and_drill_down(browser, live, tmp_path):  # noqa: F811
    _calls(live, 12)
    _calls(live, 3, answered=False)
    page, watch = sign_in(browser, live, "lead")
    page.goto(f"{live.base}/reports?group_by=day")
    expect(page.locator("#kpi-totals")).to_contain_text("接通率")
    expect(page.locator("#kpi-totals tr[data-kpi=answer_rate]")).to_contain_text("80.0%")  # 12 of 15
    _drawn(page, "#trend-chart")
    _drawn(page, "#group-chart")
    page.screenshot(path=str(tmp_path / "kpis.png"), full_page=True)
    with page.expect_download() as got:
        page.click("#export-xlsx")
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(min_row=2, values_only=True))
    assert sum(r[3] for r in rows) >= 15  # offered, per day
    page.goto(f"{live.base}/reports/top-reasons")
    _drawn(page, "#top-chart")
    page.click("#top-reasons a:has-text('配送问题')")
    expect(page.locator("#drill tbody tr")).to_have_count(15)
    expect(page.locator("#drill")).to_contain_text("王小明")
    _rate(live, [5, 5, 4, 2])
    page.goto(f"{live.base}/reports/satisfaction?group_by=channel")
    _drawn(page, "#satisfaction-chart")
    expect(page.locator("#satisfaction-rows")).to_contain_text("75.0%")  # 5, 5, 4 of 5, 5, 4, 2
    watch.assert_clean()
    page.context.close()


def test_wallboard_updates_itself(browser, live, tmp_path):  # noqa: F811
    page, watch = sign_in(browser, live, "lead")
    page.goto(f"{live.base}/wallboard")
    _drawn(page, "canvas.wallboard-chart")
    expect(page.locator("#tile-alerts .big")).to_have_text(re.compile(r"^\d+$"))  # unresolved alerts, a count
    before = page.locator(".tiles").get_attribute("data-updated")
    _calls(live, 4)
    expect(page.locator(".tiles")).not_to_have_attribute("data-updated", before, timeout=30_000)  # polled
    _drawn(page, "canvas.wallboard-chart")
    page.screenshot(path=str(tmp_path / "wallboard.png"), full_page=True)
    watch.assert_clean()
    page.context.close()


def test_analyst_writes_a_fix_and_a_subscriber_then_downloads_the_pdf(browser, live, tmp_path):  # noqa: F811
    import io

    from pypdf import PdfReader

    from kefu.accounts.service import create_user
    from kefu.catalog.models import BusinessLine
    from kefu.core.context import Actor
    from web.test_browser import PASSWORD

    with session_scope(live.factory) as session:
        create_user(session, actor=Actor.system(datetime.now(UTC)), username="analyst", password=PASSWORD,
                    role="analyst", display_name="孙分析")
        line = BusinessLine(code="waimai", name="外卖")
        session.add(line)
        session.flush()
        line_id = line.id
    page, watch = sign_in(browser, live, "analyst")
    page.goto(f"{live.base}/reports/voc?line={line_id}&week=2026-11-25")
    expect(page.locator("h1")).to_contain_text("外卖 2026-11-23 至 2026-11-29")
    form = page.locator("#voc-fix-form")
    form.locator("input[name=topic]").fill("超时未送达")
    form.locator("input[name=text]").fill("午高峰加派骑手,商家出餐超15分钟自动提醒")
    form.locator("input[name=owner]").fill("王芳")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    subscribe = page.locator("#voc-subscribe-form")
    subscribe.locator("input[name=email]").fill("waimai-pm@example.cn")
    with page.expect_navigation():
        subscribe.locator("button[type=submit]").click()
    page.reload()
    expect(page.locator("#voc-fixes tbody tr")).to_have_count(1)
    expect(page.locator("#voc-fixes")).to_contain_text("午高峰加派骑手,商家出餐超15分钟自动提醒")
    expect(page.locator("#voc-fixes")).to_contain_text("王芳")
    expect(page.locator("#voc-subscriptions tbody tr")).to_have_count(1)
    expect(page.locator("#voc-subscriptions")).to_contain_text("waimai-pm@example.cn")
    page.screenshot(path=str(tmp_path / "voc.png"), full_page=True)
    with page.expect_download() as got:
        page.click("#voc-pdf")
    assert got.value.suggested_filename == "voc-waimai-2026-11-23.pdf"
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "建议改进措施" in text and "午高峰加派骑手" in text and "王芳" in text
    watch.assert_clean()
    page.context.close()
