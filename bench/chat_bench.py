"""2,000 concurrent chats over kefu's WebSockets: message delivery latency, against a bare echo server.

    .venv/bin/python bench/chat_bench.py --chats 2000 --agents 100 --think 20 --seconds 60

One run measures two servers on this machine, one after the other, with the same client (``websockets``, one
asyncio process) and the same socket count and message rate:

- **echo**: a bare ASGI WebSocket echo on uvicorn (the server library kefu runs on, no framework, no store);
  2 × chats sockets each send a frame every ``--think`` seconds (random phase) and time the echo.
- **kefu**: one ``kefu serve``-like process (uvicorn, one worker, SQLite file in bench/.work or ``--database``;
  ``--processes 2 --redis URL``: two processes sharing chats through Redis, sockets spread over them);
  ``--agents`` agents connect and say ready, then ``--chats`` customers start chats and are assigned; each
  customer writes every ``--think`` seconds and a scripted agent answers each message on receipt. Latency is
  from a client's send to the other side's socket receiving the message frame, both directions.

After the measured window the client waits until every message sent was received once; it reports lost and
duplicated messages (both must be 0), p50/p95/p99 and the ratio of kefu's p99 to the echo's. Goals (issue 4):
kefu p99 ≤ 3 × echo p99 and < 100 ms.

The client is itself a Python process on the same cores. Before each measured window it freezes what its set-up
made out of garbage collection and raises its first threshold (as kefu's server does), so it does not pause for
tens of milliseconds and then send a burst; each phase reports how often the client's own loop was held over 2 ms
and its collections over 1 ms, so a run whose client stalled can be told apart from one whose server did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
QUEUE = "waimai_chat"

SERVE_KEFU = """
import sys, uvicorn
from kefu.asgi import app  # what `kefu serve` runs (KEFU_WORKER_IN_SERVE=false: no timer thread)
if len(sys.argv) > 2:  # --stalls: a watchdog prints the event loop's stack when it is held > N ms
    import asyncio, gc, threading, time, traceback
    limit, beat = float(sys.argv[2]) / 1000, [time.monotonic()]
    main = threading.main_thread().ident

    async def heartbeat():
        while True:
            beat[0] = time.monotonic()
            await asyncio.sleep(0.005)

    def watch():
        shown = 0.0
        while True:
            time.sleep(limit / 4)
            held = time.monotonic() - beat[0]
            if held > limit and beat[0] != shown:
                shown = beat[0]
                stack = "".join(traceback.format_stack(sys._current_frames()[main])[-14:])
                print(f"STALL {held * 1000:.0f} ms at {time.time():.3f}\\n{stack}", file=sys.stderr, flush=True)

    def gc_log(phase, info, t=[0.0]):
        if phase == "start":
            t[0] = time.perf_counter()
        elif info["generation"] == 2 or time.perf_counter() - t[0] > limit / 2:
            print(f"GC gen{info['generation']} {(time.perf_counter() - t[0]) * 1000:.0f} ms "
                  f"collected {info['collected']} at {time.time():.3f}", file=sys.stderr, flush=True)

    gc.callbacks.append(gc_log)
    if len(sys.argv) > 3:  # and, every N seconds, the live objects by type
        def census(every=float(sys.argv[3])):
            import collections
            while True:
                time.sleep(every)
                counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
                top = ", ".join(f"{k} {v}" for k, v in counts.most_common(25))
                print(f"OBJECTS {sum(counts.values())} at {time.time():.3f}: {top}", file=sys.stderr, flush=True)
        threading.Thread(target=census, daemon=True).start()
    threading.Thread(target=watch, daemon=True).start()
    inner, started = app, []

    async def app(scope, receive, send):  # the first call (lifespan) starts the heartbeat in uvicorn's loop
        if not started:
            started.append(asyncio.get_running_loop().create_task(heartbeat()))
        await inner(scope, receive, send)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

SERVE_ECHO = """
import sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message.get("text")})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")


def start_server(code: str, port: int, env: dict, *extra: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code, str(port), *extra], env=env)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server on {port} exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the server on {port} did not start") from None
            time.sleep(0.2)


# -- the store ---------------------------------------------------------------------------------------------------
def prepare(url: str, agents: int) -> list[str]:
    """A fresh schema with a 外卖 chat queue and ``agents`` agents who have its skill; their bearer tokens."""
    from sqlalchemy.orm import sessionmaker

    from kefu.accounts.models import Skill, Team, User
    from kefu.accounts.service import login
    from kefu.chat.models import ChatQueue
    from kefu.core.context import Actor
    from kefu.core.db import make_engine, session_scope
    from kefu.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    tokens = []
    with session_scope(sessionmaker(engine)) as session:
        skill = Skill(code="waimai", name="外卖")
        team = Team(name="在线客服组", kind="frontline", created_at=now)
        session.add_all([skill, team])
        session.flush()
        session.add(ChatQueue(code=QUEUE, name="外卖在线", skill_id=skill.id, team_id=team.id, concurrency=3,
                              is_active=True, created_at=now))
        for i in range(agents):
            user = User(username=f"chat{i:03d}", display_name=f"客服{i:03d}号", password_hash="-", role="agent",
                        team_id=team.id, is_active=True, created_at=now)
            user.skills.append(skill)
            session.add(user)
            session.flush()
            tokens.append(login(session, actor=Actor.system(now), user=user, kind="api", ip="127.0.0.1",
                                user_agent="chat_bench", hours=12).token)
    engine.dispose()
    return tokens


def fresh_database(arg: str) -> str:
    if arg == "sqlite":
        WORK.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / 'chat-bench.db'}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{WORK / 'chat-bench.db'}"
    from sqlalchemy import create_engine, text

    admin = create_engine(arg.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = arg.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return arg


# -- the client --------------------------------------------------------------------------------------------------
class Pauses:
    """The client's own pauses (its event loop held, its garbage collections): a paused client sends a burst at
    once when it resumes, and the server under test is then timed on the burst."""

    def __init__(self) -> None:
        self.held: list[tuple[float, float]] = []  # (at, ms) the loop was late by more than 2 ms
        self.gcs: list[tuple[int, float]] = []  # (generation, ms) of collections over 1 ms
        self._gc_started = 0.0

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif (ms := (time.perf_counter() - self._gc_started) * 1000) > 1:
            self.gcs.append((info["generation"], ms))

    async def watch(self, stop: asyncio.Event) -> None:
        import gc

        gc.callbacks.append(self._gc)
        try:
            while not stop.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                late = (time.perf_counter() - before - 0.005) * 1000
                if late > 2:
                    self.held.append((before, late))
        finally:
            gc.callbacks.remove(self._gc)

    def report(self, name: str) -> None:
        worst = max((ms for _, ms in self.held), default=0.0)
        print(f"{name:>5}: client loop held > 2 ms {len(self.held)} times (worst {worst:.1f} ms); collections > 1 ms: "
              f"{len(self.gcs)} (gen2 {sum(1 for g, _ in self.gcs if g == 2)}, worst "
              f"{max((ms for _, ms in self.gcs), default=0.0):.1f} ms)", flush=True)


class Stats:
    def __init__(self) -> None:
        self.sent: dict[str, float] = {}  # client id -> send time
        self.got: dict[str, int] = {}
        self.latency: list[float] = []
        self.timeline: list[tuple[float, float, str]] = []  # (sent at, latency, client id) for --dump
        self.measuring = False

    def send(self, key: str) -> None:
        self.sent[key] = time.perf_counter()

    def received(self, key: str) -> None:
        self.got[key] = self.got.get(key, 0) + 1
        if self.got[key] == 1 and self.measuring and key in self.sent:
            self.latency.append(time.perf_counter() - self.sent[key])
            self.timeline.append((self.sent[key], self.latency[-1], key))

    def report(self, name: str) -> dict:
        lost = sum(1 for k in self.sent if k not in self.got)
        doubled = sum(1 for n in self.got.values() if n > 1)
        lat = self.latency
        out = {"name": name, "messages": len(lat), "lost": lost, "duplicated": doubled,
               "p50_ms": pct(lat, 50) * 1000, "p95_ms": pct(lat, 95) * 1000, "p99_ms": pct(lat, 99) * 1000,
               "max_ms": (max(lat) if lat else float("nan")) * 1000}
        print(f"{name:>5}: {out['messages']:6d} timed   p50 {out['p50_ms']:7.1f} ms   p95 {out['p95_ms']:7.1f} ms   "
              f"p99 {out['p99_ms']:7.1f} ms   max {out['max_ms']:7.1f} ms   lost {lost}   duplicated {doubled}",
              flush=True)
        out["timeline"] = self.timeline
        return out


async def open_socket(url: str, headers: dict | None = None):
    from websockets.asyncio.client import connect

    for attempt in range(5):
        try:
            return await connect(url, additional_headers=headers, open_timeout=60, ping_interval=None,
                                 max_queue=None)
        except OSError:
            await asyncio.sleep(0.5 * (attempt + 1))
    return await connect(url, additional_headers=headers, open_timeout=60, ping_interval=None)


async def echo_phase(url: str, sockets: int, think: float, seconds: float, rate: float) -> dict:
    stats, stop = Stats(), asyncio.Event()

    async def one(n: int) -> None:
        ws = await open_socket(url)

        async def read():
            async for raw in ws:
                stats.received(json.loads(raw)["client_msg_id"])

        reader = asyncio.create_task(read())
        await started.wait()
        await asyncio.sleep(random.uniform(0, think))
        i = 0
        while not stop.is_set():
            key = f"e{n}-{i}"
            stats.send(key)
            await ws.send(json.dumps({"type": "message", "client_msg_id": key, "text": f"第{i}条消息:我的外卖还没到"},
                                     ensure_ascii=False))
            i += 1
            await pause(stop, think)
        await drained(stats)
        await ws.close()
        reader.cancel()

    started = asyncio.Event()
    tasks = [asyncio.create_task(one(n)) for n in range(sockets)]
    await asyncio.sleep(sockets / rate)
    started.set()
    pauses = await window(stats, think, seconds, stop)
    await asyncio.gather(*tasks)
    pauses.report("echo")
    return stats.report("echo")


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake when the measured window ends."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def quiet_collector() -> None:
    """The client's garbage collector, tuned as kefu's server is (``kefu.core.gc``): what the set-up made (thousands
    of sockets) is frozen out of collection and the first threshold raised, so that the load generator does not
    pause for tens of milliseconds mid-window and then send a burst. Both servers are timed with it."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 10)


async def window(stats: Stats, think: float, seconds: float, stop: asyncio.Event) -> Pauses:
    await asyncio.sleep(think)  # every socket has started sending
    quiet_collector()
    stats.measuring, pauses = True, Pauses()
    watcher = asyncio.create_task(pauses.watch(stop))
    await asyncio.sleep(seconds)
    stats.measuring = False
    stop.set()
    await watcher
    return pauses


async def drained(stats: Stats, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while any(k not in stats.got for k in stats.sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


async def kefu_phase(bases: list[str], tokens: list[str], chats: int, think: float, seconds: float, rate: float,
                     spy: list[str] | None = None) -> dict:
    stats, stop = Stats(), asyncio.Event()
    per_agent = -(-chats // len(tokens))
    assigned = 0
    all_assigned = asyncio.Event()

    async def agent(i: int, token: str) -> None:
        nonlocal assigned
        ws = await open_socket(f"{bases[i % len(bases)]}/agent", {"Authorization": f"Bearer {token}"})
        await ws.send(json.dumps({"type": "hello"}))
        await ws.send(json.dumps({"type": "ready", "concurrency": per_agent}))
        replies = 0
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame["type"]
            if kind == "assigned":
                assigned += 1
                if assigned == chats:
                    all_assigned.set()
            elif kind == "message" and frame["sender"] == "customer":
                stats.received(frame["client_msg_id"])
                key = f"r-{frame['client_msg_id']}"
                replies += 1
                stats.send(key)
                await ws.send(json.dumps({"type": "message", "chat_id": frame["chat_id"], "client_msg_id": key,
                                          "text": "您好,我们正在为您查询,请您稍等。"}, ensure_ascii=False))
            elif kind in ("error", "blocked"):
                print("agent got", frame, flush=True)

    async def customer(n: int) -> None:
        ws = await open_socket(f"{bases[n % len(bases)]}/customer")
        await ws.send(json.dumps({"type": "hello", "start": {"queue": QUEUE, "name": f"顾客{n}",
                                                             "phone": f"1{n + 3000000000:010d}"}},
                                 ensure_ascii=False))

        async def read():
            async for raw in ws:
                frame = json.loads(raw)
                if frame["type"] == "message" and frame["sender"] == "agent":
                    stats.received(frame["client_msg_id"])
                elif frame["type"] == "error":
                    print("customer got", frame, flush=True)

        reader = asyncio.create_task(read())
        await all_assigned.wait()
        await asyncio.sleep(random.uniform(0, think))
        i = 0
        while not stop.is_set():
            key = f"c{n}-{i}"
            stats.send(key)
            await ws.send(json.dumps({"type": "message", "client_msg_id": key, "text": f"第{i}个问题:我的外卖还没到"},
                                     ensure_ascii=False))
            i += 1
            await pause(stop, think)
        await drained(stats)
        await ws.close()
        reader.cancel()

    t0 = time.monotonic()
    agents = [asyncio.create_task(agent(i, t)) for i, t in enumerate(tokens)]
    await asyncio.sleep(2)
    customers = []
    for n in range(chats):
        customers.append(asyncio.create_task(customer(n)))
        await asyncio.sleep(1 / rate)
    await asyncio.wait_for(all_assigned.wait(), 600)
    print(f" kefu: {chats} chats started and assigned in {time.monotonic() - t0:.1f} s", flush=True)
    profiler = None
    if spy:  # py-spy samples the server through the measured window
        await asyncio.sleep(think)
        profiler = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pauses = await window(stats, think if profiler is None else 0, seconds, stop)
    if profiler is not None:
        await asyncio.to_thread(profiler.wait)
    await asyncio.gather(*customers)
    for task in agents:
        task.cancel()
    pauses.report("kefu")
    return stats.report("kefu")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chats", type=int, default=2000)
    ap.add_argument("--agents", type=int, default=100)
    ap.add_argument("--think", type=float, default=20.0, help="seconds between a customer's messages")
    ap.add_argument("--seconds", type=float, default=60.0, help="the measured window")
    ap.add_argument("--connect-rate", type=float, default=100.0, help="new chats (echo: sockets) a second")
    ap.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL (dropped, re-created)")
    ap.add_argument("--redis", default=None, help="KEFU_REDIS_URL for the kefu server (the Redis hub)")
    ap.add_argument("--processes", type=int, default=1,
                    help="kefu server processes (needs --redis); agents and customers spread over them round-robin")
    ap.add_argument("--skip-echo", action="store_true")
    ap.add_argument("--profile", help="record the kefu server with py-spy into this file (.svg, or .json)")
    ap.add_argument("--stalls", type=float, metavar="MS",
                    help="print the kefu server's stack whenever its event loop is held longer than MS, and GCs")
    ap.add_argument("--census", type=float, metavar="S", help="with --stalls: count live objects by type every S s")
    ap.add_argument("--dump", help="write kefu's timed messages (sent at, latency s, client id) to this JSON file")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(f"load average at start {os.getloadavg()}", flush=True)
    env = {**os.environ}
    env.pop("KEFU_REDIS_URL", None)
    echo = None
    if not args.skip_echo:
        port = free_port()
        proc = start_server(SERVE_ECHO, port, env)
        try:
            echo = asyncio.run(echo_phase(f"ws://127.0.0.1:{port}/", 2 * args.chats, args.think, args.seconds,
                                          args.connect_rate * 2))
        finally:
            proc.terminate()
            proc.wait()
    url = fresh_database(args.database)
    tokens = prepare(url, args.agents)
    env.update(KEFU_DATABASE_URL=url, KEFU_WORKER_IN_SERVE="false", KEFU_LOG_LEVEL="warning")
    if args.redis:
        env.update(KEFU_REDIS_URL=args.redis, KEFU_REDIS_PREFIX=f"chatbench-{os.getpid()}")
    if args.processes > 1 and not args.redis:
        raise SystemExit("several kefu processes share chats through Redis: give --redis")
    ports = [free_port() for _ in range(args.processes)]
    extra = ([str(args.stalls)] if args.stalls else []) + ([str(args.census)] if args.stalls and args.census else [])
    procs = [start_server(SERVE_KEFU, port, env, *extra) for port in ports]
    proc = procs[0]
    spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(proc.pid), "-r", "20", "-d",
           str(int(args.seconds)), "-f", "speedscope" if args.profile.endswith(".json") else "flamegraph", "-o",
           args.profile] if args.profile else None
    try:
        kefu = asyncio.run(kefu_phase([f"ws://127.0.0.1:{port}/ws/chat" for port in ports], tokens, args.chats,
                                      args.think, args.seconds, args.connect_rate, spy))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
    if args.dump:
        Path(args.dump).write_text(json.dumps(kefu["timeline"]))
    if echo:
        print(f"kefu p99 / echo p99 = {kefu['p99_ms'] / echo['p99_ms']:.2f} (goal ≤ 3); kefu p99 "
              f"{kefu['p99_ms']:.1f} ms (goal < 100 ms)")
    print(f"load average at end {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
