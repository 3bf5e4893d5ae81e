"""PostgreSQL: stored tsvector column for ticket search

Searches used the expression index on ``to_tsvector('simple', search_text)``; when the planner walks the
primary key backwards for a LIMIT (order by id) it computed ``to_tsvector`` for every row it looked at
(the slow two-word ``退款 骑手``). ``search_vector`` is a generated column (``STORED``: computed when a
row is written) with a GIN index on it; the expression index goes. Adding the column rewrites the table
once. SQLite is unchanged (FTS5).

The column and its index are not in the SQLAlchemy model (``migrations/env.py`` ignores them); they are
made by ``kefu.tickets.queries.create_search_objects``, as on a new database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:50:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    from kefu.tickets.queries import create_search_objects

    op.execute("DROP INDEX IF EXISTS ix_tickets_search")
    create_search_objects(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    from kefu.tickets.queries import POSTGRES_FTS_0001

    op.execute("DROP INDEX IF EXISTS ix_tickets_search_vector")
    op.execute("ALTER TABLE tickets DROP COLUMN IF EXISTS search_vector")
    op.execute(POSTGRES_FTS_0001)
