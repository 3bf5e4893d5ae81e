"""Online chat in Debian's Chromium (Playwright), two pages against a real uvicorn server with the timer worker
inside: a customer on a third-party shop page (another origin, with its own strict CSP) embeds the widget with one
``<script>`` tag, and an agent works the chat in the workspace. They chat in Chinese; the agent inserts a script
by its shortcut; the etiquette checker warns on 提交 before sending, with the suggested wording; a reload of the
customer's page resumes the chat with every message once; a team lead observes; the agent files a ticket from the
chat; then the customer stays silent and the chat idles to its closing (short idle times set for this test), the
customer rates it 非常满意 and the rating is the contact's satisfaction.

Never run ``playwright install``: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kefu.accounts.service import create_team, create_user
from kefu.app import create_app
from kefu.catalog.service import create_category
from kefu.chat.models import Chat, ChatMessage, ChatQueue
from kefu.contacts.models import Contact
from kefu.core.context import Actor
from kefu.core.db import make_engine, make_sessionmaker, session_scope
from kefu.core.settings import get_settings
from kefu.migrate import upgrade
from kefu.tickets.models import Ticket
from web.test_browser import ARGS, CHROMIUM, PAGE_TIMEOUT_MS, PASSWORD, Watch, browser, serve_app  # noqa: F401  (browser: a module fixture)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
IDLE_PROMPT, IDLE_CLOSE = 8, 4  # seconds, for this test only (defaults 180 and 120); margin for a busy machine
SUGGESTED = "我们会为您反馈给相关人员或相关部门核实确认的"


@dataclass
class Live:
    base: str
    port: int
    factory: object
    shop: str = ""  # the merchant's site: another origin (its own server), same machine


@contextmanager
def serve_page(html: str) -> Iterator[str]:
    """A merchant's site on its own origin: ``html`` at every path, until the block ends; yields its address."""
    body = html.encode()

    class Shop(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    settings = get_settings()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(settings, "chat_idle_prompt_seconds", IDLE_PROMPT)
        mp.setattr(settings, "chat_idle_close_seconds", IDLE_CLOSE)
        mp.setattr(settings, "worker_interval_seconds", 0.5)
        url = f"sqlite:///{tmp_path_factory.mktemp('chat') / 'kefu.db'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as session:
            actor = Actor.system(datetime.now(UTC))
            team = create_team(session, actor=actor, name="在线客服一组")
            agent = create_user(session, actor=actor, username="agent", password=PASSWORD, role="agent",
                                display_name="王小明", team_id=team.id)
            lead = create_user(session, actor=actor, username="lead", password=PASSWORD, role="team_lead",
                               display_name="李组长", team_id=team.id)
            create_user(session, actor=actor, username="agent2", password=PASSWORD, role="agent",
                        display_name="刘洋", team_id=team.id)
            team.leader_id = lead.id
            assert agent.id
            create_category(session, actor=actor, data={"code": "delivery", "name": "配送问题",
                                                         "severity_class": "general"})
            session.add(ChatQueue(code="waimai_chat", name="外卖在线", team_id=team.id, concurrency=3,
                                  is_active=True, created_at=datetime.now(UTC)))
        app = create_app(engine=engine, sessionmaker=factory, run_worker=True)
        with serve_app(app) as port:
            live = Live(base=f"http://127.0.0.1:{port}", port=port, factory=factory)
            with serve_page(shop_page(live)) as shop:
                live.shop = shop
                yield live
        engine.dispose()


def shop_page(live: Live) -> str:
    """A merchant's page on another origin (localhost:another port): its CSP lets in only kefu's script, style and
    socket. (Both on loopback: Chromium refuses a public page's requests to a loopback server.)"""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>美味外卖</title>'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; script-src {live.base}; '
            f'style-src {live.base}; connect-src ws://127.0.0.1:{live.port}">'
            f'</head><body><h1>美味外卖 · 订单详情</h1>'
            f'<script src="{live.base}/widget.js" data-queue="waimai_chat"></script></body></html>')


def customer_page(browser, live: Live):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1000, "height": 800})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live.shop}/order/20261204")
    return page, watch


def staff_page(browser, live: Live, username: str):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live.base}/login?next=/chat/workspace")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation(url=f"{live.base}/chat/workspace"):
        page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("#conn-state")).to_have_text("已连接")
    return page, watch


def test_a_customer_and_an_agent_chat_in_chinese_until_it_idles_out_and_is_rated(browser, live):  # noqa: F811
    agent, agent_watch = staff_page(browser, live, "agent")
    agent.click("#btn-ready")
    expect(agent.locator("#presence")).to_have_text("示闲中")

    # the customer opens the widget on the shop's page and starts a chat
    customer, customer_watch = customer_page(browser, live)
    widget = customer.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-name").fill("张伟")
    widget.locator(".kw-phone").fill("13812345678")
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-agent")).to_have_text("客服代表王小明为您服务")
    widget.locator(".kw-input").fill("你好,我的外卖超时一个小时还没送到")
    widget.locator(".kw-input").press("Enter")

    panel = agent.locator(".chat-panel").first
    expect(panel.locator(".chat-customer")).to_have_text("张伟")
    expect(panel.locator(".transcript")).to_contain_text("我的外卖超时一个小时还没送到")
    expect(panel.locator(".chat-context .ctx-phone")).to_have_text("138****5678")  # masked

    # the agent's shortcut becomes the online opening, filled in for this agent
    reply = panel.locator(".reply")
    reply.click()
    reply.press_sequentially("/kcz")
    expect(reply).to_have_value("您好,客服中心很高兴为您服务,我是客服代表王小明,请问有什么可以帮您?")
    panel.locator(".send").click()
    expect(widget.locator(".kw-log")).to_contain_text("我是客服代表王小明")

    # typing shows on the other side
    widget.locator(".kw-input").press_sequentially("订单号")
    expect(panel.locator(".typing")).to_be_visible()
    widget.locator(".kw-input").fill("订单号是20261204")
    widget.locator(".kw-input").press("Enter")
    expect(panel.locator(".transcript")).to_contain_text("订单号是20261204")

    # a reload resumes the chat from the visitor token: every message once, in order
    customer.reload()
    widget = customer.locator("#kefu-widget")
    expect(widget.locator(".kw-log")).to_contain_text("订单号是20261204")
    lines = widget.locator(".kw-log .kw-text").all_inner_texts()
    assert lines.count("你好,我的外卖超时一个小时还没送到") == 1 and lines.count("订单号是20261204") == 1
    assert lines.index("你好,我的外卖超时一个小时还没送到") < lines.index("订单号是20261204")

    # the team lead observes the chat, read-only
    lead, lead_watch = staff_page(browser, live, "lead")
    lead.click("#observe summary")
    lead.locator("[data-observe]").first.click()
    observed = lead.locator(".chat-panel").first
    expect(observed.locator(".transcript")).to_contain_text("订单号是20261204")
    expect(observed.locator(".chat-state")).to_have_text("观察中(只读)")
    expect(observed.locator(".compose")).to_be_hidden()

    # a ticket from the chat, with the conversation as its description
    context = panel.locator(".chat-context")
    context.locator("input[name=subject]").fill("外卖超时一小时未送达")
    context.locator("select[name=category_id]").select_option(label="配送问题")
    context.locator(".ticket-create button[type=submit]").click()
    expect(context.locator(".chat-ticket")).to_contain_text("外卖超时一小时未送达")

    # the checker warns on 提交 while typing, with the wording to use instead; sent anyway, it is a warning
    reply.fill("好的,我们会帮您提交给配送部门处理")
    reply.press("End")
    reply.press_sequentially("。")
    checks = panel.locator(".checks")
    expect(checks).to_contain_text("提交")
    expect(checks.locator(".suggestion")).to_contain_text(SUGGESTED)
    expect(widget.locator(".kw-typing")).to_be_visible()  # the customer sees the agent typing
    expect(panel.locator(".send")).to_be_enabled()
    panel.locator(".send").click()
    expect(checks).to_contain_text("已发送,但有礼仪提示")
    expect(widget.locator(".kw-log")).to_contain_text("我们会帮您提交给配送部门处理")

    # a blocking violation cannot be sent: another customer's phone number
    reply.fill("您可以直接联系骑手,电话13900001111")
    expect(panel.locator(".checks.blocking")).to_be_visible()
    expect(panel.locator(".send")).to_be_disabled()
    reply.fill("")

    # silence: the idle prompt, then the closing, then the rating
    expect(widget.locator(".kw-log")).to_contain_text("请问您还有其他问题吗?您还在电脑边吗?")
    expect(widget.locator(".kw-log")).to_contain_text("由于您长时间没有回复,本次会话将结束")
    expect(widget.locator(".kw-rate")).to_be_visible()
    expect(panel.locator(".chat-state")).to_have_text("会话已结束")
    widget.locator(".kw-score[data-score='5']").click()
    expect(widget.locator(".kw-done")).to_contain_text("感谢您的评价")
    assert "13900001111" not in widget.locator(".kw-log").inner_text()

    with session_scope(live.factory) as session:
        chat = session.scalar(select(Chat))
        assert (chat.status, chat.end_reason, chat.rating) == ("ended", "idle", 5)
        assert session.get(Contact, chat.contact_id).satisfaction == 5
        ticket = session.get(Ticket, chat.ticket_id)
        assert ticket.subject == "外卖超时一小时未送达" and "订单号是20261204" in ticket.description
        warned = session.scalar(select(ChatMessage).where(ChatMessage.body.contains("提交")))
        assert [v["rule"] for v in warned.violations] == ["forbidden_wording"]
        assert session.scalar(select(ChatMessage).where(ChatMessage.body.contains("13900001111"))) is None

    agent.screenshot(path="/tmp/kefu-chat-workspace.png", full_page=True)
    customer.screenshot(path="/tmp/kefu-chat-widget.png")
    for watch in (agent_watch, customer_watch, lead_watch):
        watch.assert_clean()
    for page in (agent, customer, lead):
        page.context.close()


def test_with_no_agent_ready_the_customer_leaves_a_message_in_english(browser, live):  # noqa: F811
    """Nobody is ready: the widget offers 留言; the customer switches to English and leaves one with a phone
    number, which becomes a ticket with a callback."""
    customer, watch = customer_page(browser, live)
    widget = customer.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-lang").click()
    expect(widget.locator(".kw-start-button")).to_have_text("Start chat")
    widget.locator(".kw-name").fill("李娜")
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-log")).to_contain_text("you can leave a message")  # kefu's notice, in English
    assert "您可以留言" not in widget.locator(".kw-log").inner_text()
    expect(widget.locator(".kw-status")).to_contain_text("in the queue")
    widget.locator(".kw-leave-open").click()
    widget.locator(".kw-leave-text").fill("晚上八点前请回电,订单20261204的餐品少了一份")
    widget.locator(".kw-leave-phone").fill("13700001234")
    widget.locator(".kw-leave-time").fill("今晚八点前")
    widget.locator(".kw-leave-send").click()
    expect(widget.locator(".kw-done")).to_contain_text("Message received (ticket #")
    with session_scope(live.factory) as session:
        chat = session.scalars(select(Chat).order_by(Chat.id.desc())).first()
        assert chat.status == "left_message"
        ticket = session.get(Ticket, chat.ticket_id)
        assert "餐品少了一份" in ticket.description and ticket.channel == "chat"
    # a new chat starts from a clean slate
    widget.locator(".kw-again").click()
    expect(widget.locator(".kw-start-button")).to_be_visible()
    expect(widget.locator(".kw-log .kw-line")).to_have_count(0)
    watch.assert_clean()
    customer.context.close()


def test_kefus_own_demo_page_embeds_the_widget_under_kefus_strict_csp(browser, live):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live.base}/chat/demo")
    expect(page.locator(".embed-code")).to_contain_text('data-queue="waimai_chat"')
    widget = page.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    expect(widget.locator(".kw-start-button")).to_have_text("开始咨询")
    # the stylesheet came from kefu into the shadow root: the panel is laid out as a fixed box, not inline text
    assert widget.locator(".kw-panel").evaluate("el => getComputedStyle(el).position") == "fixed"
    watch.assert_clean()  # no CSP refusal, no script error
    context.close()


def test_an_agent_transfers_a_chat_to_a_ready_colleague_who_ends_it(browser, live):  # noqa: F811
    from kefu.accounts.models import User

    with session_scope(live.factory) as session:
        liu = session.scalar(select(User.id).where(User.username == "agent2"))
    wang, wang_watch = staff_page(browser, live, "agent")
    wang.click("#btn-ready")
    expect(wang.locator("#presence")).to_have_text("示闲中")
    customer, customer_watch = customer_page(browser, live)
    widget = customer.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-name").fill("赵敏")
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-agent")).to_have_text("客服代表王小明为您服务")
    widget.locator(".kw-input").fill("我想修改到家服务的预约时间")
    widget.locator(".kw-input").press("Enter")

    liu_page, liu_watch = staff_page(browser, live, "agent2")
    liu_page.click("#btn-ready")
    expect(liu_page.locator("#presence")).to_have_text("示闲中")
    panel = wang.locator(".chat-panel").first
    expect(panel.locator(".transcript")).to_contain_text("修改到家服务的预约时间")
    panel.locator(".transfer-to").select_option(f"agent:{liu}")
    panel.locator(".transfer").click()
    expect(panel.locator(".chat-state")).to_have_text("会话已转出")
    expect(panel.locator(".compose")).to_be_hidden()

    theirs = liu_page.locator(".chat-panel").first
    expect(theirs.locator(".chat-customer")).to_have_text("赵敏")
    expect(theirs.locator(".transcript")).to_contain_text("修改到家服务的预约时间")  # the chat so far
    expect(widget.locator(".kw-agent")).to_have_text("客服代表刘洋为您服务")
    theirs.locator(".end").click()
    theirs.locator(".end").click()  # the second click confirms
    expect(theirs.locator(".chat-state")).to_have_text("会话已结束")
    expect(widget.locator(".kw-rate")).to_be_visible()
    expect(widget.locator(".kw-log")).to_contain_text("感谢您的支持和配合")
    for watch in (wang_watch, liu_watch, customer_watch):
        watch.assert_clean()
    for page in (wang, liu_page, customer):
        page.context.close()
