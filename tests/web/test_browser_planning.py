"""The planning page in Debian's Chromium (the set-up of ``test_browser``): a supervisor opens /wfm on a
center with a simulated history of 外卖热线, sees the charts drawn, raises the AHT and sees the requirement
go up, builds the week's schedule and reads the roster."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.accounts.models import User
from kefu.accounts.service import create_user
from kefu.core.context import Actor
from kefu.core.db import session_scope
from web.test_browser import PASSWORD, browser, live, sign_in  # noqa: F401  (module fixtures)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PAINTED = """c => {
  const g = c.getContext('2d'), d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
}"""


@pytest.fixture(scope="module")
def center(live):  # noqa: F811
    from datetime import UTC, datetime

    from tests.wfm.history import SHANGHAI, add_history

    with session_scope(live.factory) as session:
        if session.scalar(select(User).where(User.username == "planner")) is None:
            create_user(session, actor=Actor.system(datetime.now(UTC)), username="planner", password=PASSWORD,
                        role="supervisor", display_name="周主管")
        add_history(session, datetime.now(SHANGHAI).date(), days=35, daily=300)
    return live


def _number(page, ident: str) -> float:
    return float(page.locator(f"#{ident}").inner_text())


def test_supervisor_plans_a_week_of_the_hotline(browser, center, tmp_path):  # noqa: F811
    page, watch = sign_in(browser, center, "planner")
    page.click("nav >> text=计划排班")
    expect(page.locator("#queue")).to_have_value("外卖热线")
    for chart in ("forecast", "requirement"):
        canvas = page.locator(f"#chart-{chart}")
        expect(canvas).to_have_attribute("data-drawn", "2")  # two series each
        assert canvas.evaluate(PAINTED) > 1000, f"the {chart} chart is blank"
    before = _number(page, "req-raw-hours")
    peak = _number(page, "req-peak")
    page.fill("#in-aht", "480")
    with page.expect_navigation():
        page.click("#recompute")
    expect(page.locator("#in-aht")).to_have_value("480")
    assert _number(page, "req-raw-hours") > before and _number(page, "req-peak") > peak
    waiting = _number(page, "req-raw-hours")
    page.fill("#in-patience", "30")  # callers hang up after 30 s on average: Erlang A needs fewer agents
    with page.expect_navigation():
        page.click("#recompute")
    expect(page.locator("#in-patience")).to_have_value("30")
    assert _number(page, "req-raw-hours") < waiting
    page.fill("#in-patience", "")  # back to Erlang C for the schedule below
    with page.expect_navigation():
        page.click("#recompute")
    assert _number(page, "req-raw-hours") == waiting
    page.fill("#in-agents", "16")
    with page.expect_navigation(timeout=150_000):
        page.click("#build-schedule")
    roster = page.locator("#roster tbody tr")
    expect(roster).to_have_count(16)
    expect(page.locator("#roster")).to_contain_text("全天班")
    expect(page.locator("#roster")).to_contain_text("午餐")
    coverage = page.locator("#chart-coverage")
    expect(coverage).to_have_attribute("data-drawn", "2")
    assert coverage.evaluate(PAINTED) > 1000
    expect(page.locator("#in-aht")).to_have_value("480")  # the schedule covers the what-if requirement
    shot = tmp_path / "planning.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    watch.assert_clean()
    page.context.close()
