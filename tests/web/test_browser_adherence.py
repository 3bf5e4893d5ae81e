"""The adherence view of the planning page in Debian's Chromium (the set-up of ``test_browser``): a roster
published for yesterday, 张伟 following it and 王芳 logging in an hour late; the supervisor opens /wfm and sees
王芳 out of adherence for that hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.accounts.service import create_user
from kefu.core.context import Actor
from kefu.core.db import session_scope
from kefu.core.settings import get_settings
from kefu.wfm import rosters, state_store
from web.test_browser import PASSWORD, browser, live, sign_in  # noqa: F401  (module fixtures)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def center(live):  # noqa: F811
    tz = get_settings().tz
    now = datetime.now(UTC)
    day = now.astimezone(tz).date() - timedelta(days=1)
    with session_scope(live.factory) as session:
        system = Actor.system(now)
        create_user(session, actor=system, username="adh_planner", password=PASSWORD, role="supervisor",
                    display_name="周主管")
        users = {name: create_user(session, actor=system, username=name, password=PASSWORD, role="agent",
                                   display_name=shown) for name, shown in (("zhangwei", "张伟"), ("wangfang", "王芳"))}
        shift = {"date": day.isoformat(), "start": "09:00", "end": "13:00",
                 "breaks": [{"name": "小休", "start": "11:00", "end": "11:15", "paid": True}]}
        rosters.publish(session, agents=[{"id": "zhangwei", "days": [shift]}, {"id": "wangfang", "days": [shift]}],
                        assign={}, tz=tz, actor_id=None, now=now)

        def at(hhmm):
            h, m = hhmm.split(":")
            return datetime(day.year, day.month, day.day, int(h), int(m), tzinfo=tz)

        for name, events in (("zhangwei", [("ready", "08:58", ""), ("not_ready", "11:00", "小休"),
                                           ("busy", "11:15", ""), ("logged_out", "13:00", "")]),
                             ("wangfang", [("ready", "10:00", ""), ("not_ready", "11:00", "小休"),
                                           ("ready", "11:15", ""), ("logged_out", "13:00", "")])):
            for state, t, why in events:
                state_store.record(session, state_store.Change(user_id=users[name].id, state=state, at=at(t),
                                                               reason=why, source="telephony"), now=now)
    live.day = day
    return live


def test_the_adherence_view_shows_an_agent_out_of_adherence(browser, center, tmp_path):  # noqa: F811
    page, watch = sign_in(browser, center, "adh_planner")
    page.click("nav >> text=计划排班")
    expect(page.locator("#adherence h2")).to_have_text("排班遵从度")
    expect(page.locator("#adherence-empty")).to_be_visible()  # today: nothing published
    page.fill("#adh-from", center.day.isoformat())
    page.fill("#adh-to", center.day.isoformat())
    with page.expect_navigation():
        page.click("#adherence-show")
    late = page.locator("#adherence-table tr[data-agent='王芳']")
    expect(late.locator(".out-minutes")).to_have_text("60")
    expect(late).to_contain_text("75.0%")
    expect(late.locator(".out-spans")).to_contain_text("09:00–10:00 在线接待 → 未登录")
    expect(page.locator("#adherence-table tr[data-agent='张伟']")).to_contain_text("100.0%")
    expect(page.locator("#adherence-table tbody tr").first).to_have_attribute("data-agent", "王芳")  # worst first
    page.screenshot(path=str(tmp_path / "adherence.png"), full_page=True)
    watch.assert_clean()
    page.context.close()
