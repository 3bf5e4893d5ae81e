"""kpi_rollups: drop the index on (interval_start, channel). Every read of the rollups names its grain, and the
primary key leads with (grain, interval_start), so no query needs it; only writes paid for it: bulk ingest upserts
~2 rollup rows per contact, each of which also went into this index (~10 % of the KPI upsert's CPU on SQLite).
The rebuild's delete of a time range names every grain instead, so the primary key serves it too.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 22:45:00
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_kpi_rollups_interval', table_name='kpi_rollups')


def downgrade() -> None:
    op.create_index('ix_kpi_rollups_interval', 'kpi_rollups', ['interval_start', 'channel'], unique=False)
