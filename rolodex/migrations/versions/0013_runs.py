"""Runs of syncs, flows and operations, with their steps

Revision ID: 0013_runs
Revises: 0012_changes
Create Date: 2026-12-01 19:50:00

``runs`` records what each run did, step by step (its steps as JSON in the row), kept
``ROLODEX_RUNS_RETENTION_DAYS`` (30) and pruned by the integration workers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0013_runs"
down_revision = "0012_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("owner_version", sa.Integer(), nullable=True),
        sa.Column("connection_id", sa.String(length=40), nullable=True),
        sa.Column("job_id", sa.String(length=40), nullable=True),
        sa.Column("job_kind", sa.String(length=32), nullable=True),
        sa.Column("job_input", sa.JSON(), nullable=True),
        sa.Column("retry_of", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("started_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_runs_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index("ix_runs_account_id_created_at", "runs", ["account_id", "created_at", "id"])
    op.create_index("ix_runs_owner_id_created_at", "runs", ["owner_id", "created_at"])
    op.create_index("ix_runs_created_at", "runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_created_at", table_name="runs")
    op.drop_index("ix_runs_owner_id_created_at", table_name="runs")
    op.drop_index("ix_runs_account_id_created_at", table_name="runs")
    op.drop_table("runs")
