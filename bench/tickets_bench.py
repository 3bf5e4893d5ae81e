"""Ticket-core benchmark: kefu (one uvicorn worker) against django-helpdesk (one gunicorn worker) in one run.

    .venv/bin/python bench/tickets_bench.py --backend sqlite --tickets 200000 --peer
    .venv/bin/python bench/tickets_bench.py --backend postgresql --tickets 200000 --no-peer

Seed first (bench/seed_kefu.py, bench/peer_helpdesk/seed_peer.py) with the same N. Measures
(a) create throughput: --clients threads, each an httpx.Client with keep-alive, POSTing Chinese tickets for
    --duration seconds;
(b) list latency: typical agent / team-lead views, page size 50, one request at a time;
(c) search latency: Chinese words of very different frequency.
Only loopback traffic; every loop is bounded in count and time. Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402
from seed_kefu import PASSWORD, url_for  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"server not ready at {url}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


# -- load shapes, shared by both systems --------------------------------------------
def create_load(base: str, headers: dict, make_body, clients: int, duration: float) -> dict:
    """``clients`` threads POST for ``duration`` seconds; returns creates/s and latencies."""
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_evt = threading.Event()
    end_at = [0.0]

    def run(i: int) -> None:
        rnd = random.Random(1000 + i)
        mine, errs = [], []
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            start_evt.wait()
            while time.perf_counter() < end_at[0]:
                t = time.perf_counter()
                try:
                    r = c.post(make_body.path, json=make_body(rnd))
                    ok = r.status_code == 201
                    if not ok:
                        errs.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    ok = False
                    errs.append(repr(exc))
                if ok:
                    mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)
            errors.extend(errs)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    t0 = time.perf_counter()
    end_at[0] = t0 + duration
    start_evt.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"n": len(lat), "rate": len(lat) / elapsed, "p50": pct(lat, 50) * 1000, "p95": pct(lat, 95) * 1000,
            "errors": len(errors), "first_error": errors[0] if errors else ""}


def latency(base: str, headers: dict, cookies: dict, requests: list[tuple[str, str]], max_seconds: float) -> dict:
    """GET each (label, path) once, one at a time, warming up with the first few; stops at ``max_seconds``."""
    per: dict[str, list[float]] = {}
    allv: list[float] = []
    bad = 0
    counts = []
    with httpx.Client(base_url=base, headers=headers, cookies=cookies, timeout=120) as c:
        for _label, path in requests[:5]:  # warm-up, not counted
            c.get(path)
        t_end = time.perf_counter() + max_seconds
        for label, path in requests:
            if time.perf_counter() > t_end:
                break
            t = time.perf_counter()
            r = c.get(path)
            dt = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                bad += 1
                print(f"    {r.status_code} on {path[:120]}: {r.text[:200]}", flush=True)
                continue
            body = r.json()
            counts.append((label, body.get("count", body.get("recordsFiltered"))))
            per.setdefault(label, []).append(dt)
            allv.append(dt)
    return {"n": len(allv), "p50": pct(allv, 50), "p95": pct(allv, 95), "bad": bad, "samples": allv,
            "per": {k: (len(v), pct(v, 50), pct(v, 95)) for k, v in per.items()},
            "counts": dict(counts)}


# -- kefu ----------------------------------------------------------------------------
def kefu_run(args) -> dict:
    from sqlalchemy import create_engine, text

    url = url_for(args.backend)
    eng = create_engine(url)
    with eng.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        lead_team, lead = conn.execute(text(
            "SELECT t.id, u.username FROM teams t JOIN users u ON u.id = t.leader_id ORDER BY t.id")).first()
        cats = dict(conn.execute(text("SELECT code, id FROM categories")).all())
        customers = conn.execute(text("SELECT min(id), max(id) FROM customers")).first()
    eng.dispose()
    port = free_port()
    env = dict(os.environ, KEFU_DATABASE_URL=url, KEFU_WORKER_IN_SERVE="false", KEFU_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([str(ROOT / ".venv/bin/kefu"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/healthz", proc)

        def token(user: str) -> dict:
            r = httpx.post(base + "/api/v1/auth/token", data={"username": user, "password": PASSWORD}, timeout=30)
            r.raise_for_status()
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        agent, leader = token("agent001"), token(lead)
        codes = list(cats)

        def body(rnd: random.Random) -> dict:
            _i, subject, description = corpus.ticket_text(rnd)
            return {"subject": subject, "description": description, "category_id": cats[rnd.choice(codes)],
                    "customer_id": rnd.randint(*customers), "channel": rnd.choice(["phone", "chat", "wechat"]),
                    "priority": rnd.choice(["normal", "normal", "high", "low"])}
        body.path = "/api/v1/tickets"

        res = {"n_tickets": n}
        views = [
            ("agent: mine, active", f"/api/v1/tickets?mine=true&active=true&limit=50"),
            ("agent: mine, open", f"/api/v1/tickets?mine=true&status=open&limit=50"),
            ("lead: team queue", f"/api/v1/tickets?team_id={lead_team}&status=new,open,escalated&limit=50"),
            ("lead: tier 2", f"/api/v1/tickets?tier=2&limit=50"),
            ("lead: overdue", f"/api/v1/tickets?overdue=true&limit=50"),
            ("lead: category 配送问题", f"/api/v1/tickets?category_id={cats['delivery']}&status=open&limit=50"),
            ("all open, queue order", "/api/v1/tickets?status=open&limit=50"),
            ("all, newest", "/api/v1/tickets?order=newest&limit=50"),
        ]
        lists = [(label, path) for _ in range(max(1, args.requests // len(views))) for label, path in views]
        words = corpus.SEARCH_WORDS
        searches = [(w, f"/api/v1/tickets?q={w}&limit=50") for _ in range(max(1, args.requests // len(words)))
                    for w in words]
        hdr = {"agent": agent, "lead": leader}
        if not args.skip_create:
            print("kefu: create …", flush=True)
            res["create"] = create_load(base, agent, body, args.clients, args.duration)
        print("kefu: list …", flush=True)
        res["list"] = latency_mixed(base, hdr, lists, args.max_seconds)
        print("kefu: search …", flush=True)
        res["search"] = latency(base, agent, {}, searches, args.max_seconds)
        return res
    finally:
        stop(proc)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if "Traceback" in err:
            print("kefu server stderr:\n" + err[-3000:])


def latency_mixed(base: str, hdr: dict, lists: list, max_seconds: float) -> dict:
    """Agent views with the agent's token, lead views with the team lead's."""
    agent_views = [x for x in lists if x[0].startswith("agent")]
    lead_views = [x for x in lists if not x[0].startswith("agent")]
    a = latency(base, hdr["agent"], {}, agent_views, max_seconds / 3)
    b = latency(base, hdr["lead"], {}, lead_views, max_seconds * 2 / 3)
    samples = a["samples"] + b["samples"]
    return {"n": len(samples), "p50": pct(samples, 50), "p95": pct(samples, 95), "bad": a["bad"] + b["bad"],
            "per": {**a["per"], **b["per"]}, "counts": {**a["counts"], **b["counts"]}}


# -- django-helpdesk ---------------------------------------------------------------------
def peer_run(args) -> dict:
    creds = json.loads((WORK / "peer-credentials.json").read_text())
    port = free_port()
    venv = WORK / "peer-venv/bin"
    env = dict(os.environ, PEER_DB=str(WORK / "peer-helpdesk.db"), DJANGO_SETTINGS_MODULE="peer.settings")
    proc = subprocess.Popen([str(venv / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "300",
                             "--chdir", str(HERE / "peer_helpdesk"), "peer.wsgi"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/", proc)
        api = {"Authorization": f"Token {creds['token']}"}
        queues, agents = creds["queues"], creds["agents"]

        def body(rnd: random.Random) -> dict:
            _i, subject, description = corpus.ticket_text(rnd)
            return {"queue": rnd.choice(queues), "title": subject, "description": description,
                    "submitter_email": f"1{rnd.randint(3000000000, 9999999999)}@example.cn",
                    "priority": rnd.choice([3, 3, 2, 4])}
        body.path = "/api/tickets/"

        def dt(query: dict, sort_col: str = "5", direction: str = "asc") -> str:
            q = {"filtering": {}, "filtering_null": {}, "sorting": "created", "sortreverse": False,
                 "search_string": ""}
            q.update(query)
            b64 = base64.b64encode(json.dumps(q).encode()).decode()
            return (f"/datatables_ticket_list/{b64}?draw=1&start=0&length=50"
                    f"&order[0][column]={sort_col}&order[0][dir]={direction}")

        me = agents[0]
        views = [  # the same views as kefu's, in helpdesk's terms (its staff ticket list data path)
            ("agent: mine, active", dt({"filtering": {"assigned_to__id__in": [me], "status__in": [1, 2]}})),
            ("agent: mine, open", dt({"filtering": {"assigned_to__id__in": [me], "status__in": [1]}})),
            ("lead: team queue", dt({"filtering": {"queue__id__in": [queues[0]], "status__in": [1, 2]}})),
            ("lead: tier 2", dt({"filtering": {"priority__in": [1], "status__in": [1, 2]}})),
            ("lead: overdue", dt({"filtering": {"status__in": [1, 2]}}, sort_col="6")),
            ("lead: category 配送问题", dt({"filtering": {"queue__id__in": queues[:3], "status__in": [1]}})),
            ("all open, queue order", dt({"filtering": {"status__in": [1, 2]}})),
            ("all, newest", dt({}, direction="desc")),
        ]
        lists = [(label, path) for _ in range(max(1, args.requests // len(views))) for label, path in views]
        words = corpus.SEARCH_WORDS
        searches = [(w, dt({"search_string": w})) for _ in range(max(1, args.requests // len(words)))
                    for w in words]
        cookies = {"sessionid": creds["sessionid"]}
        res = {}
        if not args.skip_create:
            print("peer: create …", flush=True)
            res["create"] = create_load(base, api, body, args.clients, args.duration)
        print("peer: list …", flush=True)
        res["list"] = latency(base, {}, cookies, lists, args.max_seconds)
        print("peer: search …", flush=True)
        res["search"] = latency(base, {}, cookies, searches, args.peer_search_seconds)
        return res
    finally:
        stop(proc)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if "Traceback" in err:
            print("peer server stderr:\n" + err[-3000:])


# -- report ------------------------------------------------------------------------------
def table(name: str, res: dict) -> None:
    print(f"\n== {name}")
    c = res.get("create")
    if c:
        print(f"create  {c['rate']:8.1f} creates/s  ({c['n']} in the window; latency p50 {c['p50']:.0f} ms, "
              f"p95 {c['p95']:.0f} ms; errors {c['errors']}) {c['first_error'][:150]}")
    for kind in ("list", "search"):
        r = res[kind]
        print(f"{kind:7} p50 {r['p50']:8.1f} ms   p95 {r['p95']:8.1f} ms   (n={r['n']}, non-200: {r['bad']})")
        for label, (cnt, p50, p95) in r["per"].items():
            print(f"    {label:28} n={cnt:<4} p50 {p50:8.1f}  p95 {p95:8.1f}   matches={r['counts'].get(label)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--tickets", type=int, help="N the databases were seeded with (checked, for the record)")
    ap.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--kefu", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--requests", type=int, default=240, help="list GETs and search GETs, each")
    ap.add_argument("--max-seconds", type=float, default=180, help="time cap of one latency phase")
    ap.add_argument("--peer-search-seconds", type=float, default=180,
                    help="time cap of the peer's search phase (its search scans the table)")
    ap.add_argument("--skip-create", action="store_true")
    args = ap.parse_args()
    print(f"nproc {os.cpu_count()}, load {os.getloadavg()}", flush=True)
    out = {}
    if args.kefu:
        out["kefu"] = kefu_run(args)
        if args.tickets and out["kefu"]["n_tickets"] < args.tickets:
            print(f"warning: kefu database holds {out['kefu']['n_tickets']} tickets, not {args.tickets}")
        table(f"kefu {args.backend} ({out['kefu']['n_tickets']:,} tickets at start)", out["kefu"])
    if args.peer:
        out["peer"] = peer_run(args)
        table("django-helpdesk SQLite WAL", out["peer"])
    if "kefu" in out and "peer" in out:
        k, p = out["kefu"], out["peer"]
        print("\n== ratios kefu/peer (throughput: higher is better; latency: lower is better)")
        if "create" in k and "create" in p and p["create"]["rate"]:
            print(f"create throughput  x{k['create']['rate'] / p['create']['rate']:.1f}")
        for kind in ("list", "search"):
            print(f"{kind} p95          {k[kind]['p95'] / p[kind]['p95']:.3f}  "
                  f"(peer is x{p[kind]['p95'] / k[kind]['p95']:.1f} slower)")
    print(f"\nload at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
