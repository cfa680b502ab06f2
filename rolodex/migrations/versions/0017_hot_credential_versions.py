"""Credential versions: one counter per account, raised with every change of a key or user

Revision ID: 0017_hot
Revises: 0016_flows
Create Date: 2026-12-01 20:00:00

Processes that keep API keys in memory compare the version they loaded a key at with
this row, so that a revoked key or a deactivated user is refused on the next request in
every process (rolodex.accounts.versions).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_hot"
down_revision = "0016_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_versions",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_credential_versions")),
    )


def downgrade() -> None:
    op.drop_table("credential_versions")
