"""Key pairs of the deployment (HighLevel webhook signatures)

Revision ID: 0008_hlauth
Revises: 0007
Create Date: 2026-12-01 16:30:00

``deployment_keys`` keeps each named key pair the whole deployment shares: the public
key as PEM, the private key encrypted with the deployment's key ring. Rows are made on
first use, not here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_hlauth"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_keys",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("private_key_ciphertext", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_deployment_keys")),
    )


def downgrade() -> None:
    op.drop_table("deployment_keys")
