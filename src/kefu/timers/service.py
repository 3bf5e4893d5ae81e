"""Durable timers: schedule, cancel, and a worker round that fires due timers once.

A round takes a batch of due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
several workers share the work without waiting on each other), claims each
with a conditional UPDATE (so a timer fires once even where row locks do not
exist, as on SQLite), and runs its handler in a SAVEPOINT together with the
claim: the effect and the "done" mark commit together or not at all. A failing
handler is retried with backoff and never stops the rest of the batch; after the last
attempt the kind's ``on_give_up`` hook runs (to tell someone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from kefu.core.clock import Clock
from kefu.core.pii import scrub_text
from kefu.timers.models import Timer

log = logging.getLogger("kefu.timers")
Handler = Callable[[Session, Timer, datetime], None]
HANDLERS: dict[str, Handler] = {}
GIVE_UP: dict[str, Handler] = {}  # called once when a kind's timer fails for the last time
MAX_ATTEMPTS = 5


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that fires timers of ``kind``."""

    def wrap(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return wrap


def on_give_up(kind: str) -> Callable[[Handler], Handler]:
    """Register what to do when a ``kind`` timer has failed ``MAX_ATTEMPTS`` times (tell someone)."""

    def wrap(fn: Handler) -> Handler:
        GIVE_UP[kind] = fn
        return fn

    return wrap


def _upsert(dialect: str):
    """The schedule statement, built once per dialect (building it costs more than running it). Core statements
    on the table, as ``cancel``'s: the ORM's bulk path costs more than the statement (the session still flushes
    first)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        base = insert(TIMERS)  # values come with the parameters
        stmt = _UPSERTS[dialect] = base.on_conflict_do_update(
            index_elements=[TIMERS.c.kind, TIMERS.c.ref_id],
            set_={"due_at": base.excluded.due_at, "status": "pending", "attempts": 0, "last_error": None},
        )
    return stmt


_UPSERTS: dict[str, object] = {}
TIMERS = Timer.__table__
_CANCEL = (update(TIMERS).where(TIMERS.c.kind == bindparam("t_kind"), TIMERS.c.ref_id == bindparam("t_ref"),
                                TIMERS.c.status == "pending")
           .values(status="cancelled"))


def schedule(session: Session, *, kind: str, ref_id: int, due_at: datetime) -> None:
    """Set the (kind, ref) timer to fire at ``due_at``: one upsert statement."""
    session.execute(_upsert(session.get_bind().dialect.name),
                    {"kind": kind, "ref_id": ref_id, "due_at": due_at, "status": "pending", "attempts": 0})


def cancel(session: Session, *, kind: str, ref_id: int) -> None:
    session.execute(_CANCEL, {"t_kind": kind, "t_ref": ref_id})


_CANCEL_KINDS = (update(TIMERS).where(TIMERS.c.kind.in_(bindparam("t_kinds", expanding=True)),
                                      TIMERS.c.ref_id == bindparam("t_ref"), TIMERS.c.status == "pending")
                 .values(status="cancelled"))


def cancel_kinds(session: Session, *, kinds: tuple[str, ...], ref_id: int) -> None:
    """``cancel`` for several kinds of timer of one ref, in one statement."""
    session.execute(_CANCEL_KINDS, {"t_kinds": list(kinds), "t_ref": ref_id})


def run_due(factory: sessionmaker[Session], clock: Clock, *, batch: int = 200,
            after_commit: Callable[[Session], None] | None = None) -> int:
    """Fire the timers due now; returns how many fired. ``after_commit(session)`` runs once the batch is
    committed, e.g. to tell live sockets what the handlers noted on the session (``kefu.chat.wakes``)."""
    fired = 0
    with factory() as session:
        with session.begin():
            now = clock.now()
            due = session.scalars(
                select(Timer)
                .where(Timer.status == "pending", Timer.due_at <= now)
                .order_by(Timer.due_at, Timer.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            for timer in due:
                fired += _fire_one(session, timer, now)
        if after_commit is not None and due:
            try:
                after_commit(session)
            except Exception:  # telling others is best effort: what fired is committed
                log.exception("after firing timers")
    return fired


def _fire_one(session: Session, timer: Timer, now: datetime) -> int:
    fn = HANDLERS.get(timer.kind)
    try:
        with session.begin_nested():
            claimed = session.execute(
                update(Timer).where(Timer.id == timer.id, Timer.status == "pending", Timer.due_at == timer.due_at)
                .values(status="done", fired_at=now, attempts=Timer.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                return 0
            session.expire(timer)  # the handler may reschedule this very timer
            if fn is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            fn(session, timer, now)
        return 1
    except Exception as exc:  # one bad timer must not stop the rest
        session.refresh(timer)
        timer.attempts += 1
        timer.last_error = scrub_text(f"{type(exc).__name__}: {exc}")[:2000]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.status = "failed"
            _give_up(session, timer, now)
        else:
            timer.due_at = now + timedelta(seconds=30 * 2 ** timer.attempts)
        log.warning("timer %s #%s (ref %s) failed: %s", timer.kind, timer.id, timer.ref_id, timer.last_error)
        return 0


def _give_up(session: Session, timer: Timer, now: datetime) -> None:
    fn = GIVE_UP.get(timer.kind)
    if fn is None:
        return
    try:
        with session.begin_nested():
            fn(session, timer, now)
    except Exception as exc:  # the timer stays failed; the rest of the batch goes on
        log.error("timer %s #%s: give-up hook failed: %s", timer.kind, timer.id, scrub_text(str(exc)))
