"""issue search: an index per issue-list sort (with and without status, id as the keyset's
tie-break), tag lookups by key and value, pg_trgm indexes for free text on PostgreSQL

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:40:00
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SORTS = ("last_seen", "first_seen", "times_seen", "user_count")
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index("ix_issues_project_last_seen")
        batch_op.drop_index("ix_issues_project_status_last_seen")
        for sort in SORTS:
            batch_op.create_index(f"ix_issues_project_{sort}", ["project_id", sort, "id"], unique=False)
            batch_op.create_index(
                f"ix_issues_project_status_{sort}", ["project_id", "status", sort, "id"], unique=False
            )
    with op.batch_alter_table("issue_tags", schema=None) as batch_op:
        batch_op.create_index("ix_issue_tags_key_value", ["key", "value", "issue_id"], unique=False)

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it. Where it
    # cannot be had, free-text search still works, by scanning the project's issues.
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as error:
        log.warning(
            "pg_trgm unavailable (%s); free-text issue search will scan instead of using an index", error.orig
        )
        return
    for column in ("title", "culprit"):
        op.create_index(
            f"ix_issues_{column}_trgm",
            "issues",
            [column],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("title", "culprit"):
            op.execute(f"DROP INDEX IF EXISTS ix_issues_{column}_trgm")
    with op.batch_alter_table("issue_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_issue_tags_key_value")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        for sort in SORTS:
            batch_op.drop_index(f"ix_issues_project_status_{sort}")
            batch_op.drop_index(f"ix_issues_project_{sort}")
        batch_op.create_index(
            "ix_issues_project_status_last_seen", ["project_id", "status", "last_seen"], unique=False
        )
        batch_op.create_index("ix_issues_project_last_seen", ["project_id", "last_seen"], unique=False)
