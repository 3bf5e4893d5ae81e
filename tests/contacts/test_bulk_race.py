"""Two bulk requests storing the same call at the same moment (PostgreSQL, where the bulk path copies straight
into ``contacts``): the second waits for the first, then stores only what is new, counts the rest as
duplicates, and its listeners hear only its own new contacts."""

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
