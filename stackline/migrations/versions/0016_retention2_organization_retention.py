"""organizations: retention settings (max age in days, max events per project), NULL meaning
the server's; a project's own settings come first

Revision ID: 0016_retention2_orgret
Revises: 0015_retention2_evpos
Create Date: 2026-12-03 07:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_retention2_orgret"
down_revision = "0015_retention2_evpos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("retention_days", sa.Float(), nullable=True))
        batch.add_column(sa.Column("retention_max_events", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("retention_max_events")
        batch.drop_column("retention_days")
