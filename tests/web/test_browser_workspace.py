"""The agent workspace in Debian's Chromium (Playwright) when the world changed while the page was not looking:

- the transfer list shows each colleague's presence as it is when the agent opens it, not as the page loaded;
- an agent whose connection is gone past the disconnect grace comes back to a workspace that knows their chats
  went back to the queue: the stale panel stops taking replies, what was typed meanwhile is marked not sent, and
  the seat shows 未就绪 (the agent's socket is cut and held down through Playwright's WebSocket routing; the grace
  timer is fired with a clock past it, as the timer worker would).

Never run ``playwright install``: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from kefu.accounts.models import User
from kefu.accounts.service import create_team, create_user
from kefu.chat import service as chat_service
from kefu.chat.models import AgentPresence, Chat, ChatQueue
from kefu.core.clock import FrozenClock
from kefu.core.context import Actor
from kefu.core.db import session_scope
from kefu.core.settings import get_settings
from kefu.timers.service import run_due
from web.test_browser import PAGE_TIMEOUT_MS, PASSWORD, Live, browser, live_center, sign_in  # noqa: F401  (browser: a module fixture)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
WAIT = 60  # seconds: a hang guard while the server notices a closed socket, not a timing assertion


def _seed(session) -> None:
    now = datetime.now(UTC)
    actor = Actor.system(now)
    team = create_team(session, actor=actor, name="在线客服一组")
    for username, name in (("agent", "王小明"), ("agent2", "刘洋")):
        create_user(session, actor=actor, username=username, password=PASSWORD, role="agent",
                    display_name=name, team_id=team.id)
    session.add(ChatQueue(code="waimai_chat", name="外卖在线", team_id=team.id, concurrency=3, is_active=True,
                          created_at=now))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """王小明 and 刘洋 on 在线客服一组 with the 外卖在线 queue; no timer worker: the test fires timers itself."""
    with live_center(tmp_path_factory, "workspace", _seed) as center:
        yield center


class Line:
    """The agent page's socket, routed through Playwright: ``cut()`` closes it on both sides and refuses the
    page's attempts to reconnect until ``mend()``."""

    def __init__(self) -> None:
        self.up, self.open = True, []

    def route(self, ws) -> None:
        if not self.up:
            ws.close()
            return
        self.open.append((ws, ws.connect_to_server()))

    def cut(self) -> None:
        self.up = False
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close()
        self.open = []

    def mend(self) -> None:
        self.up = True


def workspace(browser, live: Live, line: Line | None = None):  # noqa: F811
    page, watch = sign_in(browser, live, "agent")
    if line is not None:
        page.route_web_socket(re.compile(r"/ws/chat/agent$"), line.route)
    page.goto(f"{live.base}/chat/workspace")
    expect(page.locator("#conn-state")).to_have_text("已连接")
    page.click("#btn-ready")
    expect(page.locator("#presence")).to_have_text("示闲中")
    return page, watch


def customer_chat(browser, live: Live, name: str, phone: str, text: str):  # noqa: F811
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live.base}/chat/demo?queue=waimai_chat")
    widget = page.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-name").fill(name)
    widget.locator(".kw-phone").fill(phone)
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-agent")).to_have_text("客服代表王小明为您服务")
    widget.locator(".kw-input").fill(text)
    widget.locator(".kw-input").press("Enter")
    return page, widget


def _set_presence(live: Live, username: str, status: str) -> None:
    with session_scope(live.factory) as session:
        user = session.query(User).filter_by(username=username).one()
        now = datetime.now(UTC)
        if status == "ready":
            chat_service.set_ready(session, user=user, now=now)
        else:
            chat_service.set_away(session, user=user, now=now)


def test_the_transfer_list_shows_colleagues_as_they_are_when_it_is_opened(browser, live):  # noqa: F811
    agent, watch = workspace(browser, live)
    customer, _widget = customer_chat(browser, live, "张伟", "13812345678", "我想换一个客服")
    panel = agent.locator(".chat-panel").first
    expect(panel.locator(".transcript")).to_contain_text("我想换一个客服")
    targets = panel.locator(".transfer-to")
    expect(targets.locator("option[value^='agent:']")).to_have_text(["刘洋 · 未就绪"])

    _set_presence(live, "agent2", "ready")  # 刘洋 signs on elsewhere after the page loaded
    targets.focus()
    expect(targets.locator("option[value^='agent:']")).to_have_text(["刘洋 · 示闲中"])
    targets.select_option(label="刘洋 · 示闲中")
    _set_presence(live, "agent2", "away")
    targets.click()  # opened again (still focused): 刘洋 is away now, and the choice made is kept
    agent.keyboard.press("Escape")
    expect(targets.locator("option[value^='agent:']")).to_have_text(["刘洋 · 示忙中"])
    expect(targets).to_have_value(re.compile(r"^agent:\d+$"))
    expect(targets.locator("optgroup").last).to_contain_text("在线客服一组")

    panel.locator(".end").click()
    panel.locator(".end").click()  # confirmed
    expect(panel.locator(".chat-state")).to_have_text("会话已结束")
    watch.assert_clean()
    agent.context.close()
    customer.context.close()


def _until_disconnected(live: Live) -> datetime:
    deadline = time.monotonic() + WAIT
    while True:
        with session_scope(live.factory) as session:
            user = session.query(User).filter_by(username="agent").one()
            row = session.get(AgentPresence, user.id)
            if row is not None and row.disconnected_at is not None:
                return row.disconnected_at
        assert time.monotonic() < deadline, "the server never noticed the agent's socket closing"
        time.sleep(0.05)


def test_a_chat_requeued_past_the_grace_leaves_no_live_panel_behind(browser, live):  # noqa: F811
    _set_presence(live, "agent2", "away")  # only 王小明 takes customers
    line = Line()
    agent, watch = workspace(browser, live, line)
    customer, widget = customer_chat(browser, live, "王芳", "13998765432", "书币充值没到账")
    panel = agent.locator(".chat-panel").first
    expect(panel.locator(".transcript")).to_contain_text("书币充值没到账")

    line.cut()  # the agent's network goes away
    expect(agent.locator("#conn-state")).to_have_text("连接已断开,正在重连…")
    panel.locator(".reply").fill("请稍等,我帮您查询一下")
    panel.locator(".send").click()
    expect(panel.locator("li.pending")).to_have_count(1)
    since = _until_disconnected(live)
    grace = get_settings().chat_disconnect_grace_seconds
    run_due(live.factory, FrozenClock(since + timedelta(seconds=grace + 1)))  # the grace is over
    with session_scope(live.factory) as session:
        chat_id = int(panel.get_attribute("data-chat-id"))
        chat = session.get(Chat, chat_id)
        assert chat.status == "waiting" and chat.agent_id is None and chat.front
    expect(widget.locator(".kw-status")).to_contain_text("正在排队,您是第 1 位")  # back in front of the queue

    line.mend()  # the network is back: the workspace reconnects, resuming the chat it still shows
    expect(agent.locator("#conn-state")).to_have_text("已连接")
    expect(panel.locator(".chat-state")).to_have_text("会话已转出")
    expect(panel.locator(".compose")).to_be_hidden()
    expect(panel.locator(".chat-close")).to_be_visible()
    expect(panel.locator("li.failed")).to_contain_text("未发出")
    expect(agent.locator("#presence")).to_have_text("未就绪")
    expect(agent.locator("#ws-error")).to_be_hidden()
    assert "请稍等,我帮您查询一下" not in widget.locator(".kw-log").inner_text()

    agent.click("#btn-ready")  # back on the seat: the customer put back in front comes to them again
    expect(agent.locator(".chat-panel")).to_have_count(1)  # the same chat, its panel live again
    expect(widget.locator(".kw-agent")).to_have_text("客服代表王小明为您服务")
    watch.assert_clean()
    agent.context.close()
    customer.context.close()


def test_a_customer_in_english_gets_the_bot_and_the_chat_notices_in_english(browser, live):  # noqa: F811
    """The widget switched to English: the bot's own lines, the handover, the agent's notice, a transfer and the
    queue position are English; what the agent writes is shown as written."""
    _set_presence(live, "agent2", "away")
    agent, watch = workspace(browser, live)
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    customer = context.new_page()
    customer.goto(f"{live.base}/chat/demo?queue=waimai_chat&bot=true")
    widget = customer.locator("#kefu-widget")
    widget.locator(".kw-launcher").click()
    widget.locator(".kw-lang").click()
    expect(widget.locator(".kw-start-button")).to_have_text("Start chat")
    widget.locator(".kw-name").fill("陈静")
    widget.locator(".kw-start-button").click()
    expect(widget.locator(".kw-log .from-bot").first).to_have_text(re.compile("I am the virtual assistant"))
    widget.locator(".kw-input").fill("转人工")
    widget.locator(".kw-input").press("Enter")
    expect(widget.locator(".kw-log")).to_contain_text("Connecting you to a person; please wait.")
    expect(widget.locator(".kw-agent")).to_have_text("王小明 is serving you")

    panel = agent.locator(".chat-panel", has_text="陈静")
    panel.locator(".reply").fill("您好,客服中心很高兴为您服务,我是客服代表王小明,请问有什么可以帮您?")
    panel.locator(".send").click()
    expect(widget.locator(".kw-log")).to_contain_text("我是客服代表王小明")  # the agent's words, as written
    agent.click("#btn-away")
    expect(agent.locator("#presence")).to_have_text("示忙中")
    panel.locator(".transfer-to").select_option(label="在线客服一组")
    panel.locator(".transfer").click()
    expect(widget.locator(".kw-status")).to_have_text("You are number 1 in the queue, please wait")
    system = widget.locator(".kw-log .from-system .kw-text")
    expect(system).to_have_text(["王小明 is serving you", "Transferring you to 在线客服一组, please wait."])
    bot = widget.locator(".kw-log .from-bot .kw-text").all_inner_texts()
    assert not [text for text in bot if "转接" in text or "智能客服" in text], bot

    widget.locator(".kw-lang").click()  # back to Chinese: kefu's own words again
    expect(system).to_have_text(["客服代表王小明为您服务", "正在为您转接至在线客服一组,请您稍等。"])
    watch.assert_clean()
    agent.context.close()
    context.close()
