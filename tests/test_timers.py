"""Durable timers and the worker round: SLA breaches and overdue callbacks fire once, catch up after downtime,
retry failing handlers with backoff, and share the work between concurrent workers without double firing."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from kefu.callbacks import service as callbacks
from kefu.core.clock import FrozenClock
from kefu.core.context import Actor
from kefu.core.db import Base, make_engine
from kefu.notifications.models import Notification
from kefu.notifications.service import notify
from kefu.sla.service import RESOLUTION
from kefu.tickets import service as tickets
from kefu.tickets.models import Ticket, TicketEvent
from kefu.timers import service as timers
from kefu.timers.models import Timer
from kefu.timers.service import HANDLERS, MAX_ATTEMPTS, run_due


def _actor(world, clock, who="agent") -> Actor:
    u = world.users[who]
    return Actor(
        user_id=u.id, username=u.username, role=u.role, team_id=u.team_id, now=clock.now(), display_name=u.display_name
    )


def _ticket(db, world, clock, subject="外卖超时未送达,顾客要求退款", reply=True) -> Ticket:
    t = tickets.create_ticket(
        db,
        actor=_actor(world, clock),
        data={"subject": subject, "customer_id": world.customers[0].id, "category_id": world.categories["delivery"].id},
    )
    if reply:
        tickets.add_message(db, actor=_actor(world, clock), ticket=t, body="您好,正在为您核实", internal=False)
    db.commit()
    return t


def _breaches(db, ticket_id=None, which="resolution") -> int:
    """How many ``sla_breached`` events of the ``which`` clock (on one ticket, or on all)."""
    rows = db.scalars(select(TicketEvent).where(TicketEvent.kind == "sla_breached")).all()
    return sum(1 for e in rows if e.data.get("which") == which and ticket_id in (None, e.ticket_id))


def _notes(db, user, kind) -> list[Notification]:
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)))


def test_resolution_breach_fires_once_and_notifies_assignee_and_leader_once(db, world, clock, factory):
    t = _ticket(db, world, clock)
    due = t.resolution_due_at
    clock.set(due - timedelta(minutes=1))
    run_due(factory, clock)
    db.expire_all()
    assert _breaches(db, t.id) == 0 and db.get(Ticket, t.id).resolution_breached is False
    clock.set(due + timedelta(seconds=1))
    assert run_due(factory, clock) == 1
    for _ in range(3):
        assert run_due(factory, clock) == 0
    clock.advance(days=2)
    assert run_due(factory, clock) == 0
    db.expire_all()
    ticket = db.get(Ticket, t.id)
    assert ticket.resolution_breached is True and ticket.sla_status == "breached"
    assert _breaches(db, t.id) == 1
    for who in ("agent", "team_lead"):
        notes = _notes(db, world.users[who], "sla.breach")
        assert len(notes) == 1 and "解决时限" in notes[0].title and notes[0].ticket_id == t.id
    assert _notes(db, world.users["agent2"], "sla.breach") == []


def test_first_response_breach_when_nobody_answers(db, world, clock, factory):
    t = _ticket(db, world, clock, reply=False)
    clock.set(t.first_response_due_at + timedelta(seconds=1))
    assert run_due(factory, clock) == 1
    db.expire_all()
    assert db.get(Ticket, t.id).first_response_breached is True
    assert _breaches(db, t.id, which="first_response") == 1 and _breaches(db, t.id) == 0


def test_resolved_ticket_timer_does_nothing(db, world, clock, factory):
    t = _ticket(db, world, clock)
    tickets.change_status(db, actor=_actor(world, clock), ticket=t, status="resolved")
    db.commit()
    # even a timer left pending by mistake must not breach a resolved ticket
    timers.schedule(db, kind=RESOLUTION, ref_id=t.id, due_at=t.resolution_due_at)
    db.commit()
    clock.set(t.resolution_due_at + timedelta(hours=1))
    run_due(factory, clock)
    db.expire_all()
    ticket = db.get(Ticket, t.id)
    assert ticket.resolution_breached is False and ticket.sla_status == "met"
    assert _breaches(db) == 0 and _notes(db, world.users["agent"], "sla.breach") == []


def test_pending_ticket_is_not_breached_and_due_moves_later(db, world, clock, factory):
    t = _ticket(db, world, clock)
    due = t.resolution_due_at
    clock.advance(hours=10)
    tickets.change_status(db, actor=_actor(world, clock), ticket=t, status="pending")
    db.commit()
    clock.set(due + timedelta(hours=1))
    run_due(factory, clock)
    db.expire_all()
    assert _breaches(db, t.id) == 0
    ticket = db.get(Ticket, t.id)
    tickets.change_status(db, actor=_actor(world, clock), ticket=ticket, status="open")
    db.commit()
    new_due = ticket.resolution_due_at
    assert new_due == due + (clock.now() - (t.created_at + timedelta(hours=10)))
    run_due(factory, clock)
    assert _breaches(db, t.id) == 0
    clock.set(new_due + timedelta(seconds=1))
    assert run_due(factory, clock) == 1
    db.expire_all()
    assert _breaches(db, t.id) == 1


def test_catch_up_after_downtime_fires_each_timer_once(db, world, clock, factory):
    made = [_ticket(db, world, clock, subject=f"积压工单{i}号", reply=i % 2 == 0) for i in range(40)]
    due = db.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending"))
    assert due == 60  # 40 resolution timers + 20 first-response timers
    clock.advance(days=5)
    assert run_due(factory, clock) == 60
    assert run_due(factory, clock) == 0
    db.expire_all()
    for t in made:
        assert _breaches(db, t.id) == 1
    assert len(_notes(db, world.users["team_lead"], "sla.breach")) == 60
    assert db.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending")) == 0


def test_catch_up_in_small_batches(db, world, clock, factory):
    for i in range(12):
        _ticket(db, world, clock, subject=f"分批工单{i}")
    clock.advance(days=4)
    fired = [run_due(factory, clock, batch=5) for _ in range(4)]
    assert fired == [5, 5, 2, 0]
    assert _breaches(db) == 12


def test_failing_handler_is_retried_with_backoff_and_others_still_fire(db, world, clock, factory, monkeypatch):
    calls = []

    def flaky(session, timer, now):
        calls.append(now)
        notify(
            session,
            actor=Actor.system(now),
            user_ids=[world.users["supervisor"].id],
            kind="test.flaky",
            title="半成品",
            dedupe=f"flaky:{len(calls)}",
        )
        if len(calls) < 3:
            raise RuntimeError("短信网关超时,顾客电话13812345678")

    monkeypatch.setitem(HANDLERS, "test_flaky", flaky)
    t = _ticket(db, world, clock)
    timers.schedule(db, kind="test_flaky", ref_id=7, due_at=t.resolution_due_at - timedelta(minutes=1))
    db.commit()
    clock.set(t.resolution_due_at + timedelta(seconds=1))
    start = clock.now()
    assert run_due(factory, clock) == 1  # the SLA timer, despite the failure before it
    db.expire_all()
    flaky_timer = db.scalar(select(Timer).where(Timer.kind == "test_flaky"))
    assert (flaky_timer.status, flaky_timer.attempts) == ("pending", 1)
    assert flaky_timer.due_at == start + timedelta(seconds=60)
    assert "13812345678" not in flaky_timer.last_error and "138****5678" in flaky_timer.last_error
    assert _notes(db, world.users["supervisor"], "test.flaky") == []  # the failed attempt left nothing
    assert _breaches(db, t.id) == 1
    assert run_due(factory, clock) == 0  # not before the backoff ends
    clock.advance(seconds=60)
    assert run_due(factory, clock) == 0
    db.expire_all()
    flaky_timer = db.get(Timer, flaky_timer.id)
    assert flaky_timer.attempts == 2 and flaky_timer.due_at == clock.now() + timedelta(seconds=120)
    clock.advance(seconds=120)
    assert run_due(factory, clock) == 1
    db.expire_all()
    assert db.get(Timer, flaky_timer.id).status == "done" and len(calls) == 3
    assert len(_notes(db, world.users["supervisor"], "test.flaky")) == 1


def test_handler_that_always_fails_gives_up(db, world, clock, factory, monkeypatch):
    def broken(session, timer, now):
        raise ValueError("坏了")

    monkeypatch.setitem(HANDLERS, "test_broken", broken)
    timers.schedule(db, kind="test_broken", ref_id=1, due_at=clock.now())
    db.commit()
    for _ in range(MAX_ATTEMPTS + 2):
        run_due(factory, clock)
        clock.advance(hours=1)
    db.expire_all()
    timer = db.scalar(select(Timer).where(Timer.kind == "test_broken"))
    assert (timer.status, timer.attempts) == ("failed", MAX_ATTEMPTS) and "坏了" in timer.last_error


def test_callback_due_sets_overdue_and_tells_the_team_leader(db, world, clock, factory):
    t = _ticket(db, world, clock)
    cb = callbacks.create_callback(
        db,
        actor=_actor(world, clock),
        ticket_id=t.id,
        customer_id=None,
        due_at=clock.now() + timedelta(hours=2),
        owner_id=world.users["agent2"].id,
    )
    db.commit()
    clock.advance(hours=1)
    run_due(factory, clock)
    db.expire_all()
    assert db.get(type(cb), cb.id).overdue is False
    clock.advance(hours=1, seconds=1)
    assert run_due(factory, clock) == 1
    assert run_due(factory, clock) == 0
    db.expire_all()
    assert db.get(type(cb), cb.id).overdue is True
    leader = _notes(db, world.users["team_lead"], "callback.overdue")
    assert len(leader) == 1 and "已逾期" in leader[0].title
    assert len(_notes(db, world.users["agent2"], "callback.overdue")) == 1


# -- two workers on PostgreSQL ----------------------------------------------------------------------------
RACE_SCHEMA = f"kefu_timer_race_{os.getpid()}"  # per run: concurrent runs must not collide


@pytest.fixture
def race_factory(engine):
    """A schema of its own with committed rows, visible to several connections at once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks and one writer, so there is no race to test")
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {RACE_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {RACE_SCHEMA}"))
    race = make_engine(
        engine.url.render_as_string(hide_password=False),
        connect_args={"options": f"-csearch_path={RACE_SCHEMA}"},
        pool_size=4,
    )
    try:
        Base.metadata.create_all(race)
        yield sessionmaker(race, expire_on_commit=False)
    finally:
        race.dispose()
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {RACE_SCHEMA} CASCADE"))


def test_two_workers_fire_each_timer_exactly_once(race_factory):
    clock = FrozenClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    n = 150
    with race_factory() as s, s.begin():
        for i in range(n):
            t = Ticket(
                subject=f"并发工单{i}",
                status="open",
                tier=1,
                created_at=clock.now(),
                updated_at=clock.now(),
                resolution_due_at=clock.now() + timedelta(hours=1),
            )
            s.add(t)
            s.flush()
            timers.schedule(s, kind=RESOLUTION, ref_id=t.id, due_at=t.resolution_due_at)
    clock.advance(hours=2)
    start = threading.Barrier(2)
    fired: list[int] = [0, 0]
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            start.wait()
            while (done := run_due(race_factory, clock, batch=10)) > 0:
                fired[k] += done
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert errors == [] and not any(th.is_alive() for th in threads)
    assert sum(fired) == n
    with race_factory() as s:
        per_ticket = s.execute(
            select(TicketEvent.ticket_id, func.count())
            .where(TicketEvent.kind == "sla_breached")
            .group_by(TicketEvent.ticket_id)
        ).all()
        assert len(per_ticket) == n and {c for _, c in per_ticket} == {1}
        assert s.scalar(select(func.count()).select_from(Timer).where(Timer.status == "done")) == n
