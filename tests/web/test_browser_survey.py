"""The customer's survey page from an invitation link in Debian's Chromium (the set-up of ``test_browser``):
opened in English as an English invitation links it, rated by clicking, thanked; the Chinese link in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kefu.contacts.models import Contact
from kefu.contacts.service import ingest
from kefu.core.db import session_scope
from kefu.satisfaction import links
from kefu.satisfaction.models import SatisfactionRating
from web.test_browser import browser, live  # noqa: F401  (module fixtures: a server and a browser)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def _contact(live, call_id: str) -> tuple[int, str]:  # noqa: F811
    now = datetime.now(UTC).replace(microsecond=0)
    at = now - timedelta(minutes=20)
    rec = {"call_id": call_id, "channel": "phone", "customer_phone": "13812345678", "queue": "外卖热线",
           "offered_at": at.isoformat(), "answered_at": (at + timedelta(seconds=9)).isoformat(),
           "ended_at": (at + timedelta(seconds=200)).isoformat(), "outcome": "answered"}
    with session_scope(live.factory) as session:
        ingest(session, [rec], now=now)
        contact_id = session.scalar(select(Contact.id).where(Contact.external_id == call_id))
    return contact_id, links.make_token(contact_id, now=now)


def test_an_english_invitation_link_is_rated_in_english_and_a_chinese_one_in_chinese(
        browser, live, tmp_path):  # noqa: F811
    contact_id, token = _contact(live, "问卷-英文-1")
    context = browser.new_context(locale="en-US")  # no kefu cookie: the link names the language
    page = context.new_page()
    page.goto(f"{live.base}/survey/{token}?lang=en")
    expect(page.locator("h1")).to_have_text("Please rate our service")
    page.get_by_label("Very satisfied").check()
    page.locator("select[name=reason]").select_option(label="Quick response")
    page.locator("textarea[name=comment]").fill("Fast refund, thanks")
    page.screenshot(path=str(tmp_path / "survey-en.png"))
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#survey-thanks")).to_contain_text("Thank you for your rating")
    with session_scope(live.factory) as session:
        row = session.scalar(select(SatisfactionRating).where(SatisfactionRating.contact_id == contact_id))
        assert (row.level, row.reason, row.comment, row.source) == (5, "响应及时", "Fast refund, thanks", "link")
    context.close()

    contact_id, token = _contact(live, "问卷-中文-1")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live.base}/survey/{token}")
    expect(page.locator("h1")).to_have_text("请您对本次服务进行评价")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#survey-thanks")).to_contain_text("感谢您的评价")
    with session_scope(live.factory) as session:
        level = session.scalar(select(SatisfactionRating.level).where(SatisfactionRating.contact_id == contact_id))
        assert level == 2
    context.close()
