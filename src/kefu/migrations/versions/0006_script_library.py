"""The script library (话术库) and the customer's title (称呼)

``scripts``: standard wording (opening, holds, closing, survey invitation, the idle flow…) with
placeholders such as ``{称呼}`` and ``{中心}``, a unique typing shortcut each; the default scripts are
inserted here (``kefu.scripts.defaults``), so every store starts with them. ``customers.title``
(``ms`` / ``mr``) lets a script address the customer as 张女士 / 王先生.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import kefu.core.db
from kefu.scripts.defaults import default_rows

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    scripts = op.create_table('scripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('shortcut', sa.String(length=16), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', kefu.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_scripts_updated_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scripts')),
    sa.UniqueConstraint('code', name=op.f('uq_scripts_code')),
    sa.UniqueConstraint('shortcut', name=op.f('uq_scripts_shortcut'))
    )
    op.create_index('ix_scripts_category_sort', 'scripts', ['category', 'sort_order'], unique=False)
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('title', sa.String(length=8), nullable=True))
    op.bulk_insert(scripts, default_rows(datetime.now(UTC)))


def downgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('title')
    op.drop_index('ix_scripts_category_sort', table_name='scripts')
    op.drop_table('scripts')
