"""ticket queue keys, queue indexes, whole-token search text

Stored columns the queue order needs (is_active, queue_rank, queue_due) with composite indexes for the
common views, back-filled from status / priority / resolution_due_at; (created_at, id) for order=newest.

Search tokens change from ``c9000_6b3e`` to ``c90006b3e`` (PostgreSQL's parser split the old ones at
``_``). Every old CJK token was ``c`` plus 4-hex groups joined by ``_`` (all indexed CJK ranges are
U+3400..U+FFFF, so exactly four digits each) and Latin tokens never contain ``_``; so dropping the
underscores gives exactly what the new ``kefu.tickets.search.index_text`` computes from subject and
description, and it is done in SQL. The full-text objects are rebuilt once afterwards (not row by row).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:20:00
"""
import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

NEW_INDEXES = {
    'ix_tickets_created_id': ['created_at', 'id'],
    'ix_tickets_queue': ['is_active', 'queue_rank', 'queue_due', 'id'],
    'ix_tickets_assignee_queue': ['assignee_id', 'is_active', 'queue_rank', 'queue_due', 'id'],
    'ix_tickets_team_queue': ['team_id', 'is_active', 'queue_rank', 'queue_due', 'id'],
    'ix_tickets_tier_queue': ['tier', 'is_active', 'queue_rank', 'queue_due', 'id'],
}
OLD_INDEXES = {
    'ix_tickets_assignee_status': ['assignee_id', 'status'],
    'ix_tickets_team_status': ['team_id', 'status'],
    'ix_tickets_tier_status': ['tier', 'status'],
    'ix_tickets_created': ['created_at'],
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_search_objects() -> None:
    if _sqlite():  # the update trigger would delete/insert every row in the FTS index one by one
        op.execute("DROP TRIGGER IF EXISTS tickets_fts_au")
    else:
        op.execute("DROP INDEX IF EXISTS ix_tickets_search")


def _rebuild_search_objects() -> None:
    from kefu.tickets.queries import POSTGRES_FTS_0001, create_search_objects

    if _sqlite():
        op.execute("INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')")
        create_search_objects(op.get_bind())
    else:  # this revision's expression index; 0003 replaces it by the search_vector column
        op.execute(POSTGRES_FTS_0001)


def upgrade() -> None:
    from kefu.tickets.models import NO_DUE

    sentinel = "'9999-12-31 00:00:00.000000'" if _sqlite() else "'9999-12-31 00:00:00+00'"
    with op.batch_alter_table('tickets', schema=None) as batch_op:  # ALTER TABLE ADD COLUMN, no table copy
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('queue_rank', sa.SmallInteger(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('queue_due', kefu.core.db.UTCDateTime(timezone=True), nullable=False,
                                      server_default=sa.text(sentinel)))

    _drop_search_objects()
    op.get_bind().execute(sa.text(
        "UPDATE tickets SET is_active = (status IN ('new', 'open', 'pending', 'escalated')), "
        "queue_rank = CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'low' THEN 3 ELSE 2 END, "
        "queue_due = COALESCE(resolution_due_at, :no_due), "
        "search_text = replace(search_text, '_', '')"
    ).bindparams(sa.bindparam('no_due', NO_DUE, type_=kefu.core.db.UTCDateTime())))
    _rebuild_search_objects()
    if not _sqlite():  # SQLite cannot drop a column default without copying the table; it stays there
        for column in ('is_active', 'queue_rank', 'queue_due'):
            op.alter_column('tickets', column, server_default=None)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for name in OLD_INDEXES:
            batch_op.drop_index(name)
        for name, columns in NEW_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def _old_token(tok: str) -> str:
    if tok.startswith('c') and len(tok) > 5:
        return 'c' + '_'.join(tok[i:i + 4] for i in range(1, len(tok), 4))
    return tok


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        for name in NEW_INDEXES:
            batch_op.drop_index(name)
        for name, columns in OLD_INDEXES.items():
            batch_op.create_index(name, columns, unique=False)
    bind = op.get_bind()
    _drop_search_objects()
    rows = bind.execute(sa.text("SELECT id, search_text FROM tickets")).all()
    update = sa.text("UPDATE tickets SET search_text = :s WHERE id = :i")
    for start in range(0, len(rows), 5000):
        chunk = [{'i': i, 's': ' '.join(_old_token(t) for t in (s or '').split())}
                 for i, s in rows[start:start + 5000]]
        if chunk:
            bind.execute(update, chunk)
    with op.batch_alter_table('tickets', schema=None) as batch_op:  # SQLite: a table copy, triggers go
        batch_op.drop_column('queue_due')
        batch_op.drop_column('queue_rank')
        batch_op.drop_column('is_active')
    _rebuild_search_objects()
