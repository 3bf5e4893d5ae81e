"""Agent sockets: which agents have an open chat socket, in any server process

One row per open agent socket with its process and a ``seen_at`` the process refreshes, so presence (connected, or
in the disconnect grace) is the same for every worker, and a dead process's sockets go stale and are swept.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:00:00
"""
import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent_sockets',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('node', sa.String(length=40), nullable=False),
    sa.Column('opened_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seen_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_sockets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_sockets'))
    )
    op.create_index('ix_agent_sockets_seen', 'agent_sockets', ['seen_at'], unique=False)
    op.create_index('ix_agent_sockets_user', 'agent_sockets', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_agent_sockets_user', table_name='agent_sockets')
    op.drop_index('ix_agent_sockets_seen', table_name='agent_sockets')
    op.drop_table('agent_sockets')
