"""Connections to other systems, their usage per hour and operation, their rate budgets

Revision ID: 0009_conn
Revises: 0008_hlauth
Create Date: 2026-12-02 10:00:00

``connections`` holds each connection with its credentials encrypted in
``secret_ciphertext``; ``connection_usage`` counts requests per connection, hour and
operation; ``connection_budgets`` is where workers take their slots of a connection's
rate budget when there is no Redis.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0009_conn"
down_revision = "0008_hlauth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("auth_type", sa.String(length=16), nullable=False),
        sa.Column("location_id", sa.String(length=100), nullable=True),
        sa.Column("secret_ciphertext", sa.Text(), nullable=True),
        sa.Column("credential_fields", sa.JSON(), nullable=False),
        sa.Column("oauth", sa.JSON(), nullable=True),
        sa.Column("access_expires_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("credentials_version", sa.Integer(), nullable=False),
        sa.Column("rate_requests", sa.Integer(), nullable=False),
        sa.Column("rate_seconds", sa.Integer(), nullable=False),
        sa.Column("rate_daily", sa.Integer(), nullable=True),
        sa.Column("webhook_url", sa.String(length=2048), nullable=True),
        sa.Column("checked_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_connections_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
    )
    op.create_index(
        "ix_connections_account_id_created_at",
        "connections",
        ["account_id", "created_at", "id"],
    )
    op.create_table(
        "connection_usage",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("hour", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_connection_usage_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_usage_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "hour", "operation", name=op.f("pk_connection_usage")
        ),
    )
    op.create_table(
        "connection_budgets",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("next_at_us", sa.BigInteger(), nullable=False),
        sa.Column("window_started_us", sa.BigInteger(), nullable=False),
        sa.Column("window_used", sa.Integer(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("day_used", sa.Integer(), nullable=False),
        sa.Column("remote_remaining", sa.Integer(), nullable=True),
        sa.Column("remote_reset_us", sa.BigInteger(), nullable=True),
        sa.Column("remote_daily_remaining", sa.Integer(), nullable=True),
        sa.Column("remote_seen_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_budgets_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_connection_budgets")),
    )


def downgrade() -> None:
    op.drop_table("connection_budgets")
    op.drop_table("connection_usage")
    op.drop_index("ix_connections_account_id_created_at", table_name="connections")
    op.drop_table("connections")
