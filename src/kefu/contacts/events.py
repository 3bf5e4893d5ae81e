"""What other domains hear when contacts are stored or change: complaint-spike alerts (M6) count new
contacts, KPI rollups (M7) keep their interval totals in step with new and changed ones.

Listeners are told in batches (``NewContacts``), never once per row of a bulk insert, and run inside the writer's
transaction, before it commits: what they write commits or rolls back with the contacts. A listener that
must act only once the contacts are durable (a notification, a realtime push) registers an ``after_commit``
hook on the session it is given.

Every path that writes contacts reaches them:
- the bulk path (``contacts.writer.insert_contacts``: the API, the CSV importer, the simulator) calls
  ``publish_new`` with the rows it inserted, not the duplicates it skipped;
- every other path (channel intake, chat, the demo) writes ORM ``Contact`` objects, which an ``after_flush``
  listener on every ``Session`` publishes: new objects to ``on_new``, changed ones to ``on_changed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE

from kefu.contacts.models import Contact

# the columns a listener is told (what alerts and rollups key on), in this order
FACT_COLUMNS = ("id", "channel", "customer_id", "business_line_id", "category_id", "agent_id", "queue", "offered_at",
                "answered_at", "ended_at", "talk_seconds", "hold_seconds", "wrap_seconds", "outcome", "ticket_id",
                "satisfaction")


_TIMES_AT = tuple(FACT_COLUMNS.index(name) for name in ("offered_at", "answered_at", "ended_at"))


@dataclass(frozen=True, slots=True)
class ContactFact:
    """One stored contact as listeners see it (times aware, in UTC)."""

    id: int
    channel: str
    customer_id: int | None
    business_line_id: int | None
    category_id: int | None
    agent_id: int | None
    queue: str | None
    offered_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: int | None
    hold_seconds: int | None
    wrap_seconds: int | None
    outcome: str
    ticket_id: int | None
    satisfaction: int | None
    text: str | None = None  # the customer's words, where the channel has them (e-mail subject, WeChat text)
    # a changed contact: its state before this change, when the unit of work knew it (the ORM's history), so a
    # listener can move its counts from the old keys to the new ones instead of recounting from the raw rows
    before: ContactFact | None = None

    @classmethod
    def of(cls, contact: Contact, text: str | None = None) -> ContactFact:
        values = {name: getattr(contact, name) for name in FACT_COLUMNS}
        return cls(**_utc(values), text=text)

    @classmethod
    def from_row(cls, row: Sequence) -> ContactFact:
        """From a row of ``FACT_COLUMNS`` as the driver gives it (SQLite: naive UTC text or datetimes). Called
        for every row of a bulk insert: positional, no dict."""
        values = list(row)
        for i in _TIMES_AT:
            v = values[i]
            if v is not None:
                if type(v) is str:
                    v = datetime.fromisoformat(v)
                values[i] = v.replace(tzinfo=UTC) if v.tzinfo is None else v
        return cls(*values)


class NewContacts(Sequence[ContactFact]):
    """A batch of newly stored contacts as listeners are told it: a sequence of ``ContactFact`` (built only when
    a listener reads them: a 10,000-row bulk batch would otherwise make 10,000 objects no set-based listener
    needs), and ``ids``, the stored rows' ids, for listeners that work in SQL over ``contacts`` (``where``).

    ``has_text``: whether any contact may carry the customer's words (the bulk path's rows never do)."""

    __slots__ = ("ids", "_build", "_facts", "has_text")

    def __init__(self, ids: Sequence[int], build: Callable[[int], ContactFact] | None = None, *,
                 facts: list[ContactFact] | None = None, has_text: bool = True) -> None:
        self.ids, self._build, self._facts, self.has_text = ids, build, facts, has_text

    @classmethod
    def of(cls, facts: Sequence[ContactFact]) -> NewContacts:
        return facts if isinstance(facts, NewContacts) else cls([f.id for f in facts], facts=list(facts))

    def facts(self) -> list[ContactFact]:
        if self._facts is None:
            build = self._build
            self._facts = [build(i) for i in range(len(self.ids))]
        return self._facts

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):  # one fact (the last one, say) without building the others
        if self._facts is not None or isinstance(i, slice):
            return self.facts()[i]
        return self._build(range(len(self.ids))[i])

    def __iter__(self) -> Iterator[ContactFact]:
        return iter(self.facts())

    def worded(self) -> list[ContactFact]:
        return [f for f in self.facts() if f.text] if self.has_text else []

    def where(self, dialect: str, column: str = "id") -> tuple[str, tuple]:
        """An SQL condition selecting these rows of ``contacts`` (``column`` as it is named in the query) and its
        parameters, in the driver's paramstyle: a range when the ids follow one another, else one array."""
        ids = self.ids
        if isinstance(ids, range) and ids.step == 1:
            mark = "?" if dialect == "sqlite" else "%s"
            return f"{column} BETWEEN {mark} AND {mark}", (ids.start, ids.stop - 1)
        if dialect == "sqlite":
            return f"{column} IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),)
        return f"{column} = ANY(%s)", (list(ids),)


Listener = Callable[[Session, Sequence[ContactFact]], None]
NEW: list[Listener] = []
CHANGED: list[Listener] = []


def on_new(fn: Listener) -> Listener:
    """Register ``fn(session, facts)`` to hear of newly stored contacts."""
    if fn not in NEW:
        NEW.append(fn)
    return fn


def on_changed(fn: Listener) -> Listener:
    """Register ``fn(session, facts)`` to hear of stored contacts that changed (answered, ended, rated…)."""
    if fn not in CHANGED:
        CHANGED.append(fn)
    return fn


def publish_new(session: Session, facts: Sequence[ContactFact]) -> None:
    """Tell the ``on_new`` listeners (a ``NewContacts``; a plain list of facts is made one)."""
    if facts:
        batch = NewContacts.of(facts)
        for fn in NEW:
            fn(session, batch)


def publish_changed(session: Session, facts: Sequence[ContactFact]) -> None:
    if facts:
        for fn in CHANGED:
            fn(session, facts)


def text_for(contact: Contact, text: str | None) -> None:
    """Attach the customer's words to a contact about to be flushed, for listeners that read text (same-issue
    alerts). Kept on the object only, never stored on the contact row."""
    contact.__dict__["_kefu_text"] = text


def _utc(values: dict) -> dict:
    for name in ("offered_at", "answered_at", "ended_at"):
        v = values[name]
        if isinstance(v, str):
            v = datetime.fromisoformat(v)
        if v is not None and v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        values[name] = v
    return values


def _changed(contact: Contact) -> ContactFact:
    """A changed contact's fact, with its state before the flush when every changed column's old value was
    loaded (after_flush still sees the ORM's history)."""
    now = ContactFact.of(contact)
    committed = inspect(contact).committed_state
    old = {}
    for name in FACT_COLUMNS:
        if name in committed:
            value = committed[name]
            if value is NO_VALUE or value is NEVER_SET:
                return now
            old[name] = value
        else:
            old[name] = getattr(contact, name)
    return replace(now, before=ContactFact(**_utc(old)))


@event.listens_for(Session, "after_flush")
def _orm_contacts(session: Session, flush_context) -> None:
    if not (NEW or CHANGED):
        return
    new = [ContactFact.of(o, o.__dict__.get("_kefu_text")) for o in session.new if isinstance(o, Contact)]
    changed = [_changed(o) for o in session.dirty
               if isinstance(o, Contact) and o not in session.new and inspect(o).modified
               and session.is_modified(o, include_collections=False)]
    new.sort(key=lambda f: f.id)
    publish_new(session, new)
    publish_changed(session, changed)
