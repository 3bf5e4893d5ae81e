"""Contact ingest benchmark: CDRs through ``POST /api/v1/contacts/bulk`` against the database's own fastest
path for the same rows, in one run.

    .venv/bin/python bench/contacts_bench.py --backend sqlite     --records 200000
    .venv/bin/python bench/contacts_bench.py --backend postgresql --records 200000

(a) kefu: a fresh database (bench/.work/contacts-sqlite.db, or database kefu_bench_contacts on 127.0.0.1)
    holding ``--customers`` customers already (the center's callers so far), one ``kefu serve --workers 1``
    (KEFU_WORKER_IN_SERVE=false: no timer thread; the contact listeners of production, alert counts and KPI
    rollups, run on every batch as they do in any server), one keep-alive client POSTing 10,000-record
    batches (Chinese names, categories, agents, queues) built before the clock starts. ``--returning`` of
    the calls come from those customers, the rest from callers new to the center (a new caller calls 1-3
    times in the run). Everything the API does counts: HTTP, JSON, checking each record, matching callers,
    creating new ones, the insert, the listeners, commit.
(b) ceiling: the rows kefu stored, read back as the driver hands them, written into a fresh copy of the
    table (same columns, unique key and indexes; like ``contacts`` since migration 0013, no foreign keys) by
    the driver alone, 10,000 rows per commit: ``executemany`` on SQLite, binary ``COPY`` on PostgreSQL (the
    faster of psycopg's two COPY formats, as kefu uses).
Prints both rates and their ratio, and the CPU each side spent per batch (from /proc: the HTTP client, the
server process and the PostgreSQL backends serving it; the ceiling's client and its backend), which depends
far less on the shared machine's other load than the wall clock; writes bench/.work/contacts-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Column, Index, MetaData, Table, UniqueConstraint, insert, text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
PG_URL = os.environ.get("KEFU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1/kefu_bench_contacts")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
            "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍鹏红建飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣佳颖雪梅琳晨阳倩婷"
QUEUES = ["外卖热线", "外卖骑手专线", "商家热线", "到店团购", "阅读会员", "出行专线"]
CATEGORIES = [("delivery", "配送问题", "waimai"), ("delivery.late", "超时未送达", "waimai"),
              ("refund", "退款问题", "waimai"), ("merchant", "商家入驻", "waimai"), ("login", "登录访问", "reading"),
              ("pay", "付费充值", "reading"),
              ("ride", "行程问题", "chuxing"), ("misc", "陆续反馈需排查", None)]
LINES = [("waimai", "外卖"), ("reading", "阅读"), ("chuxing", "出行")]
SHANGHAI = "+08:00"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _create_database(url: str) -> None:
    """The bench database, created on first use (through the server's ``postgres`` database)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def fresh_database(backend: str) -> str:
    from kefu.core.db import make_engine
    from kefu.migrate import upgrade

    WORK.mkdir(exist_ok=True)
    if backend == "sqlite":
        path = WORK / "contacts-sqlite.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = PG_URL
        _create_database(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def phone_of(caller: int) -> str:
    return f"1{'3589'[caller % 4]}{caller:09d}"


def seed(url: str, customers: int = 0) -> str:
    """Business lines, categories, 200 agents and an admin; the API key the telephony system would use; and
    ``customers`` customers (callers 0 … customers-1) with their phone numbers."""
    from kefu.accounts.models import User
    from kefu.accounts.security import hash_password
    from kefu.accounts.service import create_api_key
    from kefu.catalog.models import BusinessLine, Category
    from kefu.core.context import Actor
    from kefu.core.db import make_engine, make_sessionmaker

    now = datetime.now(UTC)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        lines = {}
        for code, name in LINES:
            lines[code] = BusinessLine(code=code, name=name)
            session.add(lines[code])
        session.flush()
        for code, name, line in CATEGORIES:
            session.add(Category(code=code, name=name, severity_class="general",
                                 business_line_id=lines[line].id if line else None))
        pw = hash_password("bench-only-password")
        session.execute(insert(User), [{"username": f"agent{i:03d}", "display_name": f"坐席{i:03d}",
                                        "password_hash": pw, "role": "agent", "is_active": True, "created_at": now}
                                       for i in range(200)])
        admin = User(username="telephony", display_name="呼叫中心接口", password_hash=pw, role="admin",
                     is_active=True, created_at=now)
        session.add(admin)
        session.flush()
        secret, _ = create_api_key(session, actor=Actor.system(now), name="呼叫中心CDR", user=admin)
        session.commit()
    from kefu.customers.models import Customer

    rnd = random.Random(5)
    with engine.begin() as conn:
        for lo in range(0, customers, 50_000):
            conn.execute(insert(Customer), [
                {"name": rnd.choice(SURNAMES) + rnd.choice(GIVEN), "role": "consumer", "phone": phone_of(i),
                 "created_at": now, "updated_at": now} for i in range(lo, min(customers, lo + 50_000))])
    engine.dispose()
    return secret


def records(n: int, customers: int, returning: float, seed_: int = 11) -> tuple[list[dict], int]:
    """``n`` records, ``returning`` of them from the ``customers`` stored before the run; the others from new
    callers, each calling 1-3 times; and how many new callers there are."""
    rnd = random.Random(seed_)
    new_calls = round(n * (1 - returning)) if customers else n
    callers: list[int] = []  # the new callers' numbers, one entry per call
    fresh = customers
    while len(callers) < new_calls:
        callers += [fresh] * rnd.choice((1, 1, 1, 2, 3))
        fresh += 1
    callers = callers[:new_calls] + [rnd.randrange(customers) for _ in range(n - new_calls)]
    rnd.shuffle(callers)
    start = datetime(2026, 11, 1, 0, 0)
    out = []
    for i in range(n):
        caller = callers[i]
        at = start + timedelta(seconds=i * 13 + rnd.randrange(13))
        abandoned = rnd.random() < 0.12
        name = SURNAMES[caller % len(SURNAMES)] + GIVEN[caller // len(SURNAMES) % len(GIVEN)]
        rec = {"call_id": f"CDR-{i:08d}", "channel": "phone", "customer_phone": phone_of(caller),
               "customer_name": name, "queue": rnd.choice(QUEUES),
               "offered_at": at.isoformat() + SHANGHAI, "outcome": "abandoned" if abandoned else "answered",
               "category": rnd.choice(CATEGORIES)[0]}
        if not abandoned:
            answered = at + timedelta(seconds=rnd.randrange(3, 90))
            ended = answered + timedelta(seconds=rnd.randrange(30, 900))
            rec.update(answered_at=answered.isoformat() + SHANGHAI, ended_at=ended.isoformat() + SHANGHAI,
                       agent=f"agent{rnd.randrange(200):03d}", hold_seconds=rnd.choice((0, 0, 0, 15, 40)),
                       wrap_seconds=rnd.randrange(5, 60))
        out.append(rec)
    return out, len({c for c in callers if c >= customers})


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (not this monitoring query's)."""
    from kefu.core.db import make_engine

    if not url.startswith("postgresql"):
        return []
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).scalars())
    finally:
        engine.dispose()


class CpuMeter:
    """CPU seconds spent by given processes between ``start`` and ``stop``: a figure that, unlike the wall
    clock, hardly depends on what else the shared machine runs meanwhile."""

    def __init__(self) -> None:
        self.before: dict[int, float] = {}
        self.spent = 0.0

    def start(self, pids: list[int]) -> None:
        self.before = {pid: _cpu_seconds(pid) for pid in pids}

    def stop(self, pids: list[int]) -> float:
        self.spent = sum(_cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in set(pids) | set(self.before))
        return self.spent


def api_run(url: str, secret: str, bodies: list[bytes], expected: int, listener: bool = False) -> dict:
    port = free_port()
    env = {**os.environ, "KEFU_DATABASE_URL": url, "KEFU_WORKER_IN_SERVE": "false", "KEFU_LOG_LEVEL": "WARNING"}
    kefu = [str(ROOT / ".venv/bin/kefu")]
    heard = WORK / "heard.txt"
    if listener:
        kefu = [str(ROOT / ".venv/bin/python"), str(HERE / "serve_listening.py")]
        env["KEFU_BENCH_HEARD"] = str(heard)
        heard.unlink(missing_ok=True)
    proc = subprocess.Popen([*kefu, "serve", "--workers", "1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start") from None
                time.sleep(0.3)
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        created = duplicates = 0
        per_batch = []
        server, database, own = CpuMeter(), CpuMeter(), CpuMeter()
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            client.get("/healthz")  # the pool's connection open before the clock starts
            own.start([os.getpid()])
            server.start([proc.pid])
            database.start(_backends(url))
            t0 = time.perf_counter()
            for body in bodies:
                t = time.perf_counter()
                r = client.post("/api/v1/contacts/bulk", content=body)
                r.raise_for_status()
                per_batch.append(time.perf_counter() - t)
                answer = r.json()
                assert not answer["errors"], answer["errors"][:3]
                created, duplicates = created + answer["created"], duplicates + answer["duplicates"]
            seconds = time.perf_counter() - t0
            own.stop([os.getpid()])
            server.stop([proc.pid])
            database.stop(_backends(url))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert created == expected, (created, expected)
    if listener:  # the listener heard each new contact once
        assert int(heard.read_text()) == expected, (heard.read_text(), expected)
    return {"seconds": seconds, "rate": expected / seconds, "created": created, "duplicates": duplicates,
            "batch_seconds_min": min(per_batch), "batch_seconds_max": max(per_batch),
            "cpu_client": own.spent, "cpu_server": server.spent, "cpu_database": database.spent}


def ceiling_run(url: str, backend: str, batch: int, binary: bool = True) -> dict:
    from sqlalchemy.dialects import postgresql

    from kefu.contacts.models import Contact
    from kefu.core.db import make_engine

    table = Contact.__table__
    columns = [c.name for c in table.columns if not c.primary_key]
    names = {"VARCHAR": "text", "INTEGER": "int4", "BIGINT": "int8", "SMALLINT": "int2",
             "TIMESTAMP WITH TIME ZONE": "timestamptz"}  # binary COPY: each column's type
    types = [names[table.c[c].type.compile(dialect=postgresql.dialect()).split("(")[0]] for c in columns]
    md = MetaData()
    Table("contacts_ceiling", md, *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
                                    for c in table.columns),
          UniqueConstraint("channel", "external_id", name="uq_ceiling_channel_external"),
          *(Index(ix.name.replace("ix_contacts", "ix_ceiling"), *[c.name for c in ix.columns]) for ix in table.indexes))
    engine = make_engine(url)
    md.drop_all(engine)
    md.create_all(engine)
    col_list = ", ".join(columns)
    with engine.connect() as conn:  # the stored rows, as the driver hands them back
        rows = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {col_list} FROM contacts ORDER BY id")]
    raw = engine.raw_connection()
    client, database = CpuMeter(), CpuMeter()
    try:
        cur = raw.cursor()
        backend_pid = []
        if backend == "postgresql":
            cur.execute("SELECT pg_backend_pid()")
            backend_pid = [cur.fetchone()[0]]
            raw.commit()
        client.start([os.getpid()])
        database.start(backend_pid)
        t0 = time.perf_counter()
        for i in range(0, len(rows), batch):
            chunk = rows[i:i + batch]
            if backend == "sqlite":
                cur.executemany(f"INSERT INTO contacts_ceiling ({col_list}) VALUES ({', '.join('?' * len(columns))})",
                                chunk)
            else:
                with cur.copy(f"COPY contacts_ceiling ({col_list}) FROM STDIN"
                              + (" (FORMAT BINARY)" if binary else "")) as copy:
                    if binary:
                        copy.set_types(types)
                    for row in chunk:
                        copy.write_row(row)
            raw.commit()
        seconds = time.perf_counter() - t0
        client.stop([os.getpid()])
        database.stop(backend_pid)
        cur.execute("SELECT count(*) FROM contacts_ceiling")
        assert cur.fetchone()[0] == len(rows)
    finally:
        raw.close()
        md.drop_all(engine)
        engine.dispose()
    return {"seconds": seconds, "rate": len(rows) / seconds, "rows": len(rows),
            "method": "executemany" if backend == "sqlite" else "binary COPY" if binary else "text COPY",
            "cpu_client": client.spent, "cpu_database": database.spent}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--customers", type=int, default=200_000, help="customers stored before the run")
    ap.add_argument("--returning", type=float, default=0.7,
                    help="share of the calls from customers stored before the run (the rest: new callers)")
    ap.add_argument("--listener", action="store_true",
                    help="the server runs with a trivial contacts.events.on_new listener (bench/serve_listening.py)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    url = fresh_database(args.backend)
    secret = seed(url, args.customers)
    recs, new_callers = records(args.records, args.customers, args.returning)
    bodies = [json.dumps({"contacts": recs[i:i + args.batch]}, ensure_ascii=False).encode()
              for i in range(0, len(recs), args.batch)]
    load = os.getloadavg()
    print(f"{args.backend}: {args.records:,} records in {len(bodies)} bodies of ~{len(bodies[0]) / 1e6:.1f} MB; "
          f"{args.customers:,} customers stored, {args.returning:.0%} of calls from them, {new_callers:,} new callers; "
          f"nproc {os.cpu_count()}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    api = api_run(url, secret, bodies, args.records, args.listener)
    name = "API  POST /contacts/bulk" + (" +listener" if args.listener else "")
    print(f"  {name}  {api['rate']:>9,.0f} contacts/s  ({api['seconds']:.1f} s; a batch "
          f"{api['batch_seconds_min']:.2f}-{api['batch_seconds_max']:.2f} s)")
    ceiling = ceiling_run(url, args.backend, args.batch)
    print(f"  ceiling {ceiling['method']:<16} {ceiling['rate']:>9,.0f} rows/s      ({ceiling['seconds']:.1f} s)")
    ratio = api["rate"] / ceiling["rate"]
    per = 1000 * args.batch / args.records  # CPU ms per batch of --batch records
    api_cpu, ceiling_cpu = api["cpu_server"] + api["cpu_database"], ceiling["cpu_client"] + ceiling["cpu_database"]
    print(f"  CPU ms per {args.batch:,}: API server {api['cpu_server'] * per:.0f} + database "
          f"{api['cpu_database'] * per:.0f} = {api_cpu * per:.0f} (+ HTTP client {api['cpu_client'] * per:.0f}); "
          f"ceiling client {ceiling['cpu_client'] * per:.0f} + database {ceiling['cpu_database'] * per:.0f} = "
          f"{ceiling_cpu * per:.0f}; ceiling / API CPU {ceiling_cpu / api_cpu:.1%} "
          f"(with the HTTP client {ceiling_cpu / (api_cpu + api['cpu_client']):.1%})")
    text_copy = None
    if args.backend == "postgresql":  # the ceiling the runs before 2026-12-04 measured against, for comparison
        text_copy = ceiling_run(url, args.backend, args.batch, binary=False)
        print(f"  (was: {text_copy['method']:<16} {text_copy['rate']:>9,.0f} rows/s "
              f"({text_copy['seconds']:.1f} s); API / text COPY {api['rate'] / text_copy['rate']:.1%})")
    load = os.getloadavg()
    print(f"  ratio API / ceiling: {ratio:.1%}   (load after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    out = WORK / f"contacts-{args.backend}{'-listener' if args.listener else ''}.json"
    out.write_text(json.dumps({"api": api, "ceiling": ceiling, "ratio": ratio, "records": args.records,
                               "listener": args.listener, "text_copy": text_copy, "customers": args.customers,
                               "returning": args.returning, "new_callers": new_callers,
                               "at": datetime.now(UTC).isoformat()}, indent=2))


if __name__ == "__main__":
    main()
