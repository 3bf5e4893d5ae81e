"""Taking contact records in bulk: checked one by one, customers matched and codes resolved for the whole
batch at once, stored with one multi-row insert that skips what is already there.

A telephony system sends call-detail records by the thousand, the CSV importer by the hundred thousand:
the work per record is a dict, never an ORM object, and the queries per batch are a fixed number (codes,
customers, the insert), whatever its size. ``(channel, external_id)`` is unique and the insert is
``ON CONFLICT DO NOTHING``, so a record sent twice, a batch retried after a timeout or an import re-run
after a crash stores each record once and overwrites nothing.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import String, any_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from kefu.accounts.models import User
from kefu.catalog.models import BusinessLine, Category
from kefu.contacts import events, writer
from kefu.contacts.schemas import MAX_BULK, OFFSET_NEEDED, BulkEnvelope, ContactRecord, Record, Records
from kefu.core import pii
from kefu.core.db import begin_write
from kefu.core.errors import DomainError, Invalid
from kefu.customers.models import Customer
from kefu.customers.service import EMAIL_RE, PHONE_RE, lock_new_keys, normalize_phone
from kefu.tickets.models import Ticket

CUSTOMERS = Customer.__table__
CUSTOMER_KEYS = ("wechat_openid", "phone", "email")  # the order match_or_create tries them in


@dataclass
class IngestResult:
    created: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)  # {index, field, message}


# -- checking one record -------------------------------------------------------
_MESSAGES = {"missing": "is required", "timezone_aware": OFFSET_NEEDED}


def _field_of(loc: tuple) -> str | None:
    return ".".join(str(p) for p in loc) or None


def _pydantic_errors(index: int, exc: ValidationError) -> list[dict]:
    out = []
    for err in exc.errors(include_url=False):
        message = _MESSAGES.get(err["type"], err["msg"])
        if err["type"] == "literal_error":
            message = f"must be {err['ctx']['expected']}"
        out.append({"index": index, "field": _field_of(err["loc"]), "message": message})
    return out


def _check_record(rec: ContactRecord) -> tuple[str, str] | None:
    """(field, message) of the first thing wrong with a record that has the right types, or None."""
    if rec.answered_at is not None and rec.answered_at < rec.offered_at:
        return "answered_at", "is before offered_at"
    if rec.ended_at is not None and rec.ended_at < (rec.answered_at or rec.offered_at):
        return "ended_at", "is before " + ("answered_at" if rec.answered_at else "offered_at")
    phone = rec.customer_phone
    if phone and not (phone.isascii() and phone.isdigit() and 6 <= len(phone) <= 31) and not PHONE_RE.match(phone):
        return "customer_phone", "is not a phone number"  # (digits alone, 6 to 31 of them, always match)
    if rec.customer_email and not EMAIL_RE.match(rec.customer_email):
        return "customer_email", "is not an e-mail address"
    return None


def validate(records: Sequence[Any]) -> tuple[list[tuple[int, ContactRecord]], list[dict]]:
    """The records that have the right shape (with their index) and the errors of the others."""
    good, errors = [], []
    for index, raw in enumerate(records):
        if not isinstance(raw, dict):
            errors.append({"index": index, "field": None, "message": "a record must be a JSON object"})
            continue
        try:
            rec = Record.model_validate(raw)
        except ValidationError as exc:
            errors += _pydantic_errors(index, exc)
            continue
        _sort(index, rec, good, errors)
    return good, errors


def _sort(index: int, rec: ContactRecord, good: list, errors: list) -> None:
    """A well-typed record into ``good``, or the first thing wrong with it into ``errors``."""
    problem = _check_record(rec)
    if problem:
        errors.append({"index": index, "field": problem[0], "message": problem[1]})
    else:
        good.append((index, rec))


# -- looking up a batch's codes and customers -----------------------------------
def _one_of(session: Session, column, values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one bound parameter whatever the number of values (a 10,000-record batch
    would otherwise need 10,000 placeholders, past SQLite's limit when several keys are asked at once)."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(String)))
    return column.in_(select(func.json_each(json.dumps(values, ensure_ascii=False))
                             .table_valued("value").c.value))


def _codes(session: Session, column, key, wanted: set) -> dict:
    if not wanted:
        return {}
    return dict(session.execute(select(column, key).where(_one_of(session, column, wanted))).all())


@dataclass
class _Lookups:
    categories: dict  # code -> (id, business_line_id)
    lines: dict  # code -> id
    agents: dict  # username -> id
    tickets: set  # ids that exist


def _lookups(session: Session, recs: list[ContactRecord]) -> _Lookups:
    cats = {r.category for r in recs if r.category}
    categories = {}
    if cats:
        rows = session.execute(select(Category.code, Category.id, Category.business_line_id)
                               .where(_one_of(session, Category.code, cats))).all()
        categories = {code: (cid, line) for code, cid, line in rows}
    tickets = {r.ticket_id for r in recs if r.ticket_id}
    return _Lookups(
        categories=categories,
        lines=_codes(session, BusinessLine.code, BusinessLine.id, {r.business_line for r in recs if r.business_line}),
        agents=_codes(session, User.username, User.id, {r.agent for r in recs if r.agent}),
        tickets=set(session.scalars(select(Ticket.id).where(Ticket.id.in_(tickets)))) if tickets else set(),
    )


def _unknown_code(rec: ContactRecord, found: _Lookups) -> tuple[str, str] | None:
    if rec.category and rec.category not in found.categories:
        return "category", f"no category with code {rec.category}"
    if rec.business_line and rec.business_line not in found.lines:
        return "business_line", f"no business line with code {rec.business_line}"
    if rec.agent and rec.agent not in found.agents:
        return "agent", f"no user {rec.agent}"
    if rec.ticket_id and rec.ticket_id not in found.tickets:
        return "ticket_id", f"no ticket {rec.ticket_id}"
    return None


def _keys(rec: ContactRecord) -> dict[str, str]:
    """The keys a record names its caller by, in ``CUSTOMER_KEYS`` order, as ``match_or_create`` reads them."""
    keys = {}
    if rec.customer_openid:
        keys["wechat_openid"] = rec.customer_openid
    if rec.customer_phone:
        phone = normalize_phone(rec.customer_phone)
        if phone:
            keys["phone"] = phone
    if rec.customer_email:
        keys["email"] = rec.customer_email.lower()
    return keys


class _Customers:
    """The batch's customers, matched as ``customers.service.match_or_create`` would one record at a time
    (openid, then phone, then e-mail; a match learns keys it lacked), with one query to find them all,
    one insert for the new ones and one update per learned key."""

    def __init__(self, session: Session, keys: list[dict[str, str]], now: datetime) -> None:
        self.session, self.now = session, now
        self.index: dict[tuple[str, str], object] = {}  # (key, value) -> customer id, or a new customer dict
        self.known: dict[int, dict] = {}  # id -> its keys as stored
        self.roles: dict[int, str] = {}
        self.new: list[dict] = []
        self.learned: dict[int, dict] = {}
        items: set[tuple[str, str]] = set()
        for rec_keys in keys:
            items.update(rec_keys.items())
        self._find(items)
        # keys no stored customer has: another request may be creating a customer with one of them right now
        # (a record that also brings a known key will not create one: locking its new key too is harmless)
        index = self.index
        new = {item for item in items if item not in index}
        if new and lock_new_keys(session, new):
            self._find(new)

    def _find(self, items: set[tuple[str, str]]) -> None:
        wanted: dict[str, list] = {k: [] for k in CUSTOMER_KEYS}
        for key, value in items:
            wanted[key].append(value)
        conds = [_one_of(self.session, getattr(Customer, k), v) for k, v in wanted.items() if v]
        if not conds:
            return
        rows = self.session.execute(select(Customer.id, Customer.wechat_openid, Customer.phone, Customer.email,
                                           Customer.role).where(or_(*conds)).order_by(Customer.id)).all()
        index, known, roles = self.index, self.known, self.roles
        for cid, openid, phone, email, role in rows:
            known[cid] = {"wechat_openid": openid, "phone": phone, "email": email}
            roles[cid] = role
            # the oldest customer with a key keeps it
            if phone:
                index.setdefault(("phone", phone), cid)
            if openid:
                index.setdefault(("wechat_openid", openid), cid)
            if email:
                index.setdefault(("email", email), cid)

    def match(self, rec: ContactRecord, keys: dict[str, str]) -> object | None:
        if len(keys) == 1:  # most callers bring one key (a phone number): nothing to learn from a match
            ((key, value),) = keys.items()
            found = self.index.get((key, value))
            if found is None:
                found = self.index[(key, value)] = self._create(rec, keys)
            return found
        if not keys:
            return None
        index = self.index
        found = None
        for key in CUSTOMER_KEYS:
            value = keys.get(key)
            if value is not None:
                found = index.get((key, value))
                if found is not None:
                    break
        if found is None:
            found = self._create(rec, keys)
        else:
            self._learn(found, keys)
        for key, value in keys.items():
            self.index.setdefault((key, value), found)
        return found

    def _create(self, rec: ContactRecord, keys: dict) -> dict:
        phone, email = keys.get("phone"), keys.get("email")
        label = rec.customer_name or (pii.mask_phone(phone) if phone else None) or (
            email.split("@")[0] if email else None)
        row = {"name": (label or "访客")[:100], "role": rec.customer_role or "consumer", "phone": phone,
               "email": email, "wechat_openid": keys.get("wechat_openid"), "address": None, "id_number": None,
               "created_at": self.now, "updated_at": self.now}
        self.new.append(row)
        return row

    def _learn(self, found: object, keys: dict) -> None:
        stored = found if isinstance(found, dict) else self.known[found]
        for key, value in keys.items():
            if not stored.get(key):
                stored[key] = value
                if not isinstance(found, dict):
                    self.learned.setdefault(found, {})[key] = value

    def store(self, stored: Any) -> dict[int, int]:
        """Insert the new customers (see ``writer.insert_customers``; ``stored`` gives a time its stored form) and
        the learned keys; ``id(new dict) -> customer id``."""
        ids: dict[int, int] = {}
        if self.new:
            new_ids = writer.insert_customers(self.session, self.new, stored)
            if new_ids is None:
                self._find_new(ids)
            else:
                ids = {id(row): cid for row, cid in zip(self.new, new_ids, strict=True)}
        for key in CUSTOMER_KEYS:
            rows = [{"cid": cid, "value": keys[key]} for cid, keys in self.learned.items() if key in keys]
            if rows:
                self.session.execute(
                    CUSTOMERS.update().where(CUSTOMERS.c.id == bindparam("cid"), CUSTOMERS.c[key].is_(None))
                    .values({key: bindparam("value"), "updated_at": self.now}), rows)
        return ids

    def _find_new(self, ids: dict[int, int]) -> None:
        # every new customer has a key no stored customer had: the oldest customer holding it is the new one
        wanted: dict[str, set] = {k: set() for k in CUSTOMER_KEYS}
        for row in self.new:
            key = next(k for k in CUSTOMER_KEYS if row[k])
            wanted[key].add(row[key])
        conds = [_one_of(self.session, getattr(Customer, k), v) for k, v in wanted.items() if v]
        first: dict[tuple[str, str], int] = {}
        for cid, *values in self.session.execute(select(Customer.id, *(getattr(Customer, k) for k in CUSTOMER_KEYS))
                                                 .where(or_(*conds)).order_by(Customer.id)):
            for key, value in zip(CUSTOMER_KEYS, values, strict=True):
                if value:
                    first.setdefault((key, value), cid)
        for row in self.new:
            key = next(k for k in CUSTOMER_KEYS if row[k])
            ids[id(row)] = first[(key, row[key])]


# -- the batch -----------------------------------------------------------------
class TooLarge(DomainError):
    status_code = 413


_BULK = TypeAdapter(BulkEnvelope)
_BULK_RECORDS = TypeAdapter(Records)


def read_bulk(body: bytes, *, limit: int = MAX_BULK) -> tuple[list[tuple[int, ContactRecord]], list[dict]]:
    """The records of a bulk body (``{"contacts": [...]}``, JSON bytes) that have the right shape, with their
    index, and the errors of the others.

    The whole body is decoded and checked in one call into pydantic's core (no Python per field); only when
    that finds a fault is it decoded again and checked a record at a time, to report each bad record by its
    index and field and keep the good ones."""
    try:
        recs = _BULK_RECORDS.validate_json(body).contacts
    except ValidationError:
        try:
            raw = _BULK.validate_json(body).contacts
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            if first["type"] == "json_invalid":
                raise Invalid(f"the body is not JSON ({first['ctx'].get('error', first['msg'])})") from None
            raise Invalid('the body must be a JSON object {"contacts": [...]}: '
                          f"{_field_of(first['loc']) or 'body'}: {_MESSAGES.get(first['type'], first['msg'])}",
                          field="contacts") from None
        _check_size(len(raw), limit)
        return validate(raw)
    _check_size(len(recs), limit)
    good, errors = [], []
    for index, rec in enumerate(recs):  # _sort, inline
        problem = _check_record(rec)
        if problem:
            errors.append({"index": index, "field": problem[0], "message": problem[1]})
        else:
            good.append((index, rec))
    return good, errors


def _check_size(n: int, limit: int) -> None:
    if n > limit:
        raise TooLarge(f"at most {limit} contacts per request (got {n}); split the batch", field="contacts")


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused for one batch. A 10,000-record batch allocates a few hundred thousand
    objects (records, dicts, datetimes, row tuples), none in a reference cycle, and the collector would walk
    the whole heap again and again meanwhile: measured at ~80 ms of ~490 per 10,000 records on SQLite.
    Collection resumes when the batch is done (if another batch paused it, when that one is done)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def ingest(session: Session, records: Sequence[Any], *, now: datetime) -> IngestResult:
    """Store the good records of a batch (see the module's docstring) in the caller's transaction.

    Bad records are reported ``{index, field, message}`` and skipped; a record already stored (same channel
    and ``call_id``) counts as a duplicate. Within a batch, the first of two records with the same id wins."""
    with _no_cycle_collection():
        good, errors = validate(records)
        return store(session, good, errors, now=now)


def ingest_json(session: Session, body: bytes, *, now: datetime, limit: int = MAX_BULK) -> IngestResult:
    """``ingest`` for a bulk body as it came over the wire (see ``read_bulk``)."""
    with _no_cycle_collection():
        good, errors = read_bulk(body, limit=limit)
        return store(session, good, errors, now=now)


def store(session: Session, good: list[tuple[int, ContactRecord]], errors: list[dict], *,
          now: datetime) -> IngestResult:
    """Store checked records (``validate``/``read_bulk``), in the caller's transaction; ``errors`` gets those
    whose codes are unknown."""
    found = _lookups(session, [rec for _, rec in good])
    result = IngestResult(errors=errors)
    seen: set[tuple[str, str]] = set()
    batch: list[ContactRecord] = []
    for index, rec in good:
        problem = _unknown_code(rec, found)
        if problem:
            errors.append({"index": index, "field": problem[0], "message": problem[1]})
            continue
        key = (rec.channel, rec.call_id)
        if key in seen:
            result.duplicates += 1
        else:
            seen.add(key)
            batch.append(rec)
    keys = [_keys(rec) for rec in batch]
    begin_write(session)  # SQLite: the callers found stay the only ones with their keys until commit
    customers = _Customers(session, keys, now)
    match = customers.match
    matched = [match(rec, k) for rec, k in zip(batch, keys, strict=True)]
    as_text = session.get_bind().dialect.name == "sqlite"
    stored = writer.utc_text if as_text else _same
    new_ids = customers.store(stored)
    rows = _rows(batch, matched, new_ids, found, customers.roles, stored(now.astimezone(UTC)), as_text)
    times = [(r.offered_at, r.answered_at, r.ended_at) for r in batch] if as_text and events.NEW else None
    result.created = writer.insert_contacts(session, rows, len(batch), times)
    result.duplicates += len(batch) - result.created
    errors.sort(key=lambda e: e["index"])
    return result


def _same(value: Any) -> Any:
    return value  # psycopg sends an aware datetime with its offset; timestamptz stores the instant


def _rows(batch: list[ContactRecord], matched: list, new_ids: dict[int, int], found: _Lookups, roles: dict,
          created_at: Any, as_text: bool) -> Iterator[tuple]:
    """The contacts' row tuples in ``writer.CONTACT_COLUMNS`` order, one at a time as the driver takes them
    (PostgreSQL stores the first ones while the rest are made); times as SQLite stores them when ``as_text``,
    else as they are (aware)."""
    categories, lines, agents = found.categories, found.lines, found.agents
    for rec, who in zip(batch, matched, strict=True):
        if who is None:
            customer_id, role = None, None
        elif type(who) is dict:
            customer_id, role = new_ids[id(who)], who["role"]
        else:
            customer_id, role = who, roles.get(who)
        category_id, category_line = categories.get(rec.category, (None, None)) if rec.category else (None, None)
        offered, answered, ended, talk = rec.offered_at, rec.answered_at, rec.ended_at, rec.talk_seconds
        if talk is None and answered is not None and ended is not None:
            talk = max(0, int((ended - answered).total_seconds()) - (rec.hold_seconds or 0))
        if as_text:  # writer.utc_text, inline: 30,000 calls a batch
            offered = offered.astimezone(UTC).isoformat(" ", "microseconds")[:26]
            if answered is not None:
                answered = answered.astimezone(UTC).isoformat(" ", "microseconds")[:26]
            if ended is not None:
                ended = ended.astimezone(UTC).isoformat(" ", "microseconds")[:26]
        yield (rec.channel, rec.call_id, rec.direction, customer_id, rec.customer_role or role,
               lines.get(rec.business_line, category_line) if rec.business_line else category_line,
               category_id, agents.get(rec.agent) if rec.agent else None, rec.queue, offered, answered, ended,
               talk, rec.hold_seconds, rec.wrap_seconds, rec.outcome, rec.ticket_id, None, created_at)
