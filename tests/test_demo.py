"""`kefu demo`: the demo center is believable, consistent with the services, and reproducible."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.accounts.models import Team, User
from kefu.callbacks.models import Callback
from kefu.catalog.models import BusinessLine, Category
from kefu.core.db import make_engine
from kefu.core.roles import Role
from kefu.customers.models import Customer
from kefu.demo import DEMO_PASSWORD, build_demo, demo_logins
from kefu.migrate import upgrade
from kefu.notifications.models import Notification
from kefu.tickets.models import Ticket, TicketEvent

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 21, 30, tzinfo=SH)  # a Monday evening
DAYS = 3
CJK_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def _db(tmp_path_factory, name: str) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'demo.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = _db(tmp_path_factory, "demo")
    summary = build_demo(url, days=DAYS, customers=150, seed=7, now=NOW)
    engine = make_engine(url)
    with Session(engine) as session:
        yield url, summary, session
    engine.dispose()


def test_summary_counts(demo):
    _, summary, session = demo
    assert summary["users"] == 30 and summary["teams"] == 3 and summary["customers"] == 150
    assert summary["tickets"] == session.scalar(select(func.count()).select_from(Ticket)) > 300
    assert summary["tickets_today"] > 0 and summary["carried_over"] > 0


def test_teams_users_and_logins(demo):
    _, _, session = demo
    teams = session.scalars(select(Team).order_by(Team.id)).all()
    assert [(t.name, t.kind) for t in teams] == [
        ("一线客服一组", "frontline"), ("一线客服二组", "frontline"), ("投诉处理组", "complaints")]
    for team in teams:
        leader = session.get(User, team.leader_id)
        assert leader.role == Role.team_lead and leader.team_id == team.id
    users = session.scalars(select(User)).all()
    assert len(users) == 30 and {u.role for u in users} == set(Role)
    assert all(u.username.isascii() and not u.display_name.isascii() for u in users)
    logins = demo_logins()
    assert {role for _, _, role in logins} == set(Role)
    assert all(pw == DEMO_PASSWORD and len(pw) >= 8 for _, pw, _ in logins)
    assert {u for u, _, _ in logins} <= {u.username for u in users}
    assert len({u.password_hash for u in users}) == 1  # hashed once


def test_customers_look_chinese(demo):
    _, _, session = demo
    customers = session.scalars(select(Customer)).all()
    assert all(CJK_NAME.match(c.name) for c in customers)
    phones = [c.phone for c in customers]
    assert len(set(phones)) == len(phones) and all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    roles = Counter(c.role for c in customers)
    assert set(roles) == {"consumer", "merchant", "rider", "driver", "passenger"}
    assert roles["consumer"] > len(customers) / 2
    assert any(c.email for c in customers) and any(c.wechat_openid for c in customers)
    assert any(c.address for c in customers)


def test_categories_of_spec_with_their_class(demo):
    _, _, session = demo
    assert {b.name for b in session.scalars(select(BusinessLine))} == {
        "外卖", "到店", "到家", "旅行", "出行", "金融", "电影", "阅读"}
    by_name = {c.name: c for c in session.scalars(select(Category))}
    for name in ("登录访问", "付费充值", "阅读障碍"):
        assert by_name[name].severity_class == "severe"
    for name in ("道具使用", "小概率问题", "非主要功能", "其他活动"):
        assert by_name[name].severity_class == "general"
    assert by_name["陆续反馈需排查"].severity_class == "intermittent"
    delivery = by_name["配送问题"]
    children = {c.name for c in by_name.values() if c.parent_id == delivery.id}
    assert children >= {"超时未送达", "餐品洒漏", "骑手态度"}
    refund = by_name["退款问题"]
    assert {c.name for c in by_name.values() if c.parent_id == refund.id} >= {"7天未消费退款", "过期退款"}
    assert by_name["超时未送达"].code == "waimai.delivery.late"
    assert all(c.code.isascii() for c in by_name.values())


def test_tickets_every_day_with_an_evening_peak(demo):
    _, _, session = demo
    created = [t.astimezone(SH) for t in session.scalars(select(Ticket.created_at))]
    days = Counter(t.date() for t in created)
    for back in range(DAYS):
        assert days[(NOW - timedelta(days=back)).date()] > 0
    evening = sum(19 <= t.hour < 22 for t in created)
    night = sum(3 <= t.hour < 5 for t in created)
    assert evening > 3 * max(night, 1)
    assert max(created) <= NOW
    subjects = session.scalars(select(Ticket.subject)).all()
    assert all(re.search(r"[\u4e00-\u9fff]", s) for s in subjects)
    assert len(set(subjects)) > len(subjects) / 10  # templates with variation


def test_statuses_follow_age(demo):
    _, _, session = demo
    rows = session.execute(select(Ticket.created_at, Ticket.status)).all()
    old = [s for c, s in rows if c < NOW - timedelta(days=2)]
    recent = [s for c, s in rows if c > NOW - timedelta(hours=3)]
    assert sum(s in ("resolved", "closed") for s in old) > 0.8 * len(old)
    assert sum(s in ("new", "open", "pending", "escalated") for s in recent) > 0.3 * len(recent)
    assert {s for _, s in rows} >= {"open", "pending", "escalated", "resolved", "closed"}


def test_escalations_to_tier_2_and_3(demo):
    _, _, session = demo
    for tier in (2, 3):
        tickets = session.scalars(select(Ticket).where(Ticket.tier == tier)).all()
        assert tickets
        for ticket in tickets[:5]:
            query = select(TicketEvent.data).where(TicketEvent.ticket_id == ticket.id,
                                                   TicketEvent.kind == "escalated")
            kinds = session.scalars(query).all()
            assert [d["to_tier"] for d in kinds][: tier - 1] == list(range(2, tier + 1))
    complaints = session.scalar(select(Team).where(Team.kind == "complaints"))
    assert session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.tier == 3, Ticket.team_id == complaints.id)) > 0
    external = select(func.count()).select_from(Ticket).where(Ticket.complaint_type == "external")
    assert session.scalar(external) > 0


def test_breaches_and_overdue_callbacks(demo):
    _, _, session = demo
    breached = session.scalars(select(Ticket).where(Ticket.resolution_breached.is_(True))).all()
    assert breached
    ids = [t.id for t in breached]
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "sla.breach", Notification.ticket_id.in_(ids))) > 0
    assert session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.kind == "sla_breached", TicketEvent.ticket_id.in_(ids))) >= len(ids)
    for t in breached:  # breached on the clock, never before the due time
        assert t.resolution_due_at <= NOW
    overdue = session.scalars(select(Callback).where(Callback.overdue.is_(True))).all()
    assert any(c.status == "pending" and c.due_at <= NOW for c in overdue)
    assert session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "callback.overdue")) > 0


def test_history_never_goes_back_or_past_now(demo):
    _, _, session = demo
    last: dict[int, datetime] = {}
    rows = session.execute(select(TicketEvent.ticket_id, TicketEvent.at).order_by(TicketEvent.id))
    for ticket_id, at in rows:
        assert at <= NOW
        assert at >= last.get(ticket_id, at)
        last[ticket_id] = at


def test_same_seed_same_center_and_if_empty(tmp_path_factory):
    now = datetime(2026, 11, 20, 16, 0, tzinfo=SH)

    def snapshot(url: str) -> list:
        engine = make_engine(url)
        with Session(engine) as session:
            rows = session.execute(select(Ticket.subject, Ticket.created_at, Ticket.status, Ticket.tier,
                                          Customer.name).join(Customer).order_by(Ticket.id)).all()
        engine.dispose()
        return rows

    a, b = _db(tmp_path_factory, "a"), _db(tmp_path_factory, "b")
    first = build_demo(a, days=1, customers=40, seed=3, now=now)
    second = build_demo(b, days=1, customers=40, seed=3, now=now)
    assert snapshot(a) == snapshot(b) and first["tickets"] == second["tickets"] > 50
    assert build_demo(a, days=1, customers=40, seed=3, now=now, if_empty=True) is None
    assert len(snapshot(a)) == first["tickets"]


def test_cli_demo_prints_logins(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kefu.cli import app
    from kefu.core.settings import get_settings

    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(app, ["demo", "--days", "1", "--customers", "30"])
        assert result.exit_code == 0, result.output
        for username, password, role in demo_logins():
            assert re.search(rf"{username}\s+{re.escape(password)}\s+{role}", result.output)
        again = runner.invoke(app, ["demo", "--if-empty", "--days", "1", "--customers", "30"])
        assert again.exit_code == 0 and "already present" in again.output
    finally:
        get_settings.cache_clear()


def test_contact_history_from_the_simulator(demo):
    from kefu.contacts.models import Contact

    _, summary, session = demo
    from kefu.chat.models import Chat

    played = select(Chat.contact_id)  # the chats played through the chat service (test below) are not the simulator's
    rows = session.execute(select(Contact.channel, Contact.outcome, Contact.offered_at, Contact.ended_at,
                                  Contact.customer_id, Contact.agent_id, Contact.category_id, Contact.ticket_id)
                           .where(Contact.id.not_in(played))).all()
    assert summary["contacts"] == len(rows) > 1000 * DAYS
    assert {r.channel for r in rows} == {"phone", "chat", "wechat", "email", "weibo", "self_service"}
    assert {r.outcome for r in rows} == {"answered", "abandoned", "callback_requested", "deflected"}
    assert all(r.ended_at <= NOW and r.offered_at >= NOW - timedelta(days=DAYS) for r in rows)
    customers = set(session.scalars(select(Customer.id)))
    assert all(r.customer_id in customers and r.category_id is not None for r in rows)  # the demo's own
    agents = {u.id: u.role for u in session.scalars(select(User))}
    assert {agents[r.agent_id] for r in rows if r.agent_id} <= {"agent", "trainee"}
    local = [r.offered_at.astimezone(SH).hour for r in rows]
    assert sum(11 <= h < 13 for h in local) > 3 * sum(3 <= h < 5 for h in local)
    linked = [r for r in rows if r.ticket_id]
    assert len(linked) > 0.3 * summary["tickets"]
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_([r.ticket_id for r in linked])))}
    for r in linked:
        t = tickets[r.ticket_id]
        assert r.channel == t.channel and r.customer_id == t.customer_id and r.category_id == t.category_id
        assert timedelta(0) <= t.created_at - r.offered_at <= timedelta(hours=2)


def test_the_demo_has_chat_queues_and_finished_rated_chats(demo):
    """`make run` shows a working chat: two queues, a few chats played through the chat service, nobody on a seat."""
    from kefu.chat.models import AgentPresence, Chat, ChatMessage, ChatQueue, ContactViolation
    from kefu.contacts.models import Contact

    _, summary, session = demo
    assert [q.name for q in session.scalars(select(ChatQueue).order_by(ChatQueue.id))] == ["外卖在线", "到家在线"]
    chats = session.scalars(select(Chat).order_by(Chat.id)).all()
    assert summary["chats"] == len(chats) == 5
    assert {c.status for c in chats} == {"ended"} and {c.end_reason for c in chats} == {"agent", "idle"}
    for chat in chats:
        assert session.get(Contact, chat.contact_id).satisfaction == chat.rating is not None
        kinds = session.scalars(select(ChatMessage.kind).where(ChatMessage.chat_id == chat.id)
                                .order_by(ChatMessage.seq)).all()
        assert kinds[-1] == "closing" and ("idle_prompt" in kinds) == (chat.end_reason == "idle")
    assert session.scalar(select(func.count()).select_from(ContactViolation)
                          .where(ContactViolation.rule == "forbidden_wording")) == 1  # 提交, kept for QA
    assert set(session.scalars(select(AgentPresence.status))) == {"offline"}
def test_knowledge_base_is_published_and_searchable(demo):
    from kefu.kb import search
    from kefu.kb.demo_articles import ARTICLES
    from kefu.kb.models import Article, ArticleVersion

    _, summary, session = demo
    assert summary["kb_articles"] == len(ARTICLES)
    published = session.scalars(select(Article).where(Article.status == "published")).all()
    assert len(published) == len(ARTICLES)
    lead = session.scalar(select(User).where(User.role == "team_lead").order_by(User.id).limit(1))
    assert {a.created_by_id for a in published} == {lead.id}
    assert session.scalar(select(func.count()).select_from(ArticleVersion)) == 3 * len(ARTICLES)
    assert search.search(session, "外卖超时了怎么赔")[0].title.startswith("外卖配送超时了怎么办")


def test_a_week_of_agent_states_and_a_published_roster(demo):
    """`make run` shows occupancy and adherence: the front line's states for a week and the roster they follow,
    the late shift still logged in at 21:30."""
    from datetime import timedelta

    from kefu.accounts.models import User
    from kefu.reports import service
    from kefu.wfm.models import AgentState, RosterShift
    from kefu.wfm.rosters import stored_adherence

    _, summary, session = demo
    first = NOW.date() - timedelta(days=6)
    days = set(session.scalars(select(RosterShift.day).distinct()))
    assert days == {first + timedelta(days=k) for k in range(7)}
    assert summary["agent_states"] == session.scalar(select(func.count()).select_from(AgentState)) > 1000
    assert session.scalar(select(func.max(AgentState.start))) <= NOW
    current = session.scalars(select(User.username).join(AgentState, AgentState.user_id == User.id).where(
        AgentState.end.is_(None), AgentState.state != "logged_out")).all()
    assert current, "the late shift is on at 21:30"
    week = service.kpi_report(session, service.period(first, NOW.date()), group_by="agent", now=NOW)
    # the contacts cover 3 of the 7 days; chats run several at a time, so a day of chat seats can pass 1
    assert 0.2 < week["totals"]["occupancy"] < 1
    assert all(r["occupancy"] is None or 0.2 <= r["occupancy"] <= 1.5 for r in week["rows"])
    users = list(session.scalars(select(RosterShift.user_id).distinct()))
    adh = stored_adherence(session, user_ids=users, first=first, last=NOW.date(), tz=SH, now=NOW)
    assert 0.8 < adh["adherence"] < 1
    assert any(a["out_of_adherence_minutes"] > 30 for a in adh["agents"].values())
