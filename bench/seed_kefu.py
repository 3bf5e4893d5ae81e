"""Seed a kefu database with N realistic Chinese tickets for the benchmarks.

    .venv/bin/python bench/seed_kefu.py --backend sqlite --tickets 1000000
    .venv/bin/python bench/seed_kefu.py --backend postgresql --tickets 1000000

SQLite goes to bench/.work/kefu-sqlite.db; PostgreSQL to the database ``kefu_bench`` on
postgresql+psycopg://postgres@127.0.0.1/ (dropped and re-created). The schema comes from
``kefu.migrate.upgrade``; the tickets are bulk-inserted with SQLAlchemy Core executemany in chunks,
through the real full-text objects (the FTS5 triggers on SQLite, the GIN index on PostgreSQL; with
--fast-index they are rebuilt once after the load instead, which gives the same index).
Logins for the bench: every user's password is ``bench-Passw0rd``; agents are agent001..agent300,
team leads lead01..lead15.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402

WORK = HERE / ".work"
PASSWORD = "bench-Passw0rd"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1/kefu_bench"
N_TEAMS, AGENTS_PER_TEAM = 15, 20  # 300 agents
N_CUSTOMERS = 50_000

LINES = [("waimai", "外卖"), ("reading", "阅读")]
# code, name, parent, business line
CATEGORIES = [
    ("after_sale", "售后问题", None, "waimai"), ("refund", "退款问题", "after_sale", "waimai"),
    ("food", "餐品问题", "after_sale", "waimai"), ("coupon", "优惠活动", "after_sale", "waimai"),
    ("invoice", "发票问题", "after_sale", "waimai"),
    ("delivery", "配送问题", None, "waimai"), ("rider", "骑手服务", "delivery", "waimai"),
    ("delivery.late", "超时未送达", "delivery", "waimai"), ("merchant", "商家问题", "delivery", "waimai"),
    ("account", "账号问题", None, "reading"), ("login", "登录访问", "account", "reading"),
    ("pay", "付费充值", "account", "reading"), ("stolen", "账号安全", "account", "reading"),
    ("safety", "安全与隐私", None, None), ("privacy", "隐私保护", "safety", None),
    ("food_safety", "食品安全", "safety", "waimai"), ("complaint", "投诉升级", None, None),
]
ISSUE_CATEGORY = ["refund", "rider", "delivery.late", "food", "pay", "login", "coupon", "invoice", "merchant",
                  "privacy", "food_safety", "stolen", "complaint"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍鹏辉玲飞红"
CHANNELS = (["phone"] * 35 + ["chat"] * 30 + ["wechat"] * 15 + ["self_service"] * 8 + ["email"] * 5
            + ["weibo"] * 3 + ["regulator"] * 2 + ["internal"] * 2)
PRIORITIES = ["low"] * 15 + ["normal"] * 60 + ["high"] * 20 + ["urgent"] * 5


def url_for(backend: str, path: Path | None = None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{path or WORK / 'kefu-sqlite.db'}"
    return PG_URL


def fresh_database(backend: str, url: str) -> None:
    if backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS kefu_bench WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE kefu_bench"))
    admin.dispose()


def person(rnd: random.Random) -> str:
    return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.randint(1, 2)))


def seed_world(conn, rnd: random.Random, now: datetime) -> dict:
    from kefu.accounts.models import Team, User
    from kefu.accounts.security import hash_password
    from kefu.catalog.models import BusinessLine, Category
    from kefu.customers.models import Customer
    from kefu.sla.models import SlaCalendar, SlaPolicy

    pw = hash_password(PASSWORD)
    line_ids = {}
    for code, name in LINES:
        line_ids[code] = conn.execute(insert(BusinessLine).values(code=code, name=name, is_active=True)
                                      .returning(BusinessLine.id)).scalar_one()
    cat_ids: dict[str, int] = {}
    for i, (code, name, parent, line) in enumerate(CATEGORIES):
        cat_ids[code] = conn.execute(insert(Category).values(
            code=code, name=name, parent_id=cat_ids[parent] if parent else None,
            severity_class="severe" if code in ("food_safety", "stolen", "privacy") else "general",
            business_line_id=line_ids[line] if line else None, sort_order=i, is_active=True)
            .returning(Category.id)).scalar_one()
    teams, agents, leads = [], [], []
    for t in range(N_TEAMS):
        kind = "complaints" if t == N_TEAMS - 1 else "frontline"
        name = "投诉处理组" if kind == "complaints" else f"一线客服{t + 1}组"
        tid = conn.execute(insert(Team).values(name=name, kind=kind, created_at=now).returning(Team.id)).scalar_one()
        teams.append(tid)
        lead = conn.execute(insert(User).values(
            username=f"lead{t + 1:02d}", display_name=person(rnd) + "组长", password_hash=pw, role="team_lead",
            team_id=tid, is_active=True, created_at=now).returning(User.id)).scalar_one()
        leads.append(lead)
        conn.execute(text("UPDATE teams SET leader_id = :l WHERE id = :t"), {"l": lead, "t": tid})
        role = "complaint_specialist" if kind == "complaints" else "agent"
        rows = [dict(username=f"agent{t * AGENTS_PER_TEAM + a + 1:03d}", display_name=person(rnd), password_hash=pw,
                     role=role, team_id=tid, is_active=True, created_at=now) for a in range(AGENTS_PER_TEAM)]
        ids = conn.execute(insert(User).returning(User.id), rows).scalars().all()
        agents.extend((uid, tid) for uid in ids)
    for username, role in (("supervisor", "supervisor"), ("admin", "admin")):
        conn.execute(insert(User).values(username=username, display_name=person(rnd), password_hash=pw, role=role,
                                         team_id=None, is_active=True, created_at=now))
    customers = [dict(name=person(rnd), role=rnd.choice(["consumer"] * 8 + ["merchant", "rider"]),
                      phone=f"1{rnd.choice('3578')}{rnd.randint(0, 999999999):09d}", email=None,
                      address=rnd.choice(corpus.CITIES) + f"{rnd.randint(1, 300)}号", id_number=None,
                      created_at=now, updated_at=now) for _ in range(N_CUSTOMERS)]
    conn.execute(insert(Customer), customers)
    first_customer = conn.execute(text("SELECT min(id) FROM customers")).scalar_one()
    cal = conn.execute(insert(SlaCalendar).values(name="全天候", timezone="Asia/Shanghai", always_open=True, hours={},
                                                  holidays=[], extra_workdays=[]).returning(SlaCalendar.id)).scalar_one()
    conn.execute(insert(SlaPolicy).values(name="默认72小时", first_response_seconds=4 * 3600,
                                          resolution_seconds=72 * 3600, calendar_id=cal, rank=0, is_active=True))
    conn.execute(insert(SlaPolicy).values(name="外部投诉24小时", complaint_type="external", first_response_seconds=3600,
                                          resolution_seconds=24 * 3600, calendar_id=cal, rank=10, is_active=True))
    cat_line = {code: (line_ids[line] if line else None) for code, _, _, line in CATEGORIES}
    return dict(agents=agents, leads=leads, teams=teams, cat_ids=cat_ids, cat_line=cat_line,
                customers=(first_customer, first_customer + N_CUSTOMERS - 1))


def ticket_rows(rnd: random.Random, world: dict, n: int, now: datetime, start_index: int):
    from kefu.tickets.models import queue_keys
    from kefu.tickets.search import index_text

    year = 365 * 86400
    lo, hi = world["customers"]
    for i in range(start_index, start_index + n):
        issue, subject, description = corpus.ticket_text(rnd)
        # uniform over a year, with a few more in the last days (today's and yesterday's queue)
        age = rnd.random() * year if rnd.random() > 0.03 else rnd.random() * 3 * 86400
        created = now - timedelta(seconds=age)
        days = age / 86400
        p_active = 0.7 if days < 3 else 0.15 if days < 14 else 0.004
        if rnd.random() < p_active:
            status = rnd.choices(["new", "open", "pending", "escalated"], weights=[10, 60, 20, 10])[0]
        else:
            status = rnd.choices(["resolved", "closed"], weights=[20, 80])[0]
        tier = 1 if status != "escalated" else rnd.choice([2, 2, 2, 3])
        complaint = "none" if rnd.random() < 0.9 else rnd.choice(["internal", "external"])
        agent_id, team_id = rnd.choice(world["agents"])
        if tier == 2:
            agent_id, team_id = world["leads"][world["teams"].index(team_id)], team_id
        elif tier == 3:
            agent_id, team_id = None, world["teams"][-1]
        elif status == "new":
            agent_id = None
        code = ISSUE_CATEGORY[issue]
        res_hours = 24 if complaint == "external" else 72
        fr_hours = 1 if complaint == "external" else 4
        fr_due = created + timedelta(hours=fr_hours)
        res_due = created + timedelta(hours=res_hours)
        done = status in ("resolved", "closed")
        fr_at = created + timedelta(minutes=rnd.randint(1, 300)) if (done or status != "new") else None
        resolved_at = created + timedelta(hours=rnd.uniform(0.5, 90)) if done else None
        fr_breached = fr_at is not None and fr_at > fr_due or (fr_at is None and now > fr_due)
        res_breached = (resolved_at > res_due) if done else now > res_due
        sla = ("missed" if res_breached else "met") if done else (
            "paused" if status == "pending" else "breached" if (res_breached or fr_breached) else "on_track")
        priority = rnd.choice(PRIORITIES)
        res_due_at = None if status == "pending" else res_due
        yield dict(
            subject=subject, description=description, customer_id=rnd.randint(lo, hi),
            business_line_id=world["cat_line"][code], category_id=world["cat_ids"][code],
            channel=rnd.choice(CHANNELS), priority=priority, status=status, tier=tier,
            complaint_type=complaint, assignee_id=agent_id, team_id=team_id, origin_team_id=team_id,
            merged_into_id=None, created_by_id=agent_id, created_at=created,
            updated_at=resolved_at or created, resolved_at=resolved_at,
            closed_at=resolved_at + timedelta(days=3) if status == "closed" else None,
            sla_policy_id=None, first_response_due_at=fr_due, first_response_at=fr_at,
            first_response_seconds=(fr_at - created).total_seconds() if fr_at else None,
            resolution_due_at=res_due_at,
            sla_paused_since=created + timedelta(hours=2) if status == "pending" else None,
            sla_paused_seconds=0.0, sla_status=sla, first_response_breached=fr_breached,
            resolution_breached=res_breached, search_text=index_text(subject, description),
            **queue_keys(status, priority, res_due_at),  # the stored queue columns (migration 0002)
        )


def make_chunk(seed: int, chunk: tuple[int, int], world: dict, now: datetime) -> list[dict]:
    index, n = chunk
    return list(ticket_rows(random.Random(seed * 1_000_003 + index), world, n, now, 0))


def insert_chunk(engine, table, rows: list[dict]) -> int:
    with engine.begin() as conn:
        conn.execute(insert(table), rows)
    return len(rows)


def report(done: int, t1: float) -> None:
    el = time.perf_counter() - t1
    print(f"  {done:>9,} tickets  {el:7.1f} s  {done / el:8.0f}/s", flush=True)


def drop_search_objects(conn, backend: str) -> None:
    if backend == "sqlite":
        conn.execute(text("DROP TRIGGER IF EXISTS tickets_fts_ai"))
    else:
        conn.execute(text("DROP INDEX IF EXISTS ix_tickets_search_vector"))  # the GIN index (the stored
        # search_vector column itself stays: it is computed per inserted row, as in production)


def rebuild_search_objects(conn, backend: str) -> None:
    from kefu.tickets.queries import POSTGRES_FTS, SQLITE_FTS

    if backend == "sqlite":
        conn.execute(text("INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')"))
        conn.exec_driver_sql(SQLITE_FTS[1])
    else:
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for statement in POSTGRES_FTS:  # the column exists already (IF NOT EXISTS); builds the GIN index
            conn.exec_driver_sql(statement)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--chunk", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--fast-index", action="store_true",
                    help="load without the full-text trigger/index and build it once at the end")
    ap.add_argument("--jobs", type=int, default=1, help="processes generating ticket text")
    args = ap.parse_args()

    from kefu.core.db import make_engine
    from kefu.migrate import upgrade
    from kefu.tickets.models import Ticket

    url = url_for(args.backend)
    t0 = time.perf_counter()
    fresh_database(args.backend, url)
    upgrade(url)
    engine = make_engine(url)
    rnd = random.Random(args.seed)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        world = seed_world(conn, rnd, now)
    print(f"world: {len(world['agents'])} agents, {len(world['leads'])} leads, {N_CUSTOMERS} customers, "
          f"{len(world['cat_ids'])} categories ({time.perf_counter() - t0:.1f} s)", flush=True)
    if args.fast_index:
        with engine.begin() as conn:
            drop_search_objects(conn, args.backend)
    table = Ticket.__table__
    done, t1 = 0, time.perf_counter()
    chunks = [(i, min(args.chunk, args.tickets - start)) for i, start in
              enumerate(range(0, args.tickets, args.chunk))]
    # text generation (kefu's index_text is ~0.2 ms a ticket) runs in --jobs processes while this one inserts
    with ProcessPoolExecutor(args.jobs) as pool:
        pending = deque()
        for chunk in chunks:
            pending.append(pool.submit(make_chunk, args.seed, chunk, world, now))
            if len(pending) <= args.jobs:
                continue
            done += insert_chunk(engine, table, pending.popleft().result())
            report(done, t1)
        while pending:
            done += insert_chunk(engine, table, pending.popleft().result())
            report(done, t1)
    t2 = time.perf_counter()
    if args.fast_index:
        with engine.begin() as conn:
            rebuild_search_objects(conn, args.backend)
        print(f"full-text index built in {time.perf_counter() - t2:.1f} s", flush=True)
    if args.backend == "postgresql":  # autovacuum would analyze PostgreSQL anyway
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:  # what kefu's worker does at start (and `kefu db analyze`): SQLite's sampled planner statistics
        from kefu.core.db import refresh_planner_statistics

        refresh_planner_statistics(engine)
    engine.dispose()
    print(f"seeded {args.tickets:,} tickets on {args.backend} in {time.perf_counter() - t0:.1f} s "
          f"(tickets {t2 - t1:.1f} s) -> {url}", flush=True)


if __name__ == "__main__":
    main()
