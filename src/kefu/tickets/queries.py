"""Reading tickets: the filtered list (a fixed number of queries whatever the page size),
Chinese search, and the full-text index objects on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import DDL, Select, and_, case, event, func, literal_column, or_, select, text
from sqlalchemy.orm import Session, joinedload, selectinload

from kefu.catalog.models import Category
from kefu.tickets import search, workflow
from kefu.tickets.models import PRIORITY_RANK, Ticket

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
POSTGRES_FTS = [
    "CREATE INDEX IF NOT EXISTS ix_tickets_search ON tickets USING gin (to_tsvector('simple', search_text))",
]


def create_search_objects(connection) -> None:
    statements = SQLITE_FTS if connection.dialect.name == "sqlite" else POSTGRES_FTS
    for statement in statements:
        connection.exec_driver_sql(statement)


for _stmt in SQLITE_FTS:
    event.listen(Ticket.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in POSTGRES_FTS:
    event.listen(Ticket.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))


def search_condition(session: Session, query: str):
    """A WHERE clause matching tickets whose subject or description contain every word of ``query``."""
    words = query.split()
    if search.needs_substring_fallback(query) or not search.query_tokens(query):
        return _substring_condition(words or [query])
    toks = search.query_tokens(query)
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{t}"' for t in toks)
        ids = select(literal_column("rowid")).select_from(text("tickets_fts")).where(
            text("tickets_fts MATCH :fts_query").bindparams(fts_query=match))
        return Ticket.id.in_(ids)
    # PostgreSQL's parser splits a token such as c8d85_65f6 (超时) at "_", so the GIN match alone would also
    # take 超过…及时; the whole-token LIKE keeps the answer exactly that of SQLite FTS5.
    padded = func.concat(" ", Ticket.search_text, " ")
    query = func.plainto_tsquery("simple", " ".join(toks))
    matched = func.to_tsvector("simple", Ticket.search_text).op("@@")(query)
    return and_(matched, *[padded.contains(f" {t} ", autoescape=True) for t in toks])


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
    order: str = "queue"  # queue | newest | due


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
    stmt = select(Ticket)
    if f.status:
        stmt = stmt.where(Ticket.status.in_(f.status))
    if f.active:
        stmt = stmt.where(Ticket.status.in_(sorted(workflow.ACTIVE)))
    for column, value in ((Ticket.tier, f.tier), (Ticket.priority, f.priority), (Ticket.channel, f.channel),
                          (Ticket.assignee_id, f.assignee_id), (Ticket.team_id, f.team_id),
                          (Ticket.customer_id, f.customer_id), (Ticket.complaint_type, f.complaint_type)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.category_id is not None:
        stmt = stmt.where(Ticket.category_id.in_(descendants(session, f.category_id)))
    if f.overdue:
        stmt = stmt.where(Ticket.status.in_(sorted(workflow.ACTIVE)),
                          or_(Ticket.resolution_due_at < now, Ticket.resolution_breached.is_(True),
                              Ticket.first_response_breached.is_(True)))
    if f.created_from is not None:
        stmt = stmt.where(Ticket.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Ticket.created_at < f.created_to)
    if f.q and f.q.strip():
        stmt = stmt.where(search_condition(session, f.q.strip()))
    return stmt


def ordered(stmt: Select, f: TicketFilter, *, today_start: datetime) -> Select:
    if f.order == "newest":
        return stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    if f.order == "due":
        return stmt.order_by(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at, Ticket.id)
    # queue: yesterday's unfinished work first (carry-over), then priority, then the nearest due time
    unfinished = Ticket.status.in_(sorted(workflow.ACTIVE))
    carried = case((and_(Ticket.created_at < today_start, unfinished), 0), else_=1)
    rank = case(PRIORITY_RANK, value=Ticket.priority, else_=1)
    return stmt.order_by(carried, rank.desc(), Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at,
                         Ticket.id)


def list_tickets(session: Session, f: TicketFilter, *, now: datetime, today_start: datetime, limit: int,
                 offset: int) -> tuple[list[Ticket], int]:
    stmt = build_query(session, f, now=now, today_start=today_start)
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(
        ordered(stmt, f, today_start=today_start).limit(limit).offset(offset).options(*EAGER)
    ).all()
    return list(rows), count or 0


def start_of_local_day(now: datetime, tz) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz).astimezone(now.tzinfo)


def is_carry_over(ticket: Ticket, today_start: datetime) -> bool:
    return ticket.status in workflow.ACTIVE and ticket.created_at < today_start


def overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.status in workflow.ACTIVE and (
        ticket.resolution_breached or ticket.first_response_breached
        or (ticket.resolution_due_at is not None and ticket.resolution_due_at < now))




EAGER = (selectinload(Ticket.customer), selectinload(Ticket.category), selectinload(Ticket.assignee),
         selectinload(Ticket.business_line), selectinload(Ticket.team))


EAGER_ONE = (joinedload(Ticket.customer), joinedload(Ticket.category), joinedload(Ticket.assignee),
             joinedload(Ticket.business_line), joinedload(Ticket.team))


def load_ticket(session: Session, ticket_id: int) -> Ticket | None:
    """One ticket with what its page shows, refreshed from the store, in one query."""
    return session.scalar(select(Ticket).where(Ticket.id == ticket_id).options(*EAGER_ONE)
                          .execution_options(populate_existing=True))
