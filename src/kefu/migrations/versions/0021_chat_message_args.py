"""chat_messages.args: the particulars of a system notice (the agent's name in 客服代表…为您服务, the team's name in
正在为您转接至…), so that a client shows the notice in its own language without reading them out of the Chinese
text

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 23:30:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chat_messages') as batch_op:
        batch_op.add_column(sa.Column(
            'args', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chat_messages') as batch_op:
        batch_op.drop_column('args')
