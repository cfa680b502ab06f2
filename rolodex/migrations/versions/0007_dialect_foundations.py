"""What the dialect surfaces need: integer record numbers and webhook delivery formats

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:45:00

``record_numbers`` gives a record the integer id surfaces such as MOCO's show
(assigned when a record is first shown there, never reused). ``webhook_endpoints.format``
says how an endpoint's deliveries look; existing endpoints are ``native``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_numbers",
        sa.Column(
            "number",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_record_numbers_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_record_numbers")),
        sa.UniqueConstraint("record_id", name=op.f("uq_record_numbers_record_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_record_numbers_account_id_record_id",
        "record_numbers",
        ["account_id", "record_id"],
    )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(
            sa.Column("format", sa.String(length=16), nullable=False, server_default="native")
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("format")
    op.drop_index("ix_record_numbers_account_id_record_id", table_name="record_numbers")
    op.drop_table("record_numbers")
