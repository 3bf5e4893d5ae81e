"""Online chat (M3): queues, chats, messages, agent presence

``chat_queues``: per-queue settings (skill, team, working hours as an SLA calendar, concurrency, idle, first-reply
and queue-timeout seconds). ``chats``: one per chat contact, with the live state (status, agent, the idle flow,
the last sequence number). ``chat_messages``: unique by (chat_id, seq) and by (chat_id, sender, client_msg_id), so
a resend is stored once and sequence numbers have no gaps. ``agent_presence``: ready / away / offline, concurrency
and the start of a disconnect grace period.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kefu.core.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('concurrency', sa.SmallInteger(), nullable=False),
    sa.Column('idle_prompt_seconds', sa.Integer(), nullable=True),
    sa.Column('idle_close_seconds', sa.Integer(), nullable=True),
    sa.Column('first_reply_seconds', sa.Integer(), nullable=True),
    sa.Column('queue_timeout_seconds', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['sla_calendars.id'], name=op.f('fk_chat_queues_calendar_id_sla_calendars'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_chat_queues_skill_id_skills'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_chat_queues_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_queues')),
    sa.UniqueConstraint('code', name=op.f('uq_chat_queues_code'))
    )
    op.create_table('agent_presence',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('concurrency', sa.SmallInteger(), nullable=True),
    sa.Column('last_seen_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disconnected_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_agent_presence_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_agent_presence'))
    )
    op.create_index('ix_agent_presence_status', 'agent_presence', ['status'], unique=False)
    op.create_table('chats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('preferred_agent_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('front', sa.Boolean(), nullable=False),
    sa.Column('offered_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('waiting_since', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_agent_reply_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_customer_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('message_offered_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('idle_prompted_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_chats_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_chats_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_chats_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['preferred_agent_id'], ['users.id'], name=op.f('fk_chats_preferred_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['queue_id'], ['chat_queues.id'], name=op.f('fk_chats_queue_id_chat_queues'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_chats_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_chats_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chats')),
    sa.UniqueConstraint('contact_id', name=op.f('uq_chats_contact_id'))
    )
    op.create_index('ix_chats_agent_status', 'chats', ['agent_id', 'status'], unique=False)
    op.create_index('ix_chats_customer_ended', 'chats', ['customer_id', 'ended_at'], unique=False)
    op.create_index('ix_chats_status_queue', 'chats', ['status', 'queue_id', 'waiting_since'], unique=False)
    op.create_table('chat_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=8), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('client_msg_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('violations', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_chat_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_chat_messages_chat_id_chats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages')),
    sa.UniqueConstraint('chat_id', 'sender', 'client_msg_id', name='uq_chat_messages_chat_client'),
    sa.UniqueConstraint('chat_id', 'seq', name='uq_chat_messages_chat_seq')
    )


def downgrade() -> None:
    op.drop_table('chat_messages')
    op.drop_index('ix_chats_status_queue', table_name='chats')
    op.drop_index('ix_chats_customer_ended', table_name='chats')
    op.drop_index('ix_chats_agent_status', table_name='chats')
    op.drop_table('chats')
    op.drop_index('ix_agent_presence_status', table_name='agent_presence')
    op.drop_table('agent_presence')
    op.drop_table('chat_queues')
