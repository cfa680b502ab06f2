"""The stream of remote changes per connection

Revision ID: 0012_changes
Revises: 0011_conn
Create Date: 2026-12-01 19:40:00

``remote_changes`` holds each change of a remote record a webhook or a poll saw, once
(unique per connection by type, id, ``updated_at`` and deletion), numbered per
connection; ``remote_change_streams`` is each connection's counter (the lock that orders
its stream) and polling cursors; ``remote_change_consumers`` where each consumer of a
stream stands.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0012_changes"
down_revision = "0011_conn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remote_changes",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("remote_type", sa.String(length=40), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=False),
        sa.Column("remote_updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=True),
        sa.Column("received_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("dedup_key", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_remote_changes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_remote_changes_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_changes")),
        sa.UniqueConstraint(
            "connection_id", "sequence", name=op.f("uq_remote_changes_connection_id_sequence")
        ),
        sa.UniqueConstraint(
            "connection_id", "dedup_key", name=op.f("uq_remote_changes_connection_id_dedup_key")
        ),
    )
    op.create_index(
        "ix_remote_changes_connection_id_remote",
        "remote_changes",
        ["connection_id", "remote_type", "remote_id"],
    )
    op.create_index(
        "ix_remote_changes_account_id_created_at",
        "remote_changes",
        ["account_id", "created_at", "id"],
    )
    op.create_table(
        "remote_change_streams",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("poll_cursors", sa.JSON(), nullable=False),
        sa.Column("polled_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_remote_change_streams_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_remote_change_streams_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_remote_change_streams")),
    )
    op.create_table(
        "remote_change_consumers",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_remote_change_consumers_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_remote_change_consumers_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "consumer", name=op.f("pk_remote_change_consumers")
        ),
    )


def downgrade() -> None:
    op.drop_table("remote_change_consumers")
    op.drop_table("remote_change_streams")
    op.drop_index("ix_remote_changes_account_id_created_at", table_name="remote_changes")
    op.drop_index("ix_remote_changes_connection_id_remote", table_name="remote_changes")
    op.drop_table("remote_changes")
