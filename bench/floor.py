"""How fast can one kefu worker answer at all? Throughput of three requests of growing weight, with the load
shape of tickets_bench.py's create phase (8 threads, each an httpx.Client with keep-alive):

    .venv/bin/python bench/floor.py sqlite:///bench/.work/kefu-sqlite.db --seconds 10

GET /healthz (one trip to a worker thread and SELECT 1, no authentication), GET /api/v1/auth/me (bearer
token looked up, the user serialised), POST /api/v1/tickets (a create, as in tickets_bench.py). The database
must have been seeded by seed_kefu.py (its agent001 logs in). Creates go into that database.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402
from seed_kefu import PASSWORD  # noqa: E402
from tickets_bench import free_port, pct, stop, wait_ready  # noqa: E402


def load(base: str, headers: dict, method: str, path: str, body, clients: int, seconds: float) -> str:
    done, lat, lock = [0], [], threading.Lock()
    end = time.perf_counter() + seconds

    def run(i: int) -> None:
        rnd, n, mine = random.Random(i), 0, []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            while time.perf_counter() < end:
                t = time.perf_counter()
                r = c.request(method, path, json=body(rnd) if body else None)
                if r.status_code >= 300:
                    raise SystemExit(f"{method} {path}: {r.status_code} {r.text[:200]}")
                n += 1
                mine.append(time.perf_counter() - t)
        with lock:
            done[0] += n
            lat.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rate = done[0] / (time.perf_counter() - t0)
    return f"{method} {path:<20} {rate:7.0f}/s   p50 {pct(lat, 50) * 1000:6.1f} ms   p95 {pct(lat, 95) * 1000:6.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", help="KEFU_DATABASE_URL of a database seeded by seed_kefu.py")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    print(f"nproc {os.cpu_count()}, load {os.getloadavg()}", flush=True)
    port = free_port()
    env = dict(os.environ, KEFU_DATABASE_URL=args.url, KEFU_WORKER_IN_SERVE="false", KEFU_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([str(HERE.parent / ".venv/bin/kefu"), "serve", "--host", "127.0.0.1", "--port",
                             str(port), "--workers", "1"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/healthz", proc)
        r = httpx.post(base + "/api/v1/auth/token", data={"username": "agent001", "password": PASSWORD}, timeout=30)
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        cats = httpx.get(base + "/api/v1/categories", headers=headers).json()
        cat_ids = [c["id"] for c in (cats["data"] if isinstance(cats, dict) else cats)]

        def ticket(rnd: random.Random) -> dict:
            _i, subject, description = corpus.ticket_text(rnd)
            return {"subject": subject, "description": description, "category_id": rnd.choice(cat_ids),
                    "channel": "phone", "priority": rnd.choice(["normal", "normal", "high", "low"])}

        print(load(base, {}, "GET", "/healthz", None, args.clients, args.seconds), flush=True)
        print(load(base, headers, "GET", "/api/v1/auth/me", None, args.clients, args.seconds), flush=True)
        print(load(base, headers, "POST", "/api/v1/tickets", ticket, args.clients, args.seconds), flush=True)
    finally:
        stop(proc)
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
