"""Where a bulk contact batch spends its time, in-process (no HTTP): ``service.ingest_json`` on the same
10,000-record bodies ``contacts_bench.py`` sends, one session and commit per body, as the endpoint does.

    .venv/bin/python bench/profile_contacts.py --backend sqlite --records 50000
    .venv/bin/python bench/profile_contacts.py --backend postgresql --records 50000 --profile   # + top functions
    .venv/bin/python bench/profile_contacts.py --backend postgresql --records 50000 --listener  # + a listener

The production listeners (alert counts, KPI rollups) run as in the server; ``--phases`` times them too.

Uses a fresh database of its own (bench/.work/profile-contacts.db, or kefu_bench_contacts on 127.0.0.1, which
``contacts_bench.py`` also rebuilds). Not run by the tests; nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import contacts_bench  # noqa: E402

BACKEND: list[int] = []  # PostgreSQL: the pid of the backend serving the batch, for the phases' database CPU


def _time_phases(service) -> tuple[dict, dict]:
    """Wrap the service's steps (whichever of these names it has) to add up this process's CPU time in them (on
    SQLite that includes the database's work; the wall clock of a shared machine says little), and on PostgreSQL
    the backend's CPU time in them (``BACKEND``; read from /proc, at the kernel's tick: 10 ms, summed over batches)."""
    spent: dict[str, float] = {}
    backend: dict[str, float] = {}

    def wrap(owner, name):
        fn = getattr(owner, name)

        def timed(*a, **kw):
            t, b = time.process_time(), _cpu_of(BACKEND[0] if BACKEND else None)
            try:
                return fn(*a, **kw)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t
                backend[name] = backend.get(name, 0.0) + _cpu_of(BACKEND[0] if BACKEND else None) - b
        setattr(owner, name, timed)

    for name in ("read_bulk", "_lookups", "_rows", "store"):
        if hasattr(service, name):
            wrap(service, name)
    for name in ("insert_customers", "insert_contacts"):
        wrap(service.writer, name)
    wrap(service, "_Customers")  # finding (and locking) the callers
    from kefu.contacts import events

    for i, fn in enumerate(events.NEW):  # the listeners, by name
        def timed(session, facts, fn=fn, name=f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"):
            t, b = time.process_time(), _cpu_of(BACKEND[0] if BACKEND else None)
            try:
                return fn(session, facts)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - t
                backend[name] = backend.get(name, 0.0) + _cpu_of(BACKEND[0] if BACKEND else None) - b
        events.NEW[i] = timed
    return spent, backend


def _backend_pid(engine) -> int | None:
    """The PostgreSQL backend the pool's (single) connection talks to, to read its CPU time."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def _cpu_of(pid: int | None) -> float:
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--customers", type=int, default=200_000, help="customers stored before the run")
    ap.add_argument("--returning", type=float, default=0.7, help="share of calls from those customers")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="tottime", help="--profile: order of the listing (tottime, cumulative…)")
    ap.add_argument("--top", type=int, default=30, help="--profile: functions listed")
    ap.add_argument("--phases", action="store_true", help="CPU ms per batch in the service's steps and each listener")
    ap.add_argument("--listener", action="store_true", help="register a trivial on_new listener")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE.parent / "src"))
    import kefu.app  # noqa: F401  (the listeners the server has: alert counts, KPI rollups)
    from kefu.contacts import events, service
    from kefu.core.db import make_engine, make_sessionmaker

    url = contacts_bench.fresh_database(args.backend)
    contacts_bench.seed(url, args.customers)
    recs, _ = contacts_bench.records(args.records, args.customers, args.returning)
    bodies = [json.dumps({"contacts": recs[i:i + args.batch]}, ensure_ascii=False).encode()
              for i in range(0, len(recs), args.batch)]
    heard = []
    if args.listener:
        events.on_new(lambda session, facts: heard.append(len(facts)))
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    phases, backend_phases = _time_phases(service) if args.phases else (None, None)
    prof = cProfile.Profile() if args.profile else None
    times = []
    cpu = time.process_time()
    server_cpu = 0.0
    for body in bodies:
        pid = _backend_pid(engine)
        BACKEND[:] = [pid] if pid else []
        before = _cpu_of(pid)
        t = time.perf_counter()
        if prof:
            prof.enable()
        with sessions() as session:
            result = service.ingest_json(session, body, now=datetime.now(UTC))
            session.commit()
        if prof:
            prof.disable()
        times.append(time.perf_counter() - t)
        server_cpu += _cpu_of(pid) - before
        assert not result.errors, result.errors[:3]
    total, cpu = sum(times), time.process_time() - cpu
    line = (f"{args.backend}: {args.records:,} records, {total:.2f} s, {args.records / total:,.0f}/s; a batch "
            + " ".join(f"{t * 1000:.0f}" for t in times) + " ms")
    line += f"; CPU a batch: this process {cpu * 1000 / len(bodies):.0f} ms"
    if pid:
        line += f", the PostgreSQL backend {server_cpu * 1000 / len(bodies):.0f} ms"
    if args.listener:
        line += f"; heard {sum(heard):,}"
    print(line)
    if phases is not None:
        print("  CPU ms per batch, this process: "
              + ", ".join(f"{k} {v * 1000 / len(bodies):.0f}" for k, v in phases.items()))
        if pid:
            print("  CPU ms per batch, the PostgreSQL backend: "
                  + ", ".join(f"{k} {v * 1000 / len(bodies):.0f}" for k, v in backend_phases.items()))
    if prof:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    engine.dispose()


if __name__ == "__main__":
    main()
