"""Queue-order indexes for the status and category views

"All open tickets" and "open tickets of a category" in queue order had no index that both matched the
filter and gave the order, so the database read and sorted every match (20,000 open tickets at a million).
``(status, queue_rank, queue_due, id)`` and ``(category_id, is_active, queue_rank, queue_due, id)`` let it
walk the queue in order and stop after one page, like the assignee, team and tier views already do.

PostgreSQL also gets functional-dependency statistics on (status, is_active): is_active follows from status,
but the planner took them as independent and guessed 659 open active tickets instead of ~20,000, so it
chose a bitmap and a sort of every open ticket (110 ms) over walking the new index (0.4 ms).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:10:00
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tickets_status_queue', 'tickets', ['status', 'queue_rank', 'queue_due', 'id'])
    op.create_index('ix_tickets_category_queue', 'tickets', ['category_id', 'is_active', 'queue_rank', 'queue_due',
                                                             'id'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS st_tickets_status_active (dependencies) "
                   "ON status, is_active FROM tickets")
        op.execute("ANALYZE tickets")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_tickets_status_active")
    op.drop_index('ix_tickets_category_queue', table_name='tickets')
    op.drop_index('ix_tickets_status_queue', table_name='tickets')
