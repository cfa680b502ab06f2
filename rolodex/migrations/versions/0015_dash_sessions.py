"""The dashboard's sign-in sessions

Revision ID: 0015_dash
Revises: 0014_syncs
Create Date: 2026-12-01 19:30:00

One row per signed-in browser; the cookie's token is stored only as its SHA-256.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0015_dash"
down_revision = "0014_syncs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("impersonated_user_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_dashboard_sessions_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dashboard_sessions_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["impersonated_user_id"],
            ["users.id"],
            name=op.f("fk_dashboard_sessions_impersonated_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_sessions_token_hash")),
    )
    op.create_index("ix_dashboard_sessions_user_id", "dashboard_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_user_id", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
