"""KPI rollups, satisfaction ratings and resolution-power grades

``kpi_rollups``: the tallies of kefu.reports.kpis per grain × 30-minute interval × channel × queue ×
category × business line × agent, kept in step with contacts by kefu.reports.rollups; filled here from the
contacts already stored. ``satisfaction_ratings``: one per contact (level, reason, comment, source).
``resolution_grades``: 解决力 per ticket by QA and team leaders.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00
"""
import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MEASURES = ("contacts", "offered", "answered", "abandoned", "short_abandoned", "answered_in_sl", "wait_seconds",
            "handle_seconds", "rated", "r1", "r2", "r3", "r4", "r5")
ContactId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('kpi_rollups',
    sa.Column('grain', sa.SmallInteger(), nullable=False),
    sa.Column('interval_start', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('queue', sa.String(length=40), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('business_line_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
    sa.PrimaryKeyConstraint('grain', 'interval_start', 'channel', 'queue', 'category_id', 'business_line_id',
                            'agent_id', name=op.f('pk_kpi_rollups'))
    )
    op.create_index('ix_kpi_rollups_interval', 'kpi_rollups', ['interval_start', 'channel'], unique=False)
    op.create_table('satisfaction_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', ContactId, nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('rated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_satisfaction_ratings_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_ratings')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_satisfaction_ratings_contact_id'))
    )
    op.create_index('ix_satisfaction_ratings_rated', 'satisfaction_ratings', ['rated_at'], unique=False)
    op.create_table('resolution_grades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('graded_by_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('graded_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_resolution_grades_agent_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['graded_by_id'], ['users.id'], name=op.f('fk_resolution_grades_graded_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_resolution_grades_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resolution_grades')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_resolution_grades_ticket_id'))
    )
    op.create_index(op.f('ix_resolution_grades_agent_id'), 'resolution_grades', ['agent_id'], unique=False)
    _fill_from_contacts()


def _fill_from_contacts() -> None:
    """Stores upgraded with contacts already in them get their rollups now."""
    from sqlalchemy.orm import Session

    from kefu.reports.rollups import rebuild

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM contacts LIMIT 1")).first() is not None:
        rebuild(Session(bind=bind))


def downgrade() -> None:
    op.drop_index(op.f('ix_resolution_grades_agent_id'), table_name='resolution_grades')
    op.drop_table('resolution_grades')
    op.drop_index('ix_satisfaction_ratings_rated', table_name='satisfaction_ratings')
    op.drop_table('satisfaction_ratings')
    op.drop_index('ix_kpi_rollups_interval', table_name='kpi_rollups')
    op.drop_table('kpi_rollups')
