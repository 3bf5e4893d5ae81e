"""Live fan-out for the chat transport: who is listening to which chat, and waking them when it changed.

A hub carries no message text: it only *wakes* listeners. A woken socket reads what it has not sent yet from the
store (``seq > cursor``, in order), so the store stays the single source of messages and delivery is exactly once
and in order whatever the hub does — a lost or doubled wake-up costs a query, never a message.

``Hub`` is the interface the transport uses. ``LocalHub`` wakes listeners in this process when a socket or the
in-serve timer worker here commits (``committed``: what the unit noted in ``kefu.chat.wakes``; a customer's or
agent's message goes with its wake-up, so a listener up to date sends it without a read) and, as a baseline for
what no hub was told of (another process without Redis, the API), polls the store every ``interval`` seconds
with one query over the
chats that have listeners (their ``last_seq``, status and agent) and the active chats of listening agents. The
same loop keeps this process's agent sockets fresh in the store and sweeps those of dead processes
(``kefu.chat.seats``). With ``KEFU_REDIS_URL`` set, ``make_hub`` gives the Redis hub
(``kefu.chat.redis_hub``): the same, plus wake-ups and typing notices published to the other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol
from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from kefu.chat import seats, wakes
from kefu.chat.wakes import Wakes
from kefu.core.clock import Clock, SystemClock
from kefu.core.db import BUSY_TIMEOUT_MS, session_scope

log = logging.getLogger(__name__)
POLL_SECONDS = 0.25
_SNAPSHOT = "c.id, c.agent_id, c.last_seq, c.status"
# the followed chats (id, agent, last seq, status as last seen) that differ now; then listening agents' active
# chats not followed here (``unseen`` snapshots never match: a followed chat not yet seen always comes back)
_CHANGED_SQLITE = text(
    f"SELECT {_SNAPSHOT} FROM json_each(:seen) AS s JOIN chats AS c ON c.id = json_extract(s.value, '$[0]') "
    "WHERE c.agent_id IS NOT json_extract(s.value, '$[1]') OR c.last_seq IS NOT json_extract(s.value, '$[2]') "
    "OR c.status IS NOT json_extract(s.value, '$[3]') "
    f"UNION ALL SELECT {_SNAPSHOT} FROM chats AS c "
    "WHERE c.agent_id IN (SELECT value FROM json_each(:agents)) AND c.status = 'active' "
    "AND c.id NOT IN (SELECT json_extract(value, '$[0]') FROM json_each(:seen))")
_CHANGED_PG = text(
    f"SELECT {_SNAPSHOT} FROM unnest(CAST(:ids AS integer[]), CAST(:agents_of AS integer[]), "
    "CAST(:seqs AS integer[]), CAST(:statuses AS varchar[])) AS s(id, agent_id, last_seq, status) "
    "JOIN chats AS c ON c.id = s.id WHERE c.agent_id IS DISTINCT FROM s.agent_id "
    "OR c.last_seq IS DISTINCT FROM s.last_seq OR c.status IS DISTINCT FROM s.status "
    f"UNION ALL SELECT {_SNAPSHOT} FROM chats AS c "
    "WHERE c.agent_id = ANY(CAST(:agents AS integer[])) AND c.status = 'active' "
    "AND c.id NOT IN (SELECT unnest(CAST(:ids AS integer[])))")
QUEUE_SECONDS = 1.0  # how often waiting customers' queue positions are looked at again
CHECKPOINT_SECONDS = 1.0  # SQLite: how often the hub moves the write-ahead log into the database (GroupWriter)


Snapshot = tuple[int | None, int, str]  # agent_id, last_seq, status


@dataclass(eq=False)
class Listener:
    """One socket: woken when a chat it follows (or, for an agent, their set of chats) may have changed.
    ``dirty``: the chats to read at the next wake-up; ``discover``: an agent's set of chats may have changed (look
    for new ones). ``typing`` collects ephemeral typing notices ``(chat_id, sender)``; never stored or replayed."""

    agent_id: int | None = None
    socket_id: str | None = None  # an agent socket's row in the store (``kefu.chat.seats``)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dirty: set[int] = field(default_factory=set)
    news: dict[int, list] = field(default_factory=dict)  # per chat: messages committed here, to send as they are
    discover: bool = False
    typing: list[tuple[int, str]] = field(default_factory=list)

    def told(self, message) -> None:
        """A message (``kefu.chat.messages.Stored``) this process committed in a chat this socket follows."""
        self.news.setdefault(message.chat_id, []).append(message)
        self.wake.set()

    def touch(self, chat_id: int | None = None, *, discover: bool = False) -> None:
        if chat_id is not None:
            self.dirty.add(chat_id)
        self.discover = self.discover or discover
        self.wake.set()


class Hub(Protocol):
    def follow(self, listener: Listener, chat_id: int) -> None: ...

    def unfollow(self, listener: Listener, chat_id: int) -> None: ...

    def join(self, listener: Listener) -> None: ...

    def leave(self, listener: Listener) -> None: ...

    node: str  # this server process, as the store's agent sockets name it

    async def publish(self, chat_id: int, *, agent_id: int | None = None) -> None:
        """Something about ``chat_id`` was committed (a message, its status or agent): wake its listeners."""

    def committed(self, found: Wakes) -> None:
        """What a unit of work committed (``kefu.chat.wakes``): its messages to the chats' listeners, then the
        wake-ups. Called on the hub's event loop (``threadsafe`` from another thread)."""

    def threadsafe(self, found: Wakes) -> None:
        """``committed`` from another thread (the timer worker in ``kefu serve``)."""

    async def typing(self, chat_id: int, sender: str) -> None: ...

    def saw(self, chat_id: int, snapshot: Snapshot) -> None:
        """A socket read ``chat_id`` in this state: the poll need not wake anyone for it again."""


class LocalHub:
    """The in-process hub with the store poll (see the module docstring)."""

    def __init__(self, factory: sessionmaker[Session], *, interval: float = POLL_SECONDS,
                 serial_writes: bool = False, clock: Clock | None = None) -> None:
        self.factory, self.interval, self.clock = factory, interval, clock or SystemClock()
        self.node = uuid4().hex[:16]
        self._heartbeat = self._checkpointed = 0.0
        self._checkpointed_groups = 0
        self.chats: dict[int, set[Listener]] = defaultdict(set)
        self.agents: dict[int, set[Listener]] = defaultdict(set)
        self.seen: dict[int, Snapshot] = {}
        self._queue_checked = 0.0
        self._tasks: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}
        # SQLite: one writer at a time; this process's sockets' writes are grouped (``GroupWriter``)
        self.writer = GroupWriter(factory, self.clock) if serial_writes else None

    # -- listeners ----------------------------------------------------------------------------------------------
    def join(self, listener: Listener) -> None:
        if listener.agent_id is not None:
            self.agents[listener.agent_id].add(listener)

    def leave(self, listener: Listener) -> None:
        for chat_id in [c for c, ls in self.chats.items() if listener in ls]:
            self.unfollow(listener, chat_id)
        if listener.agent_id is not None:
            self._discard(self.agents, listener.agent_id, listener)

    def follow(self, listener: Listener, chat_id: int) -> None:
        self.chats[chat_id].add(listener)

    def unfollow(self, listener: Listener, chat_id: int) -> None:
        self._discard(self.chats, chat_id, listener)
        if chat_id not in self.chats:
            self.seen.pop(chat_id, None)

    @staticmethod
    def _discard(index: dict[int, set[Listener]], key: int, listener: Listener) -> None:
        group = index.get(key)
        if group is not None:
            group.discard(listener)
            if not group:
                del index[key]

    # -- wake-ups -----------------------------------------------------------------------------------------------
    def _wake(self, chat_id: int, *agent_ids: int | None) -> None:
        """Wake the chat's listeners, and the agents' sockets to read the chat and look for new ones."""
        for listener in self.chats.get(chat_id, ()):
            listener.touch(chat_id)
        for agent_id in agent_ids:
            for listener in self.agents.get(agent_id, ()) if agent_id is not None else ():
                listener.touch(chat_id, discover=True)

    def saw(self, chat_id: int, snapshot: Snapshot) -> None:
        """A socket read the chat in this state. If it is news, the chat's other listeners read it too (one of
        them may not have been woken for it: a lost wake-up); either way the poll will not wake them for it."""
        before = self.seen.get(chat_id)
        if chat_id in self.chats and before != snapshot:
            self.seen[chat_id] = snapshot
            # a new agent (a chat assigned outside any socket: a bot handoff, the timer worker, another process)
            # must hear of it too, or it never would: the poll now takes this state as already seen
            moved = before is None or before[0] != snapshot[0]
            self._wake(chat_id, *((snapshot[0], before[0] if before else None) if moved else ()))

    async def publish(self, chat_id: int, *, agent_id: int | None = None) -> None:
        self.committed(Wakes(chats={(chat_id, agent_id)}))

    def committed(self, found: Wakes) -> None:
        for message in found.news:
            self._told(message)
        for chat_id, agent_id in found.chats:
            self._wake(chat_id, agent_id)

    def _told(self, message) -> None:
        """A message committed here that changed nothing else about its chat: its listeners get it to send
        as it is (one whose cursor is not just before it reads the store instead). The poll takes the chat's state
        as seen when the chat's agent and status are those the listeners already know; otherwise the chat is news
        to them (``saw``)."""
        chat_id = message.chat_id
        if chat_id not in self.chats:
            return
        for listener in self.chats[chat_id]:
            listener.told(message)
        before, snapshot = self.seen.get(chat_id), (message.agent_id, message.seq, message.status)
        if before is not None and before[1] >= message.seq:
            return
        if before is not None and (before[0], before[2]) == (snapshot[0], snapshot[2]):
            self.seen[chat_id] = snapshot
        else:
            self.saw(chat_id, snapshot)

    def threadsafe(self, found: Wakes) -> None:
        if not found:
            return
        loops = [loop for loop in self._tasks if loop.is_running()]
        if loops:  # the loop serving the sockets (the newest, when a test ran the app's lifespan in two)
            loops[-1].call_soon_threadsafe(self.committed, found)

    async def typing(self, chat_id: int, sender: str) -> None:
        self._typing(chat_id, sender)

    def _typing(self, chat_id: int, sender: str) -> None:
        for listener in self.chats.get(chat_id, ()):
            listener.typing.append((chat_id, sender))
            listener.touch()

    # -- the poll -----------------------------------------------------------------------------------------------
    def _read(self, chat_ids: list[int], agent_ids: list[int]) -> dict[int, Snapshot]:
        """The followed chats whose state differs from what this process last saw, and the active chats of
        listening agents that nobody here follows yet. The comparison is made by the store: with thousands of
        chats followed, a poll sends their snapshots as one parameter and gets back the few that moved, instead
        of binding thousands of ids and building a row for each (the loop waits for this thread's GIL)."""
        seen, unseen = self.seen, (None, -1, "")
        expected = [(c, *seen.get(c, unseen)) for c in chat_ids]
        with self.factory() as session:
            if session.get_bind().dialect.name == "postgresql":
                ids, agents_of, seqs, statuses = (list(col) for col in zip(*expected, strict=True)) if expected \
                    else ([], [], [], [])
                params = {"ids": ids, "agents_of": agents_of, "seqs": seqs, "statuses": statuses,
                          "agents": agent_ids}
                rows = session.execute(_CHANGED_PG, params).all()
            else:
                rows = session.execute(_CHANGED_SQLITE, {"seen": json.dumps(expected),
                                                         "agents": json.dumps(agent_ids)}).all()
        return {r.id: (r.agent_id, r.last_seq, r.status) for r in rows}

    async def poll_once(self) -> None:
        if not self.chats and not self.agents:
            return
        moved_now = await run_in_threadpool(self._read, list(self.chats), list(self.agents))
        clock = time.monotonic()
        requeue = clock - self._queue_checked >= QUEUE_SECONDS  # positions move as others are served
        if requeue:
            self._queue_checked = clock
        seen = self.seen
        for chat_id, snap in moved_now.items():
            before = seen.get(chat_id)
            if snap == before:  # saw it meanwhile (a socket read it, the hub was told)
                continue
            if chat_id in self.chats:
                seen[chat_id] = snap
            moved = before is None or before[0] != snap[0]  # agents who got or lost it look at their set
            self._wake(chat_id, *((snap[0], before[0] if before else None) if moved else ()))
        if requeue:
            for chat_id in [c for c, snap in seen.items() if snap[2] == "waiting" and c not in moved_now]:
                self._wake(chat_id)

    def _seats(self, session: Session, now) -> None:
        """Refresh this process's agent sockets in the store, then sweep other processes' stale ones (every
        process that serves sockets sweeps, so a dead process's agents are disconnected while anyone chats)."""
        ids = [ls.socket_id for group in self.agents.values() for ls in group if ls.socket_id]
        seats.refresh(session, socket_ids=ids, now=now)
        seats.sweep(session, now=now)

    async def _run(self) -> None:
        while True:
            try:
                await self.poll_once()
                # only a process serving chat sockets keeps the seats: one without any (an API-only worker, a
                # test's in-process app on a shared connection) writes nothing in the background
                serving = bool(self.agents or self.chats)
                writer = self.writer  # SQLite: groups were committed since the last checkpoint
                if writer is not None and writer.groups != self._checkpointed_groups \
                        and time.monotonic() - self._checkpointed >= CHECKPOINT_SECONDS:
                    self._checkpointed, self._checkpointed_groups = time.monotonic(), writer.groups
                    await run_in_threadpool(writer.checkpoint)
                if serving and time.monotonic() - self._heartbeat >= seats.HEARTBEAT:
                    self._heartbeat = time.monotonic()
                    if self.writer is not None:  # SQLite: in a group with the sockets' writes
                        await self.writer.run(self._seats)
                    else:
                        await run_in_threadpool(lambda: session_scope_run(self.factory, self.clock, self._seats))
            except Exception:  # the store is briefly unreachable: try again next time
                log.exception("chat hub poll failed")
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Poll from the running loop (a test may run the app's lifespan in two loops: one poll each)."""
        loop = asyncio.get_running_loop()
        if loop not in self._tasks:
            self._tasks[loop] = loop.create_task(self._run())

    async def stop(self) -> None:
        task = self._tasks.pop(asyncio.get_running_loop(), None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task



def session_scope_run(factory: sessionmaker[Session], clock: Clock, fn):
    """``fn(session, now)`` in its own committed unit of work; ``(result, wakes it noted)``."""
    with session_scope(factory) as session:
        result = fn(session, clock.now())
        return result, wakes.taken(session)


NO_AUTOCHECKPOINT = "kefu.sqlite.no_autocheckpoint"
INLINE_UNITS = 4  # light units written together on the event loop (GroupWriter); more go to a worker thread


def _begin_now(dbapi: sqlite3.Connection) -> bool:
    """``BEGIN IMMEDIATE`` without waiting: False (and no transaction) when another connection writes."""
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        dbapi.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False
        raise
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return True


class GroupWriter:
    """SQLite takes one writer at a time and makes the others back off in sleeps of up to 100 ms, so this
    process's socket writes queue here instead; and rather than one transaction (and one hop to a worker thread)
    each, the writes that queued while the previous group was committing go together: each in a SAVEPOINT (one
    that fails is rolled back alone and its caller gets its error), one commit for all, then each caller gets
    its result and the hub hears what each noted (``kefu.chat.wakes``). The group's transaction starts with
    ``BEGIN IMMEDIATE`` (the write lock at once, not a read snapshot to upgrade).

    A group's commit never checkpoints: SQLite's automatic checkpoint copies the write-ahead log into the database
    and syncs it to disk (10–20 ms for its 1,000 pages here) inside whichever commit crosses the mark, every few
    seconds under chat traffic — and every message queued behind that commit waited for it. The connections the
    groups use have it off; the hub checkpoints instead (``checkpoint``, every ``CHECKPOINT_SECONDS``, PASSIVE:
    it takes no write lock, so groups go on committing meanwhile), keeping the log short.

    A *light* unit (``run(fn, light=True)``: a chat message, a handful of indexed statements, ~0.3 ms) is written on
    the event loop itself when the write lock is free, alone or in a small group (``INLINE_UNITS``), instead of in a
    worker thread: the hop to the thread and back, and the two threads taking turns with the GIL, cost more than
    the write, and under traffic they set a message's delivery time. The inline attempt does not wait for the lock
    (``busy_timeout`` 0 for its ``BEGIN IMMEDIATE``): held by another writer (an API request, the timer worker),
    the group goes to a worker thread and waits there as before. Heavier units (a chat starting, an agent saying
    ready, which may assign many customers) always go to a thread."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock) -> None:
        self.factory, self.clock = factory, clock
        self.pending: list[tuple] = []
        self.draining, self._task = False, None
        self.groups = self.units = 0  # how many commits, and writes in them

    async def run(self, fn, *, light: bool = False):
        """``fn(session, now)`` in the next group; ``(result, wakes)`` once that group committed. ``light``: see
        the class docstring."""
        if light and not self.draining and self._idle_connection():  # nothing queued: write it now, here
            self.draining = True
            try:
                outcomes = self._write([fn], wait=False)
            finally:
                self.draining = False
            if outcomes is not None:
                (ok, value), = outcomes
                if ok:
                    return value
                raise value
        future = asyncio.get_running_loop().create_future()
        self.pending.append((fn, future, light))
        if not self.draining:
            self.draining = True
            self._task = asyncio.get_running_loop().create_task(self._drain())  # held: the loop keeps weak refs
        return await future

    async def _drain(self) -> None:
        try:
            while self.pending:
                group, self.pending = self.pending, []
                fns = [fn for fn, _, _ in group]
                try:
                    outcomes = None
                    if len(group) <= INLINE_UNITS and all(light for _, _, light in group) and self._idle_connection():
                        outcomes = self._write(fns, wait=False)  # None: the write lock is held elsewhere
                    if outcomes is None:
                        outcomes = await run_in_threadpool(self._write, fns)
                except Exception as exc:  # the group's commit failed: nothing of it is stored
                    outcomes = [(False, exc)] * len(group)
                for (_, future, _), (ok, value) in zip(group, outcomes, strict=True):
                    if future.done():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self.draining = False

    def _idle_connection(self) -> bool:
        """A pooled connection is free: taking it does not wait (on the event loop, nothing may wait)."""
        checkedin = getattr(self.factory.kw["bind"].pool, "checkedin", None)
        return checkedin is None or checkedin() > 0

    def _write(self, fns: list, *, wait: bool = True) -> list[tuple[bool, object]] | None:
        """The group in one transaction; None when ``wait`` is False and another writer holds the lock (nothing
        was done)."""
        outcomes: list[tuple[bool, object]] = []
        with session_scope(self.factory) as session:
            conn = session.connection()
            if not conn.connection.info.get(NO_AUTOCHECKPOINT):  # once per pooled connection
                conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
                conn.connection.info[NO_AUTOCHECKPOINT] = True
            if wait:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif not _begin_now(conn.connection.driver_connection):
                return None
            now = self.clock.now()
            if len(fns) == 1:  # alone: no savepoint, its failure rolls the transaction back
                try:
                    result = fns[0](session, now)
                except Exception as exc:
                    session.rollback()
                    wakes.forget(session)
                    return [(False, exc)]
                self.groups, self.units = self.groups + 1, self.units + 1
                return [(True, (result, wakes.taken(session)))]
            for fn in fns:
                try:
                    with session.begin_nested():
                        result = fn(session, now)
                    outcomes.append((True, (result, wakes.taken(session))))
                except Exception as exc:  # rolled back to its savepoint: the others go on
                    wakes.forget(session)
                    outcomes.append((False, exc))
        self.groups, self.units = self.groups + 1, self.units + len(fns)
        return outcomes

    def checkpoint(self) -> tuple[int, int, int]:
        """Copy what the write-ahead log holds into the database, beside the writers (PASSIVE: pages a reader
        still needs wait for the next time); SQLite's ``(busy, log pages, checkpointed pages)``."""
        with self.factory() as session:
            row = session.connection().exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
            session.commit()
        return tuple(row)


def make_hub(factory: sessionmaker[Session], *, redis_url: str | None, redis_prefix: str = "kefu",
             serial_writes: bool = False, clock: Clock | None = None) -> Hub:
    """The Redis hub when ``KEFU_REDIS_URL`` is set (several server processes), else the in-process one."""
    if redis_url:
        from kefu.chat.redis_hub import RedisHub

        return RedisHub(factory, url=redis_url, prefix=redis_prefix, serial_writes=serial_writes, clock=clock)
    return LocalHub(factory, serial_writes=serial_writes, clock=clock)
