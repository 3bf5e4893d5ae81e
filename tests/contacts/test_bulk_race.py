"""Two requests at the same moment (PostgreSQL). The same call from two bulk requests (the bulk path copies straight
into ``contacts``): the second waits for the first, then stores only what is new, counts the rest as
duplicates, and its listeners hear only its own new contacts. The same new caller from two requests (two
batches, a batch and a single record, a channel's sender and a batch): one customer."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from kefu.contacts import events
from kefu.contacts.models import Contact
from kefu.contacts.service import ingest
from kefu.core.db import Base, make_engine
from kefu.customers.models import Customer

SCHEMA = f"kefu_contacts_race_{os.getpid()}"
AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture
def race_factory(engine):
    """A schema of its own with committed rows, visible to several connections at once."""
    if engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has one writer at a time, so two batches never overlap")
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    race = make_engine(engine.url.render_as_string(hide_password=False),
                       connect_args={"options": f"-csearch_path={SCHEMA}"}, pool_size=4)
    try:
        Base.metadata.create_all(race)
        yield sessionmaker(race, expire_on_commit=False)
    finally:
        race.dispose()
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


def _cdr(call_id: str, phone: str) -> dict:
    return {"call_id": call_id, "channel": "phone", "customer_phone": phone, "customer_name": "欧阳锋",
            "queue": "外卖热线", "offered_at": AT.isoformat(), "answered_at": (AT + timedelta(seconds=9)).isoformat(),
            "ended_at": (AT + timedelta(minutes=4)).isoformat(), "outcome": "answered"}


def _waiting_on_a_lock(factory) -> bool:
    with factory() as s:
        return bool(s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND query LIKE 'COPY contacts%'")))


def test_the_same_call_from_two_batches_at_once_is_stored_once(race_factory):
    heard: list[tuple[str, str]] = []

    def listener(session, facts):
        heard.extend((threading.current_thread().name, f.queue) for f in facts)

    with race_factory() as s:  # a returning caller: both batches find them (two new callers is another story)
        s.add(Customer(name="欧阳锋", role="consumer", phone="13800001111", created_at=AT, updated_at=AT))
        s.commit()
    events.on_new(listener)
    try:
        first = race_factory()
        got = ingest(first, [_cdr("同时-1", "13800001111")], now=AT)  # stored, not yet committed
        assert got.created == 1
        second: dict = {}

        def other_request():
            with race_factory() as s:
                second["result"] = ingest(s, [_cdr("同时-1", "13800001111"), _cdr("同时-2", "13900002222")], now=AT)
                s.commit()

        thread = threading.Thread(target=other_request, name="second")
        thread.start()
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(race_factory):  # the second copy waits on the first's uncommitted call
            assert thread.is_alive() and time.monotonic() < deadline, second
            time.sleep(0.05)
        first.commit()
        first.close()
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        events.NEW.remove(listener)

    result = second["result"]
    assert (result.created, result.duplicates, result.errors) == (1, 1, [])
    with race_factory() as s:
        assert s.scalars(select(Contact.external_id).order_by(Contact.external_id)).all() == ["同时-1", "同时-2"]
        assert s.scalar(select(func.count()).select_from(Customer)) == 2
    assert [name for name, _ in heard] == ["MainThread", "second"]  # each batch heard its own new contact


def _waiting_for_a_new_caller(factory) -> bool:
    with factory() as s:
        return bool(s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                  "AND wait_event = 'advisory'")))


@pytest.mark.parametrize("second_batch", [
    [_cdr("新客-2", "13700007777"), _cdr("新客-3", "13600006666")],  # another batch
    [_cdr("新客-2", "+86 137-0000-7777")],  # a single record (POST /contacts), the number written another way
], ids=["batch", "single"])
def test_the_same_new_caller_from_two_requests_at_once_is_one_customer(race_factory, second_batch):
    """Two requests bring the same phone number no customer has yet, the first not yet committed when the second
    looks for it: the second waits, then finds the first's customer instead of creating a second one."""
    first = race_factory()
    got = ingest(first, [_cdr("新客-1", "13700007777"), _cdr("新客-0", "13500005555")], now=AT)
    assert got.created == 2
    second: dict = {}

    def other_request():
        with race_factory() as s:
            second["result"] = ingest(s, second_batch, now=AT)
            s.commit()

    thread = threading.Thread(target=other_request, name="second")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not _waiting_for_a_new_caller(race_factory):  # the second waits for the first's new customer
            assert thread.is_alive() and time.monotonic() < deadline, second
            time.sleep(0.05)
        first.commit()
    finally:
        first.close()
        thread.join(timeout=60)
    assert not thread.is_alive()
    assert second["result"].created == len(second_batch)
    with race_factory() as s:
        owners = s.execute(select(Customer.id, Customer.phone).where(Customer.phone == "13700007777")).all()
        assert len(owners) == 1
        callers = s.scalars(select(Contact.customer_id).where(Contact.external_id.in_(["新客-1", "新客-2"]))).all()
        assert callers == [owners[0].id, owners[0].id]
        phones = {"7777", "5555"} | {r["customer_phone"][-4:] for r in second_batch}
        assert s.scalar(select(func.count()).select_from(Customer)) == len(phones)


def test_a_new_caller_through_a_channel_and_a_batch_at_once_is_one_customer(race_factory):
    """A WeChat/e-mail message's sender (``match_or_create``) and a bulk batch bringing the same new phone."""
    from kefu.customers.service import match_or_create

    first = race_factory()
    created = match_or_create(first, now=AT, phone="13700008888", name="黄蓉")
    assert created.id
    second: dict = {}

    def other_request():
        with race_factory() as s:
            second["result"] = ingest(s, [_cdr("渠道-1", "13700008888")], now=AT)
            s.commit()

    thread = threading.Thread(target=other_request, name="second")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not _waiting_for_a_new_caller(race_factory):
            assert thread.is_alive() and time.monotonic() < deadline, second
            time.sleep(0.05)
        first.commit()
    finally:
        first.close()
        thread.join(timeout=60)
    assert second["result"].created == 1
    with race_factory() as s:
        assert s.scalars(select(Customer.id).where(Customer.phone == "13700008888")).all() == [created.id]
        assert s.scalar(select(Contact.customer_id).where(Contact.external_id == "渠道-1")) == created.id


def test_the_same_new_caller_from_two_requests_on_sqlite_is_one_customer(tmp_path, monkeypatch):
    """SQLite: the bulk path takes the write lock (BEGIN IMMEDIATE) before looking for its callers, so the second
    request looks only once the first has committed its new customer."""
    from kefu.contacts import service

    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    Base.metadata.create_all(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    reached = threading.Event()
    real = service.begin_write

    def begin_write(session):
        if threading.current_thread().name == "second":
            reached.set()  # about to take the write lock: the first request holds it
        return real(session)

    monkeypatch.setattr(service, "begin_write", begin_write)
    first = factory()
    try:
        assert ingest(first, [_cdr("新客-1", "13700007777")], now=AT).created == 1  # not committed yet
        second: dict = {}

        def other_request():
            with factory() as s:
                second["result"] = ingest(s, [_cdr("新客-2", "13700007777")], now=AT)
                s.commit()

        thread = threading.Thread(target=other_request, name="second")
        thread.start()
        assert reached.wait(30)
        time.sleep(0.3)  # let it reach the lock (without one, it would look now and find no customer)
        first.commit()
    finally:
        first.close()
    thread.join(timeout=60)
    assert not thread.is_alive() and second["result"].created == 1
    with factory() as s:
        (owner,) = s.scalars(select(Customer.id).where(Customer.phone == "13700007777")).all()
        assert s.scalars(select(Contact.customer_id).order_by(Contact.external_id)).all() == [owner, owner]
    engine.dispose()


def test_two_open_transactions_storing_contacts_of_the_same_half_hour_do_not_wait_for_each_other(race_factory):
    """A chat started and one answered in the same half hour, in two transactions still open (two chat sockets'
    units of work): neither waits for the other's rollup rows before committing — the rollups are applied at
    commit, under one lock taken in one order (``kefu.reports.rollups.apply_pending``), so there is nothing to
    deadlock on — and once both commit, the rollups count both contacts."""
    from kefu.reports.models import GRAIN_CHANNEL, KpiRollup

    def chat(n: int) -> Contact:
        return Contact(channel="chat", direction="inbound", queue="外卖在线", offered_at=AT + timedelta(minutes=n),
                       outcome="abandoned", created_at=AT)

    first, second = race_factory(), race_factory()
    try:
        first.add(chat(1))
        first.flush()
        second.execute(text("SET LOCAL lock_timeout = '3s'"))  # a wait on the first's rows fails, not hangs
        answered = chat(2)
        second.add(answered)
        second.flush()
        answered.outcome, answered.answered_at = "answered", AT + timedelta(minutes=2, seconds=8)
        second.flush()
        second.commit()  # the first is still open
        first.commit()
    finally:
        first.close()
        second.close()
    with race_factory() as s:
        row = s.scalar(select(KpiRollup).where(KpiRollup.grain == GRAIN_CHANNEL, KpiRollup.channel == "chat"))
        assert (row.contacts, row.answered) == (2, 1)
