"""Alerts live on the team leader's page, in Debian's Chromium (the set-up of ``test_browser``): contacts
arrive while the page is open and the alert shows up in the list and the top bar without a reload; the
leader acknowledges it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.catalog.service import create_category
from kefu.contacts.service import ingest
from kefu.core.context import Actor
from kefu.core.db import session_scope
from web.test_browser import browser, live, sign_in  # noqa: F401  (module fixtures: a server and a browser)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def test_a_spike_appears_on_the_leaders_page_without_a_reload(browser, live):  # noqa: F811
    now = datetime.now(UTC)
    with session_scope(live.factory) as session:
        create_category(session, actor=Actor.system(now),
                        data={"code": "reading.login", "name": "登录访问", "severity_class": "severe"})
    page, watch = sign_in(browser, live, "lead")
    page.goto(f"{live.base}/alerts")
    expect(page.locator("#alerts-live")).to_contain_text("当前没有预警")
    records = [{"call_id": f"浏览器-{i}", "channel": "phone", "category": "reading.login",
                "customer_phone": "13812345678", "offered_at": (now + timedelta(seconds=i)).isoformat(),
                "outcome": "abandoned"} for i in range(6)]
    with session_scope(live.factory) as session:
        assert ingest(session, records, now=now).created == 6
    row = page.locator("#alerts-live tr", has_text="登录访问")
    expect(row).to_contain_text("一级")  # the list polls every 5 s
    expect(row).to_contain_text("30m · 6")
    expect(page.locator("#alerts-badge")).to_have_text("1")  # the top bar, every 10 s
    with page.expect_navigation():
        row.locator("button", has_text="确认").click()
    expect(page.locator("#alerts-live tr", has_text="登录访问")).to_contain_text("已确认")
    watch.assert_clean()
    page.context.close()
