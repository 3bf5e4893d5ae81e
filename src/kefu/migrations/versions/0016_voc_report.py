"""voc_fixes: analysts' suggested fixes (建议改进措施) in the weekly voice-of-customer report, per line and week;
voc_subscriptions: who receives the report by e-mail every Monday

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 18:30:00
"""
import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('voc_fixes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_line_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('owner', sa.String(length=60), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_line_id'], ['business_lines.id'], name=op.f('fk_voc_fixes_business_line_id_business_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_voc_fixes_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voc_fixes'))
    )
    op.create_index('ix_voc_fixes_line_week', 'voc_fixes', ['business_line_id', 'week'], unique=False)
    op.create_table('voc_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_line_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['business_line_id'], ['business_lines.id'], name=op.f('fk_voc_subscriptions_business_line_id_business_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_voc_subscriptions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_voc_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voc_subscriptions'))
    )
    op.create_index('ix_voc_subscriptions_line', 'voc_subscriptions', ['business_line_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_voc_subscriptions_line', table_name='voc_subscriptions')
    op.drop_table('voc_subscriptions')
    op.drop_index('ix_voc_fixes_line_week', table_name='voc_fixes')
    op.drop_table('voc_fixes')
