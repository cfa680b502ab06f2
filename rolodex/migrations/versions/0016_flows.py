"""Flows: trigger, condition and actions, enabled or not, versioned

Revision ID: 0016_flows
Revises: 0015_dash
Create Date: 2026-12-01 20:00:00

``flows`` holds each flow's definition as it is now and its version; its runs are rows
of ``runs`` (kind ``flow``) that record the version they followed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0016_flows"
down_revision = "0015_dash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("trigger_connection_id", sa.String(length=40), nullable=True),
        sa.Column("trigger_event", sa.String(length=100), nullable=False),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_flows_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["trigger_connection_id"],
            ["connections.id"],
            name=op.f("fk_flows_trigger_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flows")),
    )
    op.create_index("ix_flows_account_id_created_at", "flows", ["account_id", "created_at", "id"])
    op.create_index("ix_flows_account_id_trigger_event", "flows", ["account_id", "trigger_event"])


def downgrade() -> None:
    op.drop_index("ix_flows_account_id_trigger_event", table_name="flows")
    op.drop_index("ix_flows_account_id_created_at", table_name="flows")
    op.drop_table("flows")
