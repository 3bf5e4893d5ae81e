"""Test fixtures: a real store (SQLite always, PostgreSQL when KEFU_TEST_POSTGRES_URL is set) migrated
with Alembic once per run, each test inside its own transaction that is rolled back, a clock the test
moves, and a small Chinese contact center (`world`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from kefu.app import create_app
from kefu.core.clock import FrozenClock
from kefu.core.db import make_engine
from kefu.migrate import alembic_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-23 10:00 in Shanghai
START = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
PG_URL = os.environ.get("KEFU_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _migrate(engine) -> None:
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request, tmp_path_factory):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "kefu-test.db"
        eng = make_engine(f"sqlite:///{path}")
    else:
        url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1) if PG_URL.startswith(
            "postgresql://") else PG_URL
        # a schema of this run's own: two runs on one machine (a developer's and CI's) must not drop each
        # other's tables
        schema = f"kefu_test_{os.getpid()}"
        eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=5)
        with eng.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    _migrate(eng)
    yield eng
    if request.param != "sqlite":
        eng.dispose()
        with eng.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


@pytest.fixture
def connection(engine):
    """One transaction per test, really rolled back on SQLite too.

    pysqlite (Python 3.11) opens a transaction only before DML, so a session's first SAVEPOINT would
    become the outer transaction and its RELEASE a real commit. Autocommit mode plus an explicit
    BEGIN (SQLAlchemy's documented recipe) gives true nesting for the test's lifetime.
    """
    conn = engine.connect()
    sqlite = engine.dialect.name == "sqlite"
    dbapi = conn.connection.driver_connection
    if sqlite:
        dbapi.isolation_level = None
    trans = conn.begin()
    if sqlite:
        conn.exec_driver_sql("BEGIN")
    try:
        yield conn
    finally:
        trans.rollback()
        if sqlite:
            dbapi.isolation_level = ""
        conn.close()


@pytest.fixture
def factory(connection):
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def db(factory) -> Session:
    session = factory()
    yield session
    session.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def app(engine, factory, clock):
    return create_app(engine=engine, clock=clock, sessionmaker=factory, run_worker=False)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


# -- a small center ------------------------------------------------------------
PASSWORD = "客服密码Passw0rd"
_HASH: list[str] = []


def password_hash() -> str:
    if not _HASH:
        from kefu.accounts.security import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass
class World:
    users: dict = field(default_factory=dict)  # role or name -> User
    teams: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)
    customers: list = field(default_factory=list)
    tokens: dict = field(default_factory=dict)  # username -> bearer token

    def headers(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


ROLES = ["trainee", "agent", "team_lead", "complaint_specialist", "supervisor", "analyst", "qa", "listener",
         "admin"]


@pytest.fixture
def world(db, clock) -> World:
    from kefu.accounts.models import Team, User
    from kefu.accounts.service import login
    from kefu.catalog.models import BusinessLine, Category
    from kefu.core.context import Actor
    from kefu.customers.models import Customer
    from kefu.sla.models import SlaCalendar, SlaPolicy

    now = clock.now()
    w = World()
    for code, name in (("waimai", "外卖"), ("reading", "阅读")):
        w.lines[code] = BusinessLine(code=code, name=name)
        db.add(w.lines[code])
    db.flush()
    tree = [("login", "登录访问", None, "severe", "reading"), ("pay", "付费充值", None, "severe", "reading"),
            ("delivery", "配送问题", None, "general", "waimai"),
            ("delivery.late", "超时未送达", "delivery", "general", "waimai"),
            ("refund", "退款问题", None, "general", "waimai"), ("misc", "陆续反馈需排查", None, "intermittent", None)]
    for code, name, parent, cls, line in tree:
        c = Category(code=code, name=name, parent_id=w.categories[parent].id if parent else None,
                     severity_class=cls, business_line_id=w.lines[line].id if line else None)
        db.add(c)
        db.flush()
        w.categories[code] = c
    w.teams["front"] = Team(name="一线客服一组", kind="frontline", created_at=now)
    w.teams["front2"] = Team(name="一线客服二组", kind="frontline", created_at=now)
    w.teams["complaints"] = Team(name="投诉处理组", kind="complaints", created_at=now)
    db.add_all(w.teams.values())
    db.flush()
    names = {"trainee": "小新", "agent": "王小明", "team_lead": "李组长", "complaint_specialist": "赵专员",
             "supervisor": "陈督导", "analyst": "孙分析", "qa": "周质检", "listener": "吴听音", "admin": "管理员"}
    for role in ROLES:
        team = {"complaint_specialist": "complaints", "supervisor": None, "analyst": None, "qa": None,
                "listener": None, "admin": None}.get(role, "front")
        u = User(username=role, display_name=names[role], password_hash=password_hash(), role=role,
                 team_id=w.teams[team].id if team else None, is_active=True, created_at=now)
        db.add(u)
        w.users[role] = u
    lead2 = User(username="lead2", display_name="钱组长", password_hash=password_hash(), role="team_lead",
                 team_id=w.teams["complaints"].id, is_active=True, created_at=now)
    agent2 = User(username="agent2", display_name="刘二", password_hash=password_hash(), role="agent",
                  team_id=w.teams["front"].id, is_active=True, created_at=now)
    db.add_all([lead2, agent2])
    w.users["lead2"], w.users["agent2"] = lead2, agent2
    db.flush()
    w.teams["front"].leader_id = w.users["team_lead"].id
    w.teams["complaints"].leader_id = lead2.id
    for name, phone, role in (("张伟", "13812345678", "consumer"), ("王芳", "13998765432", "merchant"),
                              ("李娜", "15011112222", "rider")):
        c = Customer(name=name, phone=phone, role=role, email=f"{phone}@example.cn", address="北京市朝阳区建国路88号",
                     id_number="110101199003071234", created_at=now, updated_at=now)
        db.add(c)
        w.customers.append(c)
    always = SlaCalendar(name="全天候", timezone="Asia/Shanghai", always_open=True, hours={}, holidays=[],
                         extra_workdays=[])
    db.add(always)
    db.flush()
    db.add(SlaPolicy(name="默认72小时", first_response_seconds=4 * 3600, resolution_seconds=72 * 3600,
                     calendar_id=always.id))
    db.add(SlaPolicy(name="外部投诉24小时", complaint_type="external", first_response_seconds=3600,
                     resolution_seconds=24 * 3600, calendar_id=always.id))
    db.flush()
    for username, user in w.users.items():
        w.tokens[username] = login(db, actor=Actor.system(now), user=user, kind="api", ip="10.0.0.1",
                                   user_agent="pytest", hours=12).token
    db.commit()
    return w
