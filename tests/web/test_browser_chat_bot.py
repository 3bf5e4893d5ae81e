"""The self-service bot inside the chat widget, in Debian's Chromium (the set-up of ``test_browser_chat``: a real
uvicorn server, a shop page on another origin with its own strict CSP). The shop embeds the widget with
``data-bot="on"``: the customer asks the bot in Chinese and gets the help-center article that answers it, then
types 转人工 and reaches the queue; the ready agent gets the chat with the bot conversation as its first message
and suggested articles beside it.

Never run ``playwright install``: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kefu.chat.models import Chat, ChatMessage
from kefu.core.db import session_scope
from kefu.kb.models import BotSession
from web.test_browser import PAGE_TIMEOUT_MS, Watch
from web.test_browser_chat import Live, browser, live, serve_page, staff_page  # noqa: F401  (module fixtures)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
LATE = "外卖配送超时了怎么办?超时赔付说明"


def bot_shop_page(live: Live) -> str:  # noqa: F811
    """The merchant's page: its CSP lets in kefu's script, style, socket and (for the bot) its HTTP API."""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>美味外卖</title>'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; script-src {live.base}; '
            f'style-src {live.base}; connect-src {live.base} ws://127.0.0.1:{live.port}">'
            f'</head><body><h1>美味外卖 · 订单详情</h1>'
            f'<script src="{live.base}/widget.js" data-queue="waimai_chat" data-bot="on"></script></body></html>')


@pytest.fixture(scope="module")
def bot_shop(live):  # noqa: F811
    """The demo knowledge base published, and the shop's site on its own origin."""
    from kefu.kb import demo

    with session_scope(live.factory) as session:
        demo.load(session, now=datetime.now(UTC))
    with serve_page(bot_shop_page(live)) as shop:
        yield shop


def test_the_bot_answers_in_chinese_then_hands_over_to_a_ready_agent_who_sees_suggestions(browser, live, bot_shop):  # noqa: F811
    agent, agent_watch = staff_page(browser, live, "agent")
    agent.click("#btn-ready")
    expect(agent.locator("#presence")).to_have_text("示闲中")

    context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    customer = context.new_page()
    customer_watch = Watch(customer)
    customer.goto(f"{bot_shop}/order/20261204")
    widget = customer.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-name").fill("陈静")
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-log .from-bot").first).to_contain_text("我是智能客服")
    expect(widget.locator(".kw-human")).to_be_visible()

    # a question in Chinese: the bot answers with the article, its snippet and a link to the help center
    widget.locator(".kw-input").fill("外卖超时一个多小时还没送到怎么办")
    widget.locator(".kw-input").press("Enter")
    answer = widget.locator(".kw-article").first
    expect(answer.locator(".kw-article-title")).to_have_text(LATE)
    expect(answer.locator(".kw-snippet")).to_contain_text("赔付")
    href = answer.locator(".kw-article-title").get_attribute("href")
    assert href.startswith(f"{live.base}/help/articles/")
    assert agent.locator(".chat-panel").count() == 0  # nobody is bothered while the bot answers
    customer.screenshot(path="/tmp/kefu-widget-bot.png")

    # a reload while talking to the bot: the conversation so far, and the bot goes on
    customer.reload()
    widget = customer.locator("#kefu-widget")
    expect(widget.locator(".kw-log")).to_contain_text("外卖超时一个多小时还没送到怎么办")
    expect(widget.locator(".kw-log")).to_contain_text(LATE)
    expect(widget.locator(".kw-human")).to_be_visible()

    # 转人工, typed: the widget resumes the handed-over chat and the ready agent takes it
    widget.locator(".kw-input").fill("转人工")
    widget.locator(".kw-input").press("Enter")
    expect(widget.locator(".kw-log")).to_contain_text("正在为您转接人工客服")
    expect(widget.locator(".kw-agent")).to_have_text("客服代表王小明为您服务")
    expect(widget.locator(".kw-human")).to_be_hidden()
    texts = widget.locator(".kw-log .kw-text").all_inner_texts()
    assert texts.count("外卖超时一个多小时还没送到怎么办") == 1  # the bot conversation once, not again as a transcript

    panel = agent.locator(".chat-panel").first
    expect(panel.locator(".chat-customer")).to_have_text("陈静")
    first = panel.locator(".transcript li").first
    expect(first).to_contain_text("【智能客服对话记录】")
    expect(first).to_contain_text("顾客:外卖超时一个多小时还没送到怎么办")
    expect(first).to_contain_text(f"《{LATE}》")
    expect(panel.locator(".chat-kb .kb-suggestions li a").first).to_have_text(LATE)

    # the chat goes on as any other; a new customer message refreshes the suggestions
    expect(panel.locator(".chat-kb")).not_to_contain_text("如何投诉骑手服务态度")
    widget.locator(".kw-input").fill("骑手态度很差,我要投诉骑手")
    widget.locator(".kw-input").press("Enter")
    expect(panel.locator(".transcript")).to_contain_text("我要投诉骑手")
    expect(panel.locator(".chat-kb")).to_contain_text("如何投诉骑手服务态度")

    with session_scope(live.factory) as session:
        bs = session.scalar(select(BotSession).order_by(BotSession.id.desc()))
        assert (bs.status, bs.handoff_reason) == ("handed_off", "asked")
        chat = session.get(Chat, bs.chat_id)
        assert chat.status == "active"
        kinds = list(session.scalars(select(ChatMessage.kind).where(ChatMessage.chat_id == chat.id)
                                     .order_by(ChatMessage.seq)))
        assert "bot_transcript" in kinds

    agent.screenshot(path="/tmp/kefu-chat-bot-workspace.png")
    for watch in (agent_watch, customer_watch):
        watch.assert_clean()
    for page in (agent, customer):
        page.context.close()


def test_kefus_demo_page_embeds_the_widget_with_the_bot_first(browser, live):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live.base}/chat/demo?queue=waimai_chat")
    page.get_by_text("先由智能客服接待").click()
    expect(page.locator(".embed-code")).to_contain_text('data-queue="waimai_chat" data-bot="on"')
    widget = page.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-log .from-bot").first).to_contain_text("我是智能客服")
    expect(widget.locator(".kw-human")).to_have_text("转人工")
    watch.assert_clean()
    context.close()


def test_in_english_the_bot_offers_three_articles_and_hands_over_after_two_unhelpful_answers(browser, live,  # noqa: F811
                                                                                            bot_shop):
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    customer = context.new_page()
    watch = Watch(customer)
    customer.goto(f"{bot_shop}/order/20261205")
    widget = customer.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-lang").click()  # the customer reads English
    widget.locator(".kw-name").fill("Li Lei")
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-log .from-bot").first).to_contain_text("Hello, I am the virtual assistant")
    expect(widget.locator(".kw-human")).to_have_text("Talk to a person")

    def ask(text: str) -> None:
        widget.locator(".kw-input").fill(text)
        widget.locator(".kw-input").press("Enter")

    # a vague question: no article clearly ahead, so the bot offers the top three
    ask("部分退款怎么弄")
    offer = widget.locator(".kw-line.kind-bot-options").last
    expect(offer.locator(".kw-text")).to_have_text("Is your question one of these? Click to read:")
    expect(offer.locator(".kw-article")).to_have_count(3)
    expect(offer.locator(".kw-article-title")).to_contain_text(["外卖订单如何申请退款"])
    expect(offer.locator(".kw-feedback")).to_have_count(0)

    # a clear question answered; 没用 once: the bot asks for other words
    ask("红包怎么用不了")
    answer = widget.locator(".kw-line.kind-bot-answer").last
    expect(answer.locator(".kw-article-title")).to_have_text("红包怎么使用?为什么红包用不了")
    answer.get_by_role("button", name="Not helpful").click()
    expect(widget.locator(".kw-line.kind-bot-retry")).to_contain_text("Sorry that did not help")
    expect(widget.locator(".kw-human")).to_be_visible()

    # a second answer that does not help either: handed over to a person without asking
    ask("外卖超时了")
    answer = widget.locator(".kw-line.kind-bot-answer").last
    expect(answer.locator(".kw-article-title")).to_have_text(LATE)
    answer.get_by_role("button", name="Not helpful").click()
    expect(widget.locator(".kw-log")).to_contain_text(
        "Sorry I could not solve your problem; connecting you to a person")
    expect(widget.locator(".kw-human")).to_be_hidden()

    with session_scope(live.factory) as session:
        bs = session.scalar(select(BotSession).order_by(BotSession.id.desc()))
        assert (bs.status, bs.handoff_reason, bs.failures) == ("handed_off", "failed_twice", 2)
        transcript = session.scalar(select(ChatMessage.body).where(ChatMessage.chat_id == bs.chat_id,
                                                                   ChatMessage.kind == "bot_transcript"))
    assert "顾客:部分退款怎么弄" in transcript and transcript.count("顾客:没用") == 2
    watch.assert_clean()
    context.close()
