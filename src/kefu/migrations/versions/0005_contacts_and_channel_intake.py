"""Contacts and channel intake (M1)

``contacts``: every interaction, unique by (channel, external_id) so a record sent twice is stored once,
indexed for time windows (all, by category, by queue). ``inbound_messages``: each message a channel
received, once (replays, re-deliveries) and raw when it could not be processed (dead letters).
``mail_threads``: Message-IDs seen or sent per ticket. ``mailbox_states``: the IMAP poller's progress.
``regulator_cases``: complaints passed on by 12315 / market regulators and the replies sent back,
and internal feedback linked to the front-line ticket it came from.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 22:05:33.744215
"""
import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mailbox_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=255), nullable=False),
    sa.Column('mailbox', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailbox_states')),
    sa.UniqueConstraint('account', 'mailbox', name='uq_mailbox_states_account_mailbox')
    )
    op.create_table('contacts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('customer_role', sa.String(length=20), nullable=True),
    sa.Column('business_line_id', sa.Integer(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('queue', sa.String(length=40), nullable=True),
    sa.Column('offered_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('talk_seconds', sa.Integer(), nullable=True),
    sa.Column('hold_seconds', sa.Integer(), nullable=True),
    sa.Column('wrap_seconds', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('satisfaction', sa.SmallInteger(), nullable=True),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_contacts_agent_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['business_line_id'], ['business_lines.id'], name=op.f('fk_contacts_business_line_id_business_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_contacts_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contacts_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_contacts_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('channel', 'external_id', name='uq_contacts_channel_external')
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_category_offered', ['category_id', 'offered_at'], unique=False)
        batch_op.create_index('ix_contacts_customer', ['customer_id'], unique=False)
        batch_op.create_index('ix_contacts_offered', ['offered_at'], unique=False)
        batch_op.create_index('ix_contacts_queue_offered', ['queue', 'offered_at'], unique=False)
        batch_op.create_index('ix_contacts_ticket', ['ticket_id'], unique=False)

    op.create_table('mail_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('created_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_mail_threads_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_threads')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_threads_message_id'))
    )
    with op.batch_alter_table('mail_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_threads_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('regulator_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('case_number', sa.String(length=64), nullable=True),
    sa.Column('received_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reply_due_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reply_body', sa.Text(), nullable=True),
    sa.Column('replied_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('original_ticket_id', sa.Integer(), nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['original_ticket_id'], ['tickets.id'], name=op.f('fk_regulator_cases_original_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['users.id'], name=op.f('fk_regulator_cases_raised_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_regulator_cases_replied_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_regulator_cases_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regulator_cases')),
    sa.UniqueConstraint('source', 'case_number', name='uq_regulator_cases_source_number'),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_regulator_cases_ticket_id'))
    )
    with op.batch_alter_table('regulator_cases', schema=None) as batch_op:
        batch_op.create_index('ix_regulator_cases_open_due', ['replied_at', 'reply_due_at'], unique=False)
        batch_op.create_index('ix_regulator_cases_received', ['received_at'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', kefu.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_inbound_messages_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inbound_messages_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('channel', 'external_id', name='uq_inbound_channel_external')
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_inbound_status_received', ['status', 'received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_status_received')

    op.drop_table('inbound_messages')
    with op.batch_alter_table('regulator_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_regulator_cases_received')
        batch_op.drop_index('ix_regulator_cases_open_due')

    op.drop_table('regulator_cases')
    with op.batch_alter_table('mail_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_threads_ticket_id'))

    op.drop_table('mail_threads')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_ticket')
        batch_op.drop_index('ix_contacts_queue_offered')
        batch_op.drop_index('ix_contacts_offered')
        batch_op.drop_index('ix_contacts_customer')
        batch_op.drop_index('ix_contacts_category_offered')

    op.drop_table('contacts')
    op.drop_table('mailbox_states')
