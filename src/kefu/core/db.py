"""The store: declarative base, UTC timestamps, engine and sessions.

Nothing is built at import time: ``make_engine`` is called by the app factory,
the CLI and the tests with the URL they want.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


BUSY_TIMEOUT_MS = 10_000  # SQLite: how long a writer waits for another's lock


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # pysqlite keeps its default transaction control on purpose: reads run outside a transaction
    # and a write transaction opens at the first INSERT/UPDATE/DELETE, so a writer waits on
    # busy_timeout instead of failing to upgrade a stale read snapshot (SQLITE_BUSY) when
    # requests overlap. Tests that need a real outer transaction set that up themselves.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


SQLITE_ANALYSIS_LIMIT = 1000  # rows sampled per index: ~1 s at a million tickets, plenty for plan choice


def refresh_planner_statistics(engine: Engine) -> None:
    """Let SQLite's planner know how rows spread over the indexes (``ANALYZE``, sampled).

    Without statistics SQLite picks the index with the most constrained terms, e.g. (status, created_at)
    for "open tickets created before today in queue order", and sorts every open ticket; with them it walks
    the queue index and stops after a page. PostgreSQL's autovacuum keeps its own statistics: no-op there.
    Run by ``kefu db upgrade``, ``kefu db analyze`` and the timer worker (at start, then every few hours).
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def advisory_xact_locks(session: Session, space: int, keys: Iterable[int]) -> None:
    """PostgreSQL: take the transaction-scoped advisory locks ``(space, key)`` of ``keys`` (int4), in key order,
    in one round trip: two writers taking overlapping sets wait for one another and never deadlock. Released at
    commit or rollback."""
    keys = sorted(set(keys))
    if keys:  # the subquery's order is the order the locks are taken in
        session.execute(text("SELECT count(pg_advisory_xact_lock(:space, k)) FROM "
                             "(SELECT k FROM unnest(CAST(:keys AS integer[])) AS k ORDER BY k) AS ordered"),
                        {"space": space, "keys": keys})


def begin_write(session: Session) -> bool:
    """SQLite: make the session's transaction a write transaction now (``BEGIN IMMEDIATE``, waiting on
    busy_timeout for the writer before), so that what it reads next stays true until it commits; whether one
    began (False: already writing, or not SQLite). pysqlite otherwise begins only at the first write, and a read
    before it can be stale by the time of the write."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    dbapi = session.connection().connection.driver_connection
    if dbapi.in_transaction:  # pysqlite begins at the first INSERT/UPDATE/DELETE: the write lock is held
        return False
    dbapi.execute("BEGIN IMMEDIATE")
    return True


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
