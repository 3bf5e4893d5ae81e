"""质检 in Debian's Chromium (Playwright): a QA reviewer opens /qa from the nav, filters the etiquette warnings by
the rule 禁用语 (forbidden_wording), sees the counts, and opens the chat's transcript with 提交 highlighted, the
suggested wording beside it and the customer's phone masked.

Never run ``playwright install``: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.accounts.service import create_team, create_user
from kefu.chat import service as chat_service
from kefu.chat.models import ChatQueue
from kefu.core.context import Actor
from web.test_browser import PASSWORD, Live, browser, live_center, sign_in  # noqa: F401  (browser: a module fixture)

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
SUGGESTED = "我们会为您反馈给相关人员或相关部门核实确认的"


def _seed(session) -> dict:
    """王小明 writes 提交 to 张伟 and 刘洋 shouts at 王芳 (two exclamation marks), both in 外卖在线."""
    now = datetime.now(UTC)
    actor = Actor.system(now)
    team = create_team(session, actor=actor, name="在线客服一组")
    create_user(session, actor=actor, username="zhou", password=PASSWORD, role="qa", display_name="周质检")
    session.add(ChatQueue(code="waimai_chat", name="外卖在线", team_id=team.id, concurrency=3, is_active=True,
                          created_at=now))
    session.flush()
    contacts = {}
    for username, name, customer, phone, answer in (
            ("agent", "王小明", "张伟", "13812345678", "好的,我帮您提交给站点核实"),
            ("agent2", "刘洋", "王芳", "13998765432", "请您稍等!!")):
        agent = create_user(session, actor=actor, username=username, password=PASSWORD, role="agent",
                            display_name=name, team_id=team.id)
        chat_service.set_ready(session, user=agent, now=now)
        chat = chat_service.start_chat(session, now=now, queue_code="waimai_chat", name=customer, phone=phone)
        chat_service.customer_message(session, chat=chat, body=f"外卖超时了,我的电话是{phone}", now=now,
                                      client_msg_id="c-1")
        chat_service.agent_message(session, chat=chat, agent=agent, now=now, client_msg_id="a-1",
                                   body=f"您好,客服中心很高兴为您服务,我是客服代表{name},请问有什么可以帮您?")
        chat_service.agent_message(session, chat=chat, agent=agent, now=now, client_msg_id="a-2", body=answer)
        chat_service.set_away(session, user=agent, now=now)
        contacts[username] = chat.contact_id
    return contacts


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with live_center(tmp_path_factory, "qa", _seed) as center:
        yield center


def test_qa_filters_forbidden_wording_and_opens_the_transcript_with_the_words_marked(browser, live):  # noqa: F811
    page, watch = sign_in(browser, live, "zhou")
    page.click("header nav >> text=质检")
    expect(page.locator("h1")).to_have_text("会话质检")
    expect(page.locator("#qa-violations tbody tr")).to_have_count(2)
    expect(page.locator("#qa-by-rule")).to_contain_text("多个感叹号")

    page.select_option("#qa-filters select[name=rule]", "forbidden_wording")
    page.click("#qa-filters button[type=submit]")
    rows = page.locator("#qa-violations tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("王小明")
    expect(rows.first.locator("mark")).to_have_text("提交")
    expect(rows.first).to_contain_text(SUGGESTED)
    expect(page.locator("#qa-count")).to_have_text("共 1 条违规")
    expect(page.locator("#qa-by-agent")).to_contain_text("王小明")
    expect(page.locator("#qa-by-agent")).not_to_contain_text("刘洋")
    page.screenshot(path="/tmp/kefu-qa-list.png", full_page=True)

    rows.first.locator("text=查看会话").click()
    page.wait_for_url(f"**/qa/chats/{live.ids['agent']}**")
    marked = page.locator("#qa-transcript mark.qa-span")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text("提交")
    expect(marked).to_have_css("background-color", "rgb(255, 224, 138)")  # highlighted, not just wrapped
    finding = page.locator("#qa-transcript .qa-findings li")
    expect(finding).to_contain_text("禁用语")
    expect(finding).to_contain_text(SUGGESTED)
    expect(page.locator("#qa-transcript")).to_contain_text("我的电话是138****5678")
    expect(page.locator("#qa-customer")).to_contain_text("138****5678")
    assert "13812345678" not in page.content()
    page.screenshot(path="/tmp/kefu-qa-transcript.png", full_page=True)
    watch.assert_clean()
    page.context.close()
