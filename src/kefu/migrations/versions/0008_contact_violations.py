"""Etiquette violations on the contact (M4 QA)

``contact_violations``: each etiquette checker finding on an agent's chat message (rule, offsets, the checker's
message and suggestion), kept on the chat's contact for QA; indexed by contact, by rule and time, and by agent and
time for QA's reviews.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:10:00
"""
import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    big = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('contact_violations',
    sa.Column('id', big, nullable=False),
    sa.Column('contact_id', big, nullable=False),
    sa.Column('message_id', big, nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('suggestion', sa.String(length=300), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_contact_violations_agent_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_violations_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['chat_messages.id'],
                            name=op.f('fk_contact_violations_message_id_chat_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_violations'))
    )
    op.create_index('ix_contact_violations_contact', 'contact_violations', ['contact_id', 'id'], unique=False)
    op.create_index('ix_contact_violations_rule_created', 'contact_violations', ['rule', 'created_at'], unique=False)
    op.create_index('ix_contact_violations_agent_created', 'contact_violations', ['agent_id', 'created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_contact_violations_agent_created', table_name='contact_violations')
    op.drop_index('ix_contact_violations_rule_created', table_name='contact_violations')
    op.drop_index('ix_contact_violations_contact', table_name='contact_violations')
    op.drop_table('contact_violations')
