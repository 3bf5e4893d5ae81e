"""The script shortcut on the ticket page, in Debian's Chromium (the set-up of ``test_browser``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.accounts.models import User
from kefu.core.context import Actor
from kefu.core.db import session_scope
from kefu.tickets import service as tickets
from web.test_browser import browser, live, sign_in  # noqa: F401  (module fixtures: a server and a browser)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def _ticket(live) -> int:  # noqa: F811
    from sqlalchemy import select

    with session_scope(live.factory) as session:
        agent = session.scalar(select(User).where(User.username == "agent"))
        actor = Actor(user_id=agent.id, username=agent.username, role=agent.role, team_id=agent.team_id,
                      now=datetime.now(UTC), display_name=agent.display_name)
        ticket = tickets.create_ticket(session, actor=actor, data={
            "subject": "骑手未按时送达", "description": "顾客来电询问外卖进度", "customer_id": live.ids["zhang"]})
        return ticket.id


def test_agent_types_the_opening_shortcut_and_sends_it(browser, live):  # noqa: F811
    ticket_id = _ticket(live)
    page, watch = sign_in(browser, live, "agent")
    page.goto(f"{live.base}/tickets/{ticket_id}")
    box = page.locator("#reply-body")
    box.click()
    box.press_sequentially("/kc ")
    opening = "您好!欢迎致电客服中心,我是客服代表王小明,很高兴为您服务,请问有什么可以帮到您?"
    expect(box).to_have_value(opening)
    thanks = page.locator("#script-menu option[data-shortcut='/gx']").get_attribute("value")
    page.select_option("#script-menu", thanks)  # the after-hold thanks, from the menu
    expect(box).to_have_value(opening + "您,感谢您的耐心等待。")
    with page.expect_navigation():
        page.click("#reply button[type=submit]")
    expect(page.locator("#history")).to_contain_text(opening)
    watch.assert_clean()
    page.context.close()
