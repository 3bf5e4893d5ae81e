"""The service desk in Debian's Chromium (Playwright) against a real uvicorn server on its own SQLite file.

Never run ``playwright install``: the browser is /usr/bin/chromium.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import uvicorn

from kefu.accounts.service import create_team, create_user
from kefu.app import create_app
from kefu.catalog.service import create_category
from kefu.core.context import Actor
from kefu.core.db import make_engine, make_sessionmaker, session_scope
from kefu.customers.service import create_customer
from kefu.migrate import upgrade
from kefu.sla.models import SlaCalendar

pytestmark = pytest.mark.browser
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
# generous waits: a busy 2-core CI machine can take seconds per page; nothing here measures speed
expect.set_options(timeout=30_000)
PAGE_TIMEOUT_MS = 90_000

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "客服密码Passw0rd"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
XSS = f"{IMG}{SCRIPT}"


@dataclass
class Live:
    base: str
    factory: object
    ids: dict = field(default_factory=dict)


def _seed(session) -> dict:
    actor = Actor.system(datetime.now(UTC))
    front = create_team(session, actor=actor, name="一线客服一组")
    complaints = create_team(session, actor=actor, name="投诉处理组", kind="complaints")
    users = {}
    for username, name, role, team in (
        ("agent", "王小明", "agent", front),
        ("lead", "李组长", "team_lead", front),
        ("zhao", "赵专员", "complaint_specialist", complaints),
        ("admin", "管理员", "admin", None),
    ):
        users[username] = create_user(
            session,
            actor=actor,
            username=username,
            password=PASSWORD,
            role=role,
            display_name=name,
            team_id=team.id if team else None,
        )
    front.leader_id, complaints.leader_id = users["lead"].id, users["zhao"].id
    create_category(
        session, actor=actor, data={"code": "delivery", "name": "配送问题", "severity_class": "general"}
    )
    zhang = create_customer(session, actor=actor, data={"name": "张伟", "phone": "13812345678", "role": "consumer"})
    xss_customer = create_customer(session, actor=actor, data={"name": XSS, "phone": "13900001111"})
    session.add(
        SlaCalendar(
            name="全天候",
            timezone="Asia/Shanghai",
            always_open=True,
            hours={},
            holidays=[],
            extra_workdays=[],
        )
    )
    session.flush()
    return {"xss_customer": xss_customer.id, "zhang": zhang.id}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(app) -> Iterator[int]:
    """``app`` served by a real uvicorn in a thread on a free port, until the block ends; yields the port."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def live_center(tmp_path_factory, name: str, seed):
    """A migrated SQLite center seeded by ``seed(session)`` (its ids, or None), served by kefu without a timer
    worker (tests fire timers themselves)."""
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'kefu.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as session:
        ids = seed(session) or {}
    app = create_app(engine=engine, sessionmaker=factory, run_worker=False)
    try:
        with serve_app(app) as port:
            yield Live(base=f"http://127.0.0.1:{port}", factory=factory, ids=ids)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with live_center(tmp_path_factory, "live", _seed) as center:
        yield center


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Dialogs (an alert means injected script ran), console errors and page errors of one page."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(str(e)))

    def assert_clean(self):
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.console == [], f"console errors: {self.console}"


def sign_in(browser, live: Live, username: str):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live.base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation(url=re.compile(r"/tickets$")):
        page.click("form[action='/login'] button[type=submit]")
    return page, watch


def escalate(page, reason: str):
    page.fill("#escalate .escalate-form textarea[name=reason]", reason)
    with page.expect_navigation():
        page.click("#escalate .escalate-form button[type=submit]")


def test_agent_and_team_lead_escalate_a_chinese_ticket_twice(browser, live):
    page, watch = sign_in(browser, live, "agent")
    page.click("text=新建工单")
    page.fill("input[name=subject]", "外卖超时两小时未送达,顾客要求退款")
    page.fill("textarea[name=description]", "顾客称订单显示已出餐,骑手电话无人接听。")
    page.fill("input[name=cq]", "张伟")
    expect(page.locator("#customer_id option")).to_have_count(2)  # htmx swapped in the search result
    page.select_option("#customer_id", index=1)
    page.select_option("select[name=category_id]", label="配送问题")
    page.select_option("select[name=priority]", "high")
    with page.expect_navigation(url=re.compile(r"/tickets/\d+$")):
        page.click("#new-ticket button[type=submit]")
    ticket_url = page.url
    expect(page.locator("#ticket-subject")).to_have_text("外卖超时两小时未送达,顾客要求退款")
    expect(page.locator("#customer")).to_contain_text("138****5678")
    escalate(page, "顾客情绪激动,要求组长处理")
    expect(page.locator("#history")).to_contain_text("王小明 升级 一线 → 组长:原因 顾客情绪激动,要求组长处理")
    expect(page.locator(".ticket-head")).to_contain_text("组长")
    watch.assert_clean()

    lead, lead_watch = sign_in(browser, live, "lead")
    lead.goto(f"{live.base}/notifications")
    expect(lead.locator("ul.notes")).to_contain_text("升级至组长")
    lead.goto(ticket_url)
    escalate(lead, "涉及退款赔付,转投诉处理")
    history = lead.locator("#history")
    expect(history).to_contain_text("李组长 升级 组长 → 投诉专员:原因 涉及退款赔付,转投诉处理")
    text = history.inner_text()
    assert text.index("王小明 升级 一线 → 组长") < text.index("李组长 升级 组长 → 投诉专员")
    lead.screenshot(path="/tmp/kefu-ticket.png", full_page=True)
    lead_watch.assert_clean()
    page.context.close()
    lead.context.close()


def test_stored_markup_never_runs_on_any_page(browser, live):
    admin, admin_watch = sign_in(browser, live, "admin")
    admin.goto(f"{live.base}/admin/users")
    admin.fill("#create-user input[name=username]", "xss_agent")
    admin.fill("#create-user input[name=display_name]", XSS)
    admin.fill("#create-user input[name=password]", PASSWORD)
    admin.select_option("#create-user select[name=role]", "team_lead")
    admin.select_option("#create-user select[name=team_id]", label="一线客服一组")
    admin.click("#create-user button[type=submit]")
    expect(admin.locator("#users")).to_contain_text(XSS)
    admin.goto(f"{live.base}/admin/categories")
    admin.fill("#create-category input[name=name]", XSS)
    admin.fill("#create-category input[name=code]", "xss")
    admin.click("#create-category button[type=submit]")
    expect(admin.locator("#categories")).to_contain_text(XSS)
    admin.goto(f"{live.base}/admin/sla")
    admin.fill("#create-policy input[name=name]", XSS)
    admin.fill("#create-policy input[name=first_response_hours]", "2")
    admin.click("#create-policy button[type=submit]")
    expect(admin.locator("#policies")).to_contain_text(XSS)

    page, watch = sign_in(browser, live, "xss_agent")
    page.goto(f"{live.base}/tickets/new")
    page.fill("input[name=subject]", XSS)
    page.fill("textarea[name=description]", XSS)
    page.select_option("#customer_id", str(live.ids["xss_customer"]))
    page.select_option("select[name=category_id]", label=XSS)
    with page.expect_navigation(url=re.compile(r"/tickets/\d+$")):
        page.click("#new-ticket button[type=submit]")
    ticket_url = page.url
    for form in ("#reply", "#note"):
        page.fill(f"{form} textarea[name=body]", XSS)
        with page.expect_navigation():
            page.click(f"{form} button[type=submit]")
    page.fill("#callback textarea[name=note]", XSS)
    page.fill("#callback input[name=preferred_time]", XSS)
    with page.expect_navigation():
        page.click("#callback button[type=submit]")
    page.fill("#compensation input[name=amount]", "5")
    page.fill("#compensation input[name=note]", XSS)
    with page.expect_navigation():
        page.click("#compensation button[type=submit]")
    page.select_option("#status select[name=status]", "pending")
    page.fill("#status input[name=reason]", XSS)
    with page.expect_navigation():
        page.click("#status button[type=submit]")
    escalate(page, XSS)
    expect(page.locator("#ticket-subject")).to_have_text(XSS)
    expect(page.locator("#history .msg-note")).to_contain_text(XSS)
    for stored in (
        "创建回访任务",
        "发放补偿:红包 ¥5.00",
        f"改为「待反馈」:原因 {XSS}",
        f"升级 一线 → 组长:原因 {XSS}",
    ):
        expect(page.locator("#history")).to_contain_text(stored)
    page.goto(f"{live.base}/callbacks")
    expect(page.locator("#my-callbacks")).to_contain_text(XSS)

    pages = [
        (
            page,
            watch,
            [ticket_url, "/tickets", f"/tickets?q={XSS}", "/tickets/new", "/callbacks", "/notifications"],
        ),
        (
            admin,
            admin_watch,
            [ticket_url, "/admin/users", "/admin/categories", "/admin/sla", "/notifications"],
        ),
    ]
    lead, lead_watch = sign_in(browser, live, "zhao")
    pages.append((lead, lead_watch, [ticket_url, "/notifications", "/tickets"]))
    for p, w, paths in pages:
        for path in paths:
            p.goto(path if path.startswith("http") else f"{live.base}{path}")
            p.wait_for_load_state("load")
            injected = p.evaluate("document.querySelectorAll('img[src=x], main script').length")
            assert injected == 0, path
        w.assert_clean()
    for p, _w, _paths in pages:
        p.context.close()


def test_team_lead_edits_a_customer_then_reveals_the_full_details_with_a_reason(browser, live):
    lead, watch = sign_in(browser, live, "lead")
    customer_url = f"{live.base}/customers/{live.ids['zhang']}"
    lead.goto(customer_url)
    expect(lead.locator("#customer-phone")).to_have_text("138****5678")
    lead.fill("#edit input[name=name]", "张伟(外卖老客户)")
    lead.fill("#edit input[name=email]", "zhangwei@example.cn")
    lead.fill("#edit input[name=address]", "上海市浦东新区世纪大道100号")
    with lead.expect_navigation(url=re.compile(r"/customers/\d+$")):
        lead.click("#edit button[type=submit]")
    expect(lead.locator("#customer-name")).to_have_text("张伟(外卖老客户)")
    expect(lead.locator("#customer-email")).to_have_text("z***@example.cn")
    expect(lead.locator("#details")).not_to_contain_text("世纪大道100号")
    expect(lead.locator("#customer-phone")).to_have_text("138****5678")  # left empty: kept as stored

    lead.fill("#reveal input[name=reason]", "顾客来电核实收货地址")
    with lead.expect_navigation():
        lead.click("#reveal button[type=submit]")
    expect(lead.locator("#revealed-note")).to_contain_text("已记入审计日志")
    expect(lead.locator("#customer-phone")).to_have_text("13812345678")
    expect(lead.locator("#customer-address")).to_have_text("上海市浦东新区世纪大道100号")
    expect(lead.locator("#customer-email")).to_have_text("zhangwei@example.cn")
    lead.goto(customer_url)  # shown once: the page is masked again
    expect(lead.locator("#customer-phone")).to_have_text("138****5678")
    watch.assert_clean()
    lead.context.close()


def test_complaint_specialist_files_a_12315_case_and_records_the_reply(browser, live):
    page, watch = sign_in(browser, live, "zhao")
    page.click("nav >> text=监管投诉登记")
    expect(page.locator("h1")).to_have_text("登记监管投诉")
    page.select_option("select[name=source]", "12315")
    page.fill("input[name=case_number]", "1231520261123000901")
    page.fill("input[name=customer_name]", "张伟")
    page.fill("input[name=phone]", "13812345678")
    page.fill("textarea[name=content]", "消费者反映外卖超时两小时未送达,申请退款被商家拒绝。")
    page.select_option("select[name=category_code]", label="配送问题")
    with page.expect_navigation(url=re.compile(r"/tickets/\d+$")):
        page.click("#regulator-complaint button[type=submit]")
    ticket_url = page.url
    panel = page.locator("#regulator")
    expect(panel).to_contain_text("1231520261123000901")
    expect(page.locator("#case-status")).to_have_text("待回复")
    expect(page.locator("#customer")).to_contain_text("138****5678")
    expect(page.locator("#history")).to_contain_text("赵专员 登记监管投诉 12315 平台 1231520261123000901")
    panel.locator("textarea[name=body]").fill("经核实骑手超时属实,已全额退款并致歉,消费者表示满意。")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.locator("#case-status")).to_have_text("已回复")
    expect(page.locator("#regulator-reply")).to_have_text("经核实骑手超时属实,已全额退款并致歉,消费者表示满意。")
    expect(page.locator("#history")).to_contain_text("赵专员 已回复监管部门(12315 平台 1231520261123000901)")

    # the same case number again is refused by the form, naming the field, with what was typed kept
    page.goto(f"{live.base}/complaints/regulator/new")
    page.fill("input[name=case_number]", "1231520261123000901")
    page.fill("input[name=customer_name]", "张伟")
    page.fill("textarea[name=content]", "重复登记")
    page.click("#regulator-complaint button[type=submit]")
    expect(page.locator(".field-error")).to_contain_text("监管案件编号")
    expect(page.locator("input[name=case_number]")).to_have_value("1231520261123000901")
    assert page.url.endswith("/complaints/regulator/new") and ticket_url != page.url
    # the refusal is answered 409 (Chromium logs the status of the re-rendered form): that one and nothing else
    assert [c for c in watch.console if "409" in c] == [watch.console[-1]]
    watch.console.pop()
    watch.assert_clean()
    page.context.close()
