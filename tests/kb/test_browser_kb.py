"""In Debian's Chromium (the set-up of ``tests/web/test_browser``): an agent sees suggested articles on the
ticket page; a customer searches the help center and marks an article useful."""

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


@pytest.fixture(scope="module")
def kb_loaded(live):  # noqa: F811
    from kefu.catalog.models import BusinessLine, Category
    from kefu.chat.models import ChatQueue
    from kefu.kb import demo

    with session_scope(live.factory) as session:
        demo.load(session, now=datetime.now(UTC))
        session.add_all([BusinessLine(code="waimai", name="外卖"), BusinessLine(code="reading", name="阅读")])
        session.add(Category(code="refund", name="退款问题", severity_class="general"))
        session.add(ChatQueue(code="kb_help", name="帮助中心在线", concurrency=3, is_active=True,
                              created_at=datetime.now(UTC)))
    return live


def _ticket(live) -> int:  # noqa: F811
    from sqlalchemy import select

    with session_scope(live.factory) as session:
        agent = session.scalar(select(User).where(User.username == "agent"))
        actor = Actor(user_id=agent.id, username=agent.username, role=agent.role, team_id=agent.team_id,
                      now=datetime.now(UTC), display_name=agent.display_name)
        return tickets.create_ticket(session, actor=actor, data={
            "subject": "顾客反映外卖少送了一份米饭", "description": "要求退还米饭的钱",
            "customer_id": live.ids["zhang"]}).id


def test_agent_sees_suggestions_on_the_ticket_page(browser, kb_loaded):  # noqa: F811
    ticket_id = _ticket(kb_loaded)
    page, watch = sign_in(browser, kb_loaded, "agent")
    page.goto(f"{kb_loaded.base}/tickets/{ticket_id}")
    first = page.locator("#kb-suggestions li a").first
    expect(first).to_have_text("外卖少送、漏送餐品怎么处理")
    expect(page.locator("#kb-suggestions mark").first).to_be_visible()
    watch.assert_clean()
    page.context.close()


def test_customer_searches_the_help_center(browser, kb_loaded):  # noqa: F811
    page = browser.new_page()
    page.goto(f"{kb_loaded.base}/help")
    page.fill("input[name=q]", "推款几天到帐")
    with page.expect_navigation():
        page.click("form[role=search] button[type=submit]")
    expect(page.locator("#help-results")).to_contain_text("退款多久到账")
    expect(page.locator("#help-results")).not_to_contain_text("【内部】")
    with page.expect_navigation():
        page.click("#help-results a >> nth=0")
    with page.expect_navigation():
        page.click("#help-feedback button[value='1']")
    expect(page.locator("#help-feedback")).to_contain_text("感谢您的反馈")
    page.context.close()


def test_agent_writes_with_a_live_preview_and_a_lead_publishes(browser, kb_loaded):  # noqa: F811
    from sqlalchemy import select

    page, watch = sign_in(browser, kb_loaded, "agent")
    page.goto(f"{kb_loaded.base}/kb/new")
    page.fill("input[name=title]", "骑手App如何申请转单")
    page.fill("input[name=tags]", "骑手,转单")
    page.select_option("select[name=business_line]", label="外卖")
    page.select_option("select[name=category_ids]", label=["配送问题", "退款问题"])
    page.locator("#kb-body").press_sequentially("## 步骤\n1. 打开**订单**页")
    expect(page.locator("#kb-preview strong")).to_have_text("订单")  # rendered as the agent types
    with page.expect_navigation():
        page.click(".kb-form button[type=submit]")
    expect(page.locator("#kb-status")).to_have_text("草稿")
    expect(page.locator("select[name=business_line] option:checked")).to_have_text("外卖")
    expect(page.locator("select[name=category_ids] option:checked")).to_have_text(["退款问题", "配送问题"])
    # one category taken off and the business line changed: the article keeps exactly what the form shows
    page.select_option("select[name=category_ids]", label=["退款问题"])
    page.select_option("select[name=business_line]", label="阅读")
    with page.expect_navigation():
        page.click(".kb-form button[type=submit]")
    expect(page.locator("select[name=category_ids] option:checked")).to_have_text(["退款问题"])
    article_id = int(page.url.rsplit("/", 1)[1])
    with session_scope(kb_loaded.factory) as session:
        from kefu.catalog.models import Category
        from kefu.kb.models import Article

        article = session.get(Article, article_id)
        refund = session.scalar(select(Category.id).where(Category.code == "refund"))
        assert (article.business_line, article.category_ids) == ("reading", [refund])
    expect(page.locator("#kb-versions")).to_contain_text("business_line")
    with page.expect_navigation():
        page.click("#kb-workflow button:has-text('提交审核')")
    expect(page.locator("#kb-status")).to_have_text("待审核")
    url = page.url
    watch.assert_clean()
    page.context.close()
    lead, lead_watch = sign_in(browser, kb_loaded, "lead")
    lead.goto(url)
    with lead.expect_navigation():
        lead.click("#kb-workflow button:has-text('发布')")
    expect(lead.locator("#kb-status")).to_have_text("已发布")
    expect(lead.locator("#kb-versions li")).to_have_count(4)
    lead.goto(f"{kb_loaded.base}/kb?q=骑手怎么转单")
    expect(lead.locator("#kb-results h3 a").first).to_have_text("骑手App如何申请转单")
    lead_watch.assert_clean()
    lead.context.close()


def test_customer_asks_the_bot_then_reaches_the_queue(browser, kb_loaded):  # noqa: F811
    from sqlalchemy import select

    from kefu.chat.models import Chat, ChatMessage

    page = browser.new_page()
    page.goto(f"{kb_loaded.base}/help")
    page.fill("#bot-form input[name=text]", "红包怎么用不了")
    page.click("#bot-form button[type=submit]")
    expect(page.locator("#bot-log a.bot-article").first).to_have_text("红包怎么使用?为什么红包用不了")
    page.fill("#bot-form input[name=text]", "转人工")
    page.click("#bot-form button[type=submit]")
    expect(page.locator("#bot-log")).to_contain_text("您已进入人工客服排队")
    chat_id = int(page.locator("#bot").get_attribute("data-chat"))
    with session_scope(kb_loaded.factory) as session:
        assert session.get(Chat, chat_id).status == "waiting"
        transcript = session.scalar(select(ChatMessage.body).where(ChatMessage.chat_id == chat_id,
                                                                  ChatMessage.kind == "bot_transcript"))
    assert "顾客:红包怎么用不了" in transcript and "顾客:转人工" in transcript
    page.context.close()
