"""Where a knowledge-base search's time goes, on a store already holding the bench's generated articles
(``bench/kb_bench.py``): the statements one search sends (round trips), the server's plan and time for each
(``EXPLAIN ANALYZE`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite), and this process's time per stage.

    .venv/bin/python bench/kb_profile.py --url postgresql+psycopg://postgres@127.0.0.1/test --schema kb_bench
    .venv/bin/python bench/kb_profile.py --url sqlite:////tmp/w8/bench.db
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.kb.queries

from sqlalchemy import event, text  # noqa: E402
from tests.kb.queries import QUERIES  # noqa: E402

from kefu.core.db import make_engine, make_sessionmaker  # noqa: E402
from kefu.kb import search  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--schema", default=None, help="PostgreSQL schema holding the bench's tables")
    ap.add_argument("--query", default="外卖超时了想退钱")
    args = ap.parse_args()
    kw = {"connect_args": {"options": f"-csearch_path={args.schema}"}} if args.schema else {}
    engine = make_engine(args.url, **kw)
    statements: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    fetch = search._fetch  # the index rows are read from the driver's cursor, which the event does not see

    def _counted(session, sql, params):
        statements.append((sql, params))
        return fetch(session, sql, params)

    search._fetch = _counted
    factory = make_sessionmaker(engine)
    with factory() as s:
        for q, _ in QUERIES[:20]:
            search.search(s, q, limit=10)
        statements.clear()
        search.search(s, args.query, limit=10)
        print(f"{args.query!r}: {len(statements)} statements")
        trips = list(statements)
        for i, (stmt, params) in enumerate(trips, 1):
            print(f"-- statement {i}: {stmt[:160].strip()!r}… ({len(stmt)} characters)")
            if engine.dialect.name == "postgresql":
                plan = fetch(s, "EXPLAIN (ANALYZE, BUFFERS) " + stmt, params)
                for (line,) in plan:
                    if any(k in line for k in ("Planning Time", "Execution Time")) or "Limit" in line[:40]:
                        print("   ", line)
            else:
                plan = fetch(s, "EXPLAIN QUERY PLAN " + stmt, params)
                for row in plan[:12]:
                    print("   ", row[-1])
        statements.clear()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(2):
            for q, _keys in QUERIES:
                search.search(s, q, limit=10)
        prof.disable()
        print(f"{len(statements) / (2 * len(QUERIES)):.2f} statements per search over the labelled queries")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(18)
        s.execute(text("SELECT 1"))


if __name__ == "__main__":
    main()
