"""Complaint-spike alerts (上报预警, M6)

``alert_counts``: contacts per category per time bucket, shared by every server process; ``alerts`` with a
unique ``open_key`` (one open alert per rule and category), their ``alert_activities``; ``alert_rule_sets``
(the rules as edited); ``alert_mentions`` (customers' segmented words for the same-issue window);
``alert_deliveries`` (e-mail and webhook notices sent by durable timers); ``alert_launch_feedback`` (contacts
about a key launch, for its daily digest).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:53:37.269073
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kefu.core.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_launch_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('launch', sa.String(length=100), nullable=False),
    sa.Column('at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_launch_feedback'))
    )
    with op.batch_alter_table('alert_launch_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_alert_launch_feedback_launch_at', ['launch', 'at'], unique=False)
    op.create_table('alert_counts',
    sa.Column('grain', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('bucket', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grain', 'category_id', 'bucket', name=op.f('pk_alert_counts'))
    )
    op.create_table('alert_mentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.BigInteger(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_mentions'))
    )
    with op.batch_alter_table('alert_mentions', schema=None) as batch_op:
        batch_op.create_index('ix_alert_mentions_at', ['at'], unique=False)

    op.create_table('alert_rule_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_alert_rule_sets_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rule_sets'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=40), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('rank', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('window', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('previous', sa.Integer(), nullable=True),
    sa.Column('contact_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('stage', sa.SmallInteger(), nullable=False),
    sa.Column('raised_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_alerts_acknowledged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_alerts_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_alerts_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('open_key', name=op.f('uq_alerts_open_key'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_rule_category_resolved', ['rule_id', 'category_id', 'resolved_at'], unique=False)
        batch_op.create_index('ix_alerts_status_raised', ['status', 'raised_at'], unique=False)

    op.create_table('alert_activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.Column('window', sa.String(length=16), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_alert_activities_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_activities_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_activities'))
    )
    with op.batch_alter_table('alert_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_activities_alert_id'), ['alert_id'], unique=False)

    op.create_table('alert_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=80), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.Column('sink', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_deliveries_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries')),
    sa.UniqueConstraint('event_id', name=op.f('uq_alert_deliveries_event_id'))
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_deliveries_alert_id'), ['alert_id'], unique=False)
        batch_op.create_index('ix_alert_deliveries_status', ['status', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_deliveries_status')
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_alert_id'))

    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alert_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_activities_alert_id'))

    op.drop_table('alert_activities')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status_raised')
        batch_op.drop_index('ix_alerts_rule_category_resolved')

    op.drop_table('alerts')
    op.drop_table('alert_rule_sets')
    with op.batch_alter_table('alert_mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_mentions_at')

    op.drop_table('alert_mentions')
    op.drop_table('alert_counts')
    with op.batch_alter_table('alert_launch_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_launch_feedback_launch_at')
    op.drop_table('alert_launch_feedback')
