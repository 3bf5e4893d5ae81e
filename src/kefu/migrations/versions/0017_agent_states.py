"""agent_states: agents' logged state spans (坐席状态记录) from chat, telephony and the API;
agent_state_rollups: their logged-in seconds per 30-minute interval and agent (occupancy);
roster_shifts: the published roster (排班表) that adherence compares the log with;
kpi_rollups grain 6 (interval × channel × agent) filled from grain 0

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:25:30.171328
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kefu.core.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None
_MEASURES = ("contacts, offered, answered, abandoned, short_abandoned, answered_in_sl, wait_seconds, handle_seconds, "
             "rated, r1, r2, r3, r4, r5")


def upgrade() -> None:
    op.create_table('agent_state_rollups',
    sa.Column('interval_start', kefu.core.db.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('logged_in_seconds', sa.Integer(), nullable=False),
    sa.Column('ready_seconds', sa.Integer(), nullable=False),
    sa.Column('busy_seconds', sa.Integer(), nullable=False),
    sa.Column('acw_seconds', sa.Integer(), nullable=False),
    sa.Column('not_ready_seconds', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('interval_start', 'user_id', name=op.f('pk_agent_state_rollups'))
    )
    with op.batch_alter_table('agent_state_rollups', schema=None) as batch_op:
        batch_op.create_index('ix_agent_state_rollups_user', ['user_id', 'interval_start'], unique=False)

    op.create_table('agent_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('start', kefu.core.db.UTCDateTime(), nullable=False),
    sa.Column('end', kefu.core.db.UTCDateTime(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('received_at', kefu.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_states_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_states')),
    sa.UniqueConstraint('source', 'event_id', name='uq_agent_states_source_event')
    )
    with op.batch_alter_table('agent_states', schema=None) as batch_op:
        batch_op.create_index('ix_agent_states_end', ['end'], unique=False)
        batch_op.create_index('ix_agent_states_user_start', ['user_id', 'start'], unique=False)

    op.create_table('roster_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', kefu.core.db.UTCDateTime(), nullable=False),
    sa.Column('end', kefu.core.db.UTCDateTime(), nullable=False),
    sa.Column('breaks', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('published_at', kefu.core.db.UTCDateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_roster_shifts_published_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_roster_shifts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_shifts')),
    sa.UniqueConstraint('user_id', 'day', name='uq_roster_shifts_user_day')
    )
    with op.batch_alter_table('roster_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_roster_shifts_day', ['day'], unique=False)

    # the KPI rollups' new grain 6 (interval × channel × agent: occupancy's handle time, per-agent KPIs), from
    # grain 0, which has every key
    op.execute("INSERT INTO kpi_rollups (grain, interval_start, channel, queue, category_id, business_line_id, "
               f"agent_id, {_MEASURES}) SELECT 6, interval_start, channel, '', 0, 0, agent_id, "
               f"{', '.join(f'SUM({m})' for m in _MEASURES.split(', '))} FROM kpi_rollups WHERE grain = 0 "
               "GROUP BY interval_start, channel, agent_id")



def downgrade() -> None:
    op.execute("DELETE FROM kpi_rollups WHERE grain = 6")
    with op.batch_alter_table('roster_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_shifts_day')

    op.drop_table('roster_shifts')
    with op.batch_alter_table('agent_states', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_states_user_start')
        batch_op.drop_index('ix_agent_states_end')

    op.drop_table('agent_states')
    with op.batch_alter_table('agent_state_rollups', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_state_rollups_user')

    op.drop_table('agent_state_rollups')
