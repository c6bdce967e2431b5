"""Retiring (a dataset or a version hidden, who and when) and the audit table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("datasets", "versions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("retired_by", sa.String(200)))
            batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True)))
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("slug", sa.String(63)),
        sa.Column("version", sa.Integer),
        sa.Column("detail", sa.Text, nullable=False))
    op.create_index("ix_audit_slug", "audit", ["slug"])


def downgrade() -> None:
    op.drop_index("ix_audit_slug", "audit")
    op.drop_table("audit")
    for table in ("versions", "datasets"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("retired_at")
            batch.drop_column("retired_by")
