"""Reading tickets: the filtered list (a fixed number of queries whatever the page size),
Chinese search, and the full-text index objects on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import DDL, Select, event, false, func, literal, literal_column, or_, select, table, text, true
from sqlalchemy import column as sa_column
from sqlalchemy.orm import Session, joinedload

from kefu.catalog.models import Category
from kefu.core.paging import capped_count, page_count
from kefu.tickets import search, workflow
from kefu.tickets.models import Ticket

# -- full-text index objects ------------------------------------------------
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS tickets_fts USING fts5(search_text, content='tickets', "
    "content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS tickets_fts_ai AFTER INSERT ON tickets BEGIN "
    "INSERT INTO tickets_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_fts_ad AFTER DELETE ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, search_text) VALUES('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS tickets_fts_au AFTER UPDATE OF search_text ON tickets BEGIN "
    "INSERT INTO tickets_fts(tickets_fts, rowid, search_text) VALUES('delete', old.id, old.search_text); "
    "INSERT INTO tickets_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
# PostgreSQL: a stored tsvector (computed once per write, not per row read by a search) and its GIN index.
# Neither is in the SQLAlchemy model (migrations/env.py leaves them out of autogenerate / alembic check).
POSTGRES_FTS = [
    "ALTER TABLE tickets ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_tickets_search_vector ON tickets USING gin (search_vector)",
]
# revisions 0001 / 0002 indexed the expression instead; 0003 replaced it by the column above
POSTGRES_FTS_0001 = ("CREATE INDEX IF NOT EXISTS ix_tickets_search ON tickets "
                     "USING gin (to_tsvector('simple', search_text))")
_SEARCH_VECTOR = literal_column("tickets.search_vector")


def create_search_objects(connection) -> None:
    statements = SQLITE_FTS if connection.dialect.name == "sqlite" else POSTGRES_FTS
    for statement in statements:
        connection.exec_driver_sql(statement)


for _stmt in SQLITE_FTS:
    event.listen(Ticket.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in POSTGRES_FTS:
    event.listen(Ticket.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))


_FTS = table("tickets_fts", sa_column("rowid"))


def _fts_match(query: str) -> str | None:
    """The FTS5 MATCH expression of ``query``, or None when it is answered by substring (LIKE)."""
    if search.needs_substring_fallback(query) or not search.query_tokens(query):
        return None
    return " ".join(f'"{t}"' for t in search.query_tokens(query))


def search_condition(session: Session, query: str):
    """A WHERE clause matching tickets whose subject or description contain every word of ``query``."""
    words = query.split()
    if search.needs_substring_fallback(query) or not search.query_tokens(query):
        return _substring_condition(words or [query])
    toks = search.query_tokens(query)
    if session.get_bind().dialect.name == "sqlite":
        ids = select(literal_column("rowid")).select_from(text("tickets_fts")).where(
            text("tickets_fts MATCH :fts_query").bindparams(fts_query=_fts_match(query)))
        return Ticket.id.in_(ids)
    # the tokens (c8d8565f6 for 超时) are whole words to PostgreSQL's parser, so the GIN match is exact:
    # the same tickets as SQLite FTS5 (超过…及时 does not match 超时). The query goes in as a constant
    # (tokens are [0-9a-z] only): a prepared statement's generic plan cannot tell a rare word from a common
    # one and may scan the whole table.
    return _SEARCH_VECTOR.op("@@")(
        func.plainto_tsquery("simple", literal(" ".join(toks), literal_execute=True)))


def _substring_condition(words: list[str]):
    conds = [or_(Ticket.subject.contains(w, autoescape=True), Ticket.description.contains(w, autoescape=True))
             for w in words]
    return conds[0] if len(conds) == 1 else conds[0] & _substring_condition(words[1:])


# -- the list ----------------------------------------------------------------
@dataclass
class TicketFilter:
    status: list[str] = field(default_factory=list)
    tier: int | None = None
    category_id: int | None = None
    priority: str | None = None
    channel: str | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None
    complaint_type: str | None = None
    overdue: bool = False
    active: bool = False
    q: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    order: str = "queue"  # queue | newest | due | number (ticket id, highest first: the default with q)


def descendants(session: Session, category_id: int) -> list[int]:
    rows = session.execute(select(Category.id, Category.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for cid, parent in rows:
        children.setdefault(parent, []).append(cid)
    found, stack = [], [category_id]
    while stack:
        cid = stack.pop()
        found.append(cid)
        stack.extend(children.get(cid, []))
    return found


def build_query(session: Session, f: TicketFilter, *, now: datetime, today_start: datetime) -> Select:
    """``SELECT tickets.id`` with every filter (the stored ``is_active`` stands for status in ACTIVE, and is
    added where a status filter implies it, so that the queue indexes apply)."""
    stmt = select(Ticket.id)
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
        if set(f.status) <= workflow.ACTIVE:
            stmt = stmt.where(Ticket.is_active == true())
        elif not set(f.status) & workflow.ACTIVE:
            stmt = stmt.where(Ticket.is_active == false())
    if f.active or f.overdue:
        stmt = stmt.where(Ticket.is_active == true())
    for column, value in ((Ticket.tier, f.tier), (Ticket.priority, f.priority), (Ticket.channel, f.channel),
                          (Ticket.assignee_id, f.assignee_id), (Ticket.team_id, f.team_id),
                          (Ticket.customer_id, f.customer_id), (Ticket.complaint_type, f.complaint_type)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.category_id is not None:
        stmt = stmt.where(Ticket.category_id.in_(descendants(session, f.category_id)))
    if f.overdue:
        stmt = stmt.where(or_(Ticket.resolution_due_at < now, Ticket.resolution_breached.is_(True),
                              Ticket.first_response_breached.is_(True)))
    if f.created_from is not None:
        stmt = stmt.where(Ticket.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Ticket.created_at < f.created_to)
    if f.q and f.q.strip():
        if _uses_fts(session, f):  # the FTS5 table drives the join, in its rowid order (order=number)
            stmt = stmt.join(_FTS, _FTS.c.rowid == Ticket.id).where(
                text("tickets_fts MATCH :fts_query").bindparams(fts_query=_fts_match(f.q.strip())))
        else:
            stmt = stmt.where(search_condition(session, f.q.strip()))
    return stmt


# the queue order inside each part (carry-over, then the rest): priority, nearest resolution due time
# (none last), id; queue_rank / queue_due are priority / resolution_due_at stored so indexes serve them
QUEUE_KEYS = (Ticket.queue_rank, Ticket.queue_due, Ticket.id)
COUNT_CAP = 1_000  # counts stop here (count_capped, "1000+"): counting 10,000 rows cost ~50 ms a page at 1M


def ordered(stmt: Select, f: TicketFilter, *, searching_fts: bool = False) -> Select:
    if f.order == "newest":
        return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    if f.order == "due":  # queue_due is resolution_due_at, none last
        return stmt.order_by(Ticket.queue_due, Ticket.id)
    if f.order == "number":
        return stmt.order_by(_FTS.c.rowid.desc() if searching_fts else Ticket.id.desc())
    return stmt.order_by(*QUEUE_KEYS)


def _carried(today_start: datetime):
    """Carry-over: unfinished work created before today's local midnight."""
    return Ticket.is_active == true(), Ticket.created_at < today_start


def _page_ids(session: Session, stmt: Select, f: TicketFilter, *, today_start: datetime, limit: int,
              offset: int, searching_fts: bool) -> list[int]:
    if f.order != "queue":
        return list(session.scalars(ordered(stmt, f, searching_fts=searching_fts).limit(limit).offset(offset)))
    # queue: carry-over first, then the rest, each in index order (no sort of every match)
    carried = stmt.where(*_carried(today_start))
    ids = list(session.scalars(carried.order_by(*QUEUE_KEYS).limit(limit).offset(offset)))
    if len(ids) == limit:
        return ids
    rest_offset = 0
    if not ids and offset:
        n_carried = session.scalar(select(func.count()).select_from(carried.limit(offset).subquery())) or 0
        rest_offset = offset - n_carried
    rest = stmt.where(or_(Ticket.is_active == false(), Ticket.created_at >= today_start))
    return ids + list(session.scalars(rest.order_by(*QUEUE_KEYS).limit(limit - len(ids)).offset(rest_offset)))


@dataclass
class TicketPage:
    rows: list[Ticket]
    count: int  # exact unless capped
    capped: bool  # more than ``count`` match (count stopped at COUNT_CAP, or offset + limit if larger)


def page_tickets(session: Session, f: TicketFilter, *, now: datetime, today_start: datetime, limit: int,
                 offset: int) -> TicketPage:
    """One page of the list: ids by the order's index, then the rows with what the list shows, in a
    fixed number of queries (at most six) whatever the page size."""
    stmt = build_query(session, f, now=now, today_start=today_start)
    searching_fts = _uses_fts(session, f)
    if f.q and f.q.strip() and session.get_bind().dialect.name == "postgresql":
        # psycopg prepares a statement run 5 times and the server may then keep a generic plan, which does
        # not see the LIMIT nor how common the words are, and can filter the whole table
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        # The planner multiplies the frequencies of a word's bigrams as if independent (超时未送达 is four
        # of them) and expects a few hundred matches where there are 100,000, so it collects them all in a
        # bitmap and sorts them for one page (0.5 s). The capped count tells: past the cap, matches are
        # common and walking the newest tickets backwards finds a page at once.
        count, capped = capped_count(session, stmt, max(COUNT_CAP, offset + limit))
        common = capped and f.order == "number"
        if common:  # the GIN index only serves bitmaps: with these off, the primary key walk is what is left
            session.execute(text("SET LOCAL enable_bitmapscan = off"))
            session.execute(text("SET LOCAL enable_seqscan = off"))
        ids = _page_ids(session, stmt, f, today_start=today_start, limit=limit, offset=offset,
                        searching_fts=False)
        if common:
            session.execute(text("RESET enable_bitmapscan"))
            session.execute(text("RESET enable_seqscan"))
    else:
        ids = _page_ids(session, stmt, f, today_start=today_start, limit=limit, offset=offset,
                        searching_fts=searching_fts)
        count, capped = page_count(session, stmt, found=len(ids), limit=limit, offset=offset, cap=COUNT_CAP)
    by_id = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ids)).options(*EAGER_ONE))}
    return TicketPage(rows=[by_id[i] for i in ids if i in by_id], count=count, capped=capped)


def _uses_fts(session: Session, f: TicketFilter) -> bool:
    return bool(f.q and f.q.strip()) and session.get_bind().dialect.name == "sqlite" \
        and _fts_match(f.q.strip()) is not None


def list_tickets(session: Session, f: TicketFilter, *, now: datetime, today_start: datetime, limit: int,
                 offset: int) -> tuple[list[Ticket], int]:
    page = page_tickets(session, f, now=now, today_start=today_start, limit=limit, offset=offset)
    return page.rows, page.count


def start_of_local_day(now: datetime, tz) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(now.tzinfo)


def is_carry_over(ticket: Ticket, today_start: datetime) -> bool:
    return ticket.status in workflow.ACTIVE and ticket.created_at < today_start


def overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.status in workflow.ACTIVE and (
        ticket.resolution_breached or ticket.first_response_breached
        or (ticket.resolution_due_at is not None and ticket.resolution_due_at < now))




EAGER_ONE = (joinedload(Ticket.customer), joinedload(Ticket.category), joinedload(Ticket.assignee),
             joinedload(Ticket.business_line), joinedload(Ticket.team))


def load_ticket(session: Session, ticket_id: int) -> Ticket | None:
    """One ticket with what its page shows, refreshed from the store, in one query."""
    return session.scalar(select(Ticket).where(Ticket.id == ticket_id).options(*EAGER_ONE)
                          .execution_options(populate_existing=True))
