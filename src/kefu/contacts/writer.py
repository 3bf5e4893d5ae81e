"""Writing a checked batch through the database driver: new customers, then contacts, as positional tuples in
the session's transaction, with no SQLAlchemy parameter processing.

- SQLite: one ``executemany`` each; contacts ``ON CONFLICT (channel, external_id) DO NOTHING``.
- PostgreSQL: ``COPY`` each. Contacts are copied straight into ``contacts`` inside a savepoint: a batch is
  nearly always new calls, and the unique key refuses any record stored before (a retried batch, a call sent
  twice, another request storing the same call at the same moment). Then the savepoint is rolled back and the
  batch goes the careful way: ``COPY`` into a temporary table and ``INSERT … SELECT … ON CONFLICT DO
  NOTHING``, which skips what is stored and says what was new.

The rows a batch stored are published to ``kefu.contacts.events`` listeners (only when there are any) as a
``NewContacts``: their ids (set-based listeners work in SQL over those rows), and facts made only if a listener
reads them. PostgreSQL takes the ids from the sequence first (one query) and makes facts from its own tuples,
or from ``RETURNING`` on the careful way. SQLite reads back the ids it has just given: the write lock is the
session's from the insert's first row on, so they follow one another up to the last (reading the largest id
before the insert could take in another writer's rows, committed in between).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg.errors
from sqlalchemy.orm import Session

from kefu.contacts import events
from kefu.contacts.events import FACT_COLUMNS, ContactFact
from kefu.contacts.models import Contact
from kefu.customers.models import Customer

CONTACT_COLUMNS = [c.name for c in Contact.__table__.columns if not c.primary_key]
assert CONTACT_COLUMNS == ["channel", "external_id", "direction", "customer_id", "customer_role",
                           "business_line_id", "category_id", "agent_id", "queue", "offered_at", "answered_at",
                           "ended_at", "talk_seconds", "hold_seconds", "wrap_seconds", "outcome", "ticket_id",
                           "satisfaction", "created_at"], "the row tuples follow this order"
_CONTACT_LIST = ", ".join(CONTACT_COLUMNS)
_FACT_LIST = ", ".join(FACT_COLUMNS)
# where each fact column (after the id) is in a row tuple
_FACT_AT = [CONTACT_COLUMNS.index(name) for name in FACT_COLUMNS[1:]]
_TIMES_AT = [FACT_COLUMNS.index(name) for name in ("offered_at", "answered_at", "ended_at")]
CUSTOMER_COLUMNS = ("id", "name", "role", "phone", "email", "wechat_openid", "created_at", "updated_at")
_CUSTOMER_LIST = ", ".join(CUSTOMER_COLUMNS)

# PostgreSQL: binary COPY (the driver packs ints and times in C instead of printing each as text), with the
# columns' types (a varchar column takes text's binary form)
_PG_TYPES = {"VARCHAR": "text", "INTEGER": "int4", "BIGINT": "int8", "SMALLINT": "int2",
             "TIMESTAMP WITH TIME ZONE": "timestamptz"}


def binary_types(table, names: Sequence[str]) -> list[str]:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    return [_PG_TYPES[table.c[name].type.compile(dialect=dialect).split("(")[0]] for name in names]


_CONTACT_TYPES = binary_types(Contact.__table__, CONTACT_COLUMNS)
_CONTACT_ID_TYPES = binary_types(Contact.__table__, ["id", *CONTACT_COLUMNS])
_CUSTOMER_TYPES = binary_types(Customer.__table__, CUSTOMER_COLUMNS)
_BINARY = "(FORMAT BINARY)"


def _driver(session: Session):
    return session.connection().connection.driver_connection


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _next_ids(cur, table: str, n: int) -> list[int]:
    cur.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %s)", (n,))
    return [r[0] for r in cur.fetchall()]


def insert_customers(session: Session, new: list[dict], stored: Callable[[Any], Any]) -> list[int] | None:
    """Insert the batch's new customers; their ids, in order (``None``: found by key instead).

    PostgreSQL: the ids are taken from the table's sequence first (one query) and the rows go in by ``COPY``.
    SQLite: one executemany inside the write transaction, where no one else can insert; SQLite gives a new
    row the largest id plus one, so ours are the ``len(new)`` ids up to the last one given, which is checked
    (exactly that many rows from the first of them on; if ever not so, the caller finds them by key)."""
    dbapi = _driver(session)
    now = stored(new[0]["created_at"])
    if _is_postgresql(session):
        with dbapi.cursor() as cur:
            ids = _next_ids(cur, "customers", len(new))
            with cur.copy(f"COPY customers ({_CUSTOMER_LIST}) FROM STDIN {_BINARY}") as copy:
                copy.set_types(_CUSTOMER_TYPES)
                for cid, row in zip(ids, new, strict=True):
                    copy.write_row((cid, row["name"], row["role"], row["phone"], row["email"], row["wechat_openid"],
                                    now, now))
        return ids
    cur = dbapi.cursor()
    try:
        cur.executemany(f"INSERT INTO customers ({_CUSTOMER_LIST[4:]}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(row["name"], row["role"], row["phone"], row["email"], row["wechat_openid"], now, now)
                         for row in new])
        last = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
        first = last - len(new) + 1
        count, lowest = cur.execute("SELECT count(*), min(id) FROM customers WHERE id >= ?", (first,)).fetchone()
    finally:
        cur.close()
    if count != len(new) or lowest != first:
        return None
    return list(range(first, last + 1))


def insert_contacts(session: Session, rows: Iterable[tuple], count: int,
                    times: Sequence[tuple] | None = None) -> int:
    """Insert ``rows`` (``count`` tuples in ``CONTACT_COLUMNS`` order, taken one at a time), skipping those
    whose (channel, external_id) is stored; how many were new. The new ones are published to ``events``
    listeners (SQLite: ``times`` are each row's offered, answered and ended times as aware datetimes, for
    them; the rows carry them as text)."""
    if not count:
        return 0
    if _is_postgresql(session):
        return _copy_contacts(session, rows, count)
    kept: list[tuple] = []
    if events.NEW:
        rows = _keeping(rows, kept)
    cur = _driver(session).cursor()
    try:
        cur.executemany(f"INSERT INTO contacts ({_CONTACT_LIST}) VALUES ({', '.join('?' * len(CONTACT_COLUMNS))}) "
                        "ON CONFLICT (channel, external_id) DO NOTHING", rows)
        created = cur.rowcount
        batch = None
        if events.NEW and created > 0:
            # the write lock was ours from the first row on: SQLite gave the new rows the ids after the largest,
            # one after the other, up to the last one it gave (a skipped duplicate takes none)
            last = cur.execute("SELECT last_insert_rowid()").fetchone()[0]
            first = last - created + 1
            if created == count and times is not None:  # every row is new: the ids are theirs, in order
                batch = events.NewContacts(range(first, last + 1), lambda i: _fact(first + i, kept[i], times[i]),
                                           has_text=False)
            else:
                batch = events.NewContacts(range(first, last + 1), facts=[ContactFact.from_row(r) for r in cur.execute(
                    f"SELECT {_FACT_LIST} FROM contacts WHERE id BETWEEN ? AND ? ORDER BY id", (first, last))],
                    has_text=False)
    finally:
        cur.close()
    if batch is not None:
        events.publish_new(session, batch)
    return created


def _copy_contacts(session: Session, rows: Iterable[tuple], count: int) -> int:
    kept: list[tuple] = []  # for the careful way, and the listeners
    keep = kept.append
    with _driver(session).cursor() as cur:
        ids = _next_ids(cur, "contacts", count) if events.NEW else None
        cur.execute("SAVEPOINT contacts_copy")
        try:
            if ids is None:
                with cur.copy(f"COPY contacts ({_CONTACT_LIST}) FROM STDIN {_BINARY}") as copy:
                    copy.set_types(_CONTACT_TYPES)
                    write = copy.write_row
                    for row in rows:
                        keep(row)
                        write(row)
            else:
                with cur.copy(f"COPY contacts (id, {_CONTACT_LIST}) FROM STDIN {_BINARY}") as copy:
                    copy.set_types(_CONTACT_ID_TYPES)
                    for cid, row in zip(ids, rows, strict=True):
                        keep(row)
                        copy.write_row((cid, *row))
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT contacts_copy")
            cur.execute("RELEASE SAVEPOINT contacts_copy")
            kept += rows  # the rest, if the server stopped the copy before all were sent
            return _insert_new_contacts(session, cur, kept)
        cur.execute("RELEASE SAVEPOINT contacts_copy")
        rows = kept
    if ids is not None:
        span = range(ids[0], ids[-1] + 1)  # the sequence's values are distinct: as many as the span, they are it
        events.publish_new(session, events.NewContacts(span if len(span) == len(ids) else ids,
                                                       lambda i: _fact(ids[i], rows[i]), has_text=False))
    return len(rows)


def _keeping(rows: Iterable[tuple], kept: list[tuple]) -> Iterator[tuple]:
    for row in rows:
        kept.append(row)
        yield row


def _fact(cid: int, row: tuple, times: tuple | None = None) -> ContactFact:
    """A stored row as listeners see it; ``times`` (aware) instead of the row's own times when given."""
    values = [cid, *(row[i] for i in _FACT_AT)]
    times = times or tuple(values[i] for i in _TIMES_AT)
    for i, when in zip(_TIMES_AT, times, strict=True):
        values[i] = None if when is None else when.astimezone(UTC)
    return ContactFact(*values)


def _insert_new_contacts(session: Session, cur, rows: Sequence[tuple]) -> int:
    """The careful way: ``COPY`` to a temporary table, then insert what is not stored yet."""
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS contacts_incoming ON COMMIT DELETE ROWS AS "
                f"SELECT {_CONTACT_LIST} FROM contacts WITH NO DATA")
    cur.execute("TRUNCATE contacts_incoming")
    with cur.copy(f"COPY contacts_incoming ({_CONTACT_LIST}) FROM STDIN {_BINARY}") as copy:
        copy.set_types(_CONTACT_TYPES)
        for row in rows:
            copy.write_row(row)
    cur.execute(f"INSERT INTO contacts ({_CONTACT_LIST}) SELECT {_CONTACT_LIST} FROM contacts_incoming "
                f"ON CONFLICT (channel, external_id) DO NOTHING RETURNING {_FACT_LIST}")
    facts = [ContactFact.from_row(r) for r in cur.fetchall()] if events.NEW else []
    created = cur.rowcount
    if facts:
        events.publish_new(session, events.NewContacts([f.id for f in facts], facts=facts, has_text=False))
    return created


def utc_text(dt: datetime | None) -> str | None:
    """How ``UTCDateTime`` stores a time on SQLite: naive UTC text (the same text a query's bound value
    becomes, so comparisons hold)."""
    return None if dt is None else dt.astimezone(UTC).isoformat(" ", "microseconds")[:26]  # less "+00:00"
