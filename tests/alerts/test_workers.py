"""Two server instances, each with its own engine and connection pool, on one store (a SQLite file, or
PostgreSQL when KEFU_TEST_POSTGRES_URL is set): contacts of one spike posted to both at once from many
threads raise one alert, escalated once, each level told to each leader once."""

from __future__ import annotations

import os
import shutil
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from tests.conftest import PG_URL, _migrate

from kefu.alerts.models import Alert, AlertActivity
from kefu.app import create_app
from kefu.core.db import make_engine
from kefu.notifications.models import Notification

API = "/api/v1"


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("alerts") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    _migrate(eng)
    eng.dispose()
    return path


@pytest.fixture
def store_url(engine, sqlite_template, tmp_path):
    """A store of the test's own: (url, connect_args)."""
    if engine.dialect.name == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "alerts.db")
        yield f"sqlite:///{tmp_path / 'alerts.db'}", {}
        return
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"kefu_alerts_{os.getpid()}"
    args = {"options": f"-csearch_path={schema}"}
    eng = make_engine(url, connect_args=args)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    _migrate(eng)
    yield url, args
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


@pytest.fixture
def live_engine(store_url):
    url, args = store_url
    eng = make_engine(url, connect_args=args) if args else make_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(live_engine):  # replaces conftest's rolled-back connection: `db` and `world` commit for real
    return sessionmaker(live_engine, expire_on_commit=False)


def _worker(store_url, clock):
    url, args = store_url
    eng = make_engine(url, connect_args=args, pool_size=8) if args else make_engine(url)
    app = create_app(engine=eng, clock=clock, sessionmaker=sessionmaker(eng, expire_on_commit=False),
                     run_worker=False)
    return eng, app


def test_two_workers_raise_one_alert(store_url, db, world, clock):
    (e1, app1), (e2, app2) = _worker(store_url, clock), _worker(store_url, clock)
    headers = world.headers("admin")
    phone = world.customers[0].phone  # 张伟, a known customer calling again and again: no same issue
    start = threading.Barrier(16)

    def post(args):
        client, i = args
        at = clock.now() + timedelta(seconds=20 * i)
        record = {"call_id": f"并发-{i}", "channel": "phone", "category": "login", "customer_phone": phone,
                  "offered_at": at.isoformat(), "outcome": "abandoned"}
        start.wait(timeout=30)
        return client.post(f"{API}/contacts", headers=headers, json=record).status_code

    try:
        with TestClient(app1) as c1, TestClient(app2) as c2, ThreadPoolExecutor(16) as pool:
            codes = list(pool.map(post, [(c1 if i % 2 else c2, i) for i in range(16)]))
    finally:
        e1.dispose()
        e2.dispose()
    assert codes == [201] * 16
    db.expire_all()
    rows = db.scalars(select(Alert)).all()
    (alert,) = rows
    assert (alert.rule_id, alert.level, alert.status) == ("severe", "红色", "open")  # 16 in 5 minutes: > 10
    actions = [a for (a,) in db.execute(select(AlertActivity.action).where(AlertActivity.alert_id == alert.id))]
    assert actions.count("raised") == 1 and actions.count("escalated") <= 1
    # each leader hears of each level at most once, and of the alert exactly once as raised
    told = Counter(db.execute(select(Notification.user_id, Notification.title)).all())
    assert set(told.values()) == {1}
    lead = world.users["team_lead"].id
    assert sum(1 for (uid, title) in told if uid == lead and "上报预警" in title) == 1
