"""Flow writes: what a flow's runs wrote at the connection the flow is triggered by

Revision ID: 0018_flow_writes
Revises: 0017_hot
Create Date: 2026-12-01 23:45:00

Each row is one record a flow's action wrote at its trigger's connection, with the
record's ``updated_at`` as the remote answered: the change of that state coming back
through the connection's stream is the flow's own and does not start it again
(rolodex.flows.echoes).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0018_flow_writes"
down_revision = "0017_hot"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "flow_writes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("flow_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("remote_updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_flow_writes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flows.id"], name=op.f("fk_flow_writes_flow_id_flows")
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_flow_writes_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_writes")),
    )
    op.create_index(
        "ix_flow_writes_flow_id_connection_id_remote_id",
        "flow_writes",
        ["flow_id", "connection_id", "remote_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_flow_writes_flow_id_connection_id_remote_id", table_name="flow_writes")
    op.drop_table("flow_writes")
