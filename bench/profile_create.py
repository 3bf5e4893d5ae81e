"""Where a ticket create spends its time: N sequential POST /api/v1/tickets in-process (no sockets).

    .venv/bin/python bench/profile_create.py --n 2000            # ms per create, server side only
    .venv/bin/python bench/profile_create.py --n 2000 --profile  # plus the top functions by cumulative time

Builds a fresh SQLite database (bench/.work/profile.db) with the seeder's world and a few thousand tickets,
then drives the ASGI app directly, so the figure is the app's CPU per create without HTTP parsing or client
cost. Not run by the tests; no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402
from seed_kefu import PASSWORD, insert_chunk, make_chunk, seed_world  # noqa: E402


def build(path: Path, tickets: int) -> tuple[str, dict]:
    from kefu.core.db import make_engine
    from kefu.migrate import upgrade
    from kefu.tickets.models import Ticket

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        world = seed_world(conn, random.Random(7), now)
    if tickets:
        insert_chunk(engine, Ticket.__table__, make_chunk(7, (0, tickets), world, now))
    engine.dispose()
    return url, world


async def drive(app, world: dict, n: int, profile: bool) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
        r = await c.post("/api/v1/auth/token", data={"username": "agent001", "password": PASSWORD})
        r.raise_for_status()
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        rnd = random.Random(1)
        cats = list(world["cat_ids"].values()) if isinstance(world["cat_ids"], dict) else list(world["cat_ids"])
        lo, hi = world["customers"]

        def body() -> dict:
            _i, subject, description = corpus.ticket_text(rnd)
            return {"subject": subject, "description": description, "category_id": rnd.choice(cats),
                    "customer_id": rnd.randint(lo, hi), "channel": rnd.choice(["phone", "chat", "wechat"]),
                    "priority": rnd.choice(["normal", "normal", "high", "low"])}

        for _ in range(50):  # warm-up
            (await c.post("/api/v1/tickets", json=body())).raise_for_status()
        bodies = [body() for _ in range(n)]
        prof = cProfile.Profile() if profile else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        for b in bodies:
            r = await c.post("/api/v1/tickets", json=b)
            if r.status_code != 201:
                raise SystemExit(f"{r.status_code}: {r.text[:300]}")
        if prof:
            prof.disable()
        dt = time.perf_counter() - t0
        print(f"{n} creates in {dt:.2f} s: {dt / n * 1000:.2f} ms each, {n / dt:.0f}/s (one at a time, in-process)")
        if prof:
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--tickets", type=int, default=5000, help="tickets loaded before measuring")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--inline", action="store_true",
                    help="run thread-pool work on the event loop (so the profiler sees all of it)")
    args = ap.parse_args()
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    url, world = build(work / "profile.db", args.tickets)

    import os

    os.environ["KEFU_DATABASE_URL"] = url
    os.environ["KEFU_LOG_LEVEL"] = "WARNING"
    from kefu.app import create_app
    from kefu.core.settings import Settings

    if args.inline:
        import anyio.to_thread

        async def inline(func, *a, **_kw):
            return func(*a)

        anyio.to_thread.run_sync = inline
    app = create_app(settings=Settings(), run_worker=False)
    asyncio.run(drive(app, world, args.n, args.profile))


if __name__ == "__main__":
    main()
