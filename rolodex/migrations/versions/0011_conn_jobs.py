"""Integration jobs claimed by workers, named leases, and OAuth authorizations under way

Revision ID: 0011_conn
Revises: 0010_moco
Create Date: 2026-12-03 09:00:00

``integration_jobs`` is the work of connections (and later of syncs), leased to workers
as webhook deliveries are; ``integration_leases`` gives one worker at a time a named
lease (a connection's token refresh); ``connection_oauth_states`` keeps each
authorization code flow's state (hashed) and PKCE verifier (encrypted) until its
callback, once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0011_conn"
down_revision = "0010_moco"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integration_jobs",
        sa.Column("connection_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=True),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("started_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_integration_jobs_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_integration_jobs_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_jobs")),
    )
    op.create_index(
        "ix_integration_jobs_status_run_after", "integration_jobs", ["status", "run_after"]
    )
    op.create_index(
        "ix_integration_jobs_connection_id_status", "integration_jobs", ["connection_id", "status"]
    )
    op.create_table(
        "integration_leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("expires_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_integration_leases")),
    )
    op.create_table(
        "connection_oauth_states",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=True),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("verifier_secret", sa.Text(), nullable=True),
        sa.Column("redirect_uri", sa.String(length=2048), nullable=False),
        sa.Column("client_id", sa.String(length=500), nullable=False),
        sa.Column("expires_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_connection_oauth_states_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_oauth_states_connection_id_connections"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_connection_oauth_states_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_oauth_states")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_connection_oauth_states_state_hash")),
    )


def downgrade() -> None:
    op.drop_table("connection_oauth_states")
    op.drop_table("integration_leases")
    op.drop_index("ix_integration_jobs_connection_id_status", table_name="integration_jobs")
    op.drop_index("ix_integration_jobs_status_run_after", table_name="integration_jobs")
    op.drop_table("integration_jobs")
