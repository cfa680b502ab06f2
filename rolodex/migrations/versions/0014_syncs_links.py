"""Syncs, their links between records, and the log of what they wrote

Revision ID: 0014_syncs
Revises: 0013_runs
Create Date: 2026-12-01 19:40:00

``syncs`` keeps one record type the same in Rolodex and at a connection; ``links`` ties
one Rolodex record to one remote record per connection, with the hash of what each side
last held; ``sync_writes`` is what the engine wrote, so its own changes are recognised
when they come back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0014_syncs"
down_revision = "0013_runs"
branch_labels = None
depends_on = None


def _owned(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f(f"fk_{table}_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f(f"fk_{table}_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "syncs",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("remote_type", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("conflict", sa.String(length=16), nullable=False),
        sa.Column("deletes", sa.String(length=16), nullable=False),
        sa.Column("filter", sa.String(length=1000), nullable=True),
        sa.Column("poll_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("rolodex_cursor", sa.BigInteger(), nullable=False),
        sa.Column("remote_cursor", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_poll_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", rolodex.db.UTCDateTime(timezone=True), nullable=True),
        *_owned("syncs"),
    )
    op.create_index("ix_syncs_account_id_created_at", "syncs", ["account_id", "created_at", "id"])
    op.create_table(
        "links",
        sa.Column("connection_id", sa.String(length=40), nullable=False),
        sa.Column("sync_id", sa.String(length=40), nullable=True),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("remote_type", sa.String(length=64), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("synced_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=True),
        sa.Column("remote_hash", sa.String(length=64), nullable=True),
        sa.Column("record_deleted", sa.Boolean(), nullable=False),
        sa.Column("remote_deleted", sa.Boolean(), nullable=False),
        *_owned("links"),
        sa.ForeignKeyConstraint(["sync_id"], ["syncs.id"], name=op.f("fk_links_sync_id_syncs")),
        sa.UniqueConstraint("connection_id", "record_id", name="uq_links_connection_id_record_id"),
        sa.UniqueConstraint(
            "connection_id",
            "remote_type",
            "remote_id",
            name="uq_links_connection_id_remote_type_remote_id",
        ),
    )
    op.create_index("ix_links_account_id_created_at", "links", ["account_id", "created_at", "id"])
    op.create_table(
        "sync_writes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("sync_id", sa.String(length=40), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", rolodex.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_sync_writes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["sync_id"], ["syncs.id"], name=op.f("fk_sync_writes_sync_id_syncs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_writes")),
    )
    op.create_index("ix_sync_writes_sync_id_side_ref", "sync_writes", ["sync_id", "side", "ref"])


def downgrade() -> None:
    op.drop_index("ix_sync_writes_sync_id_side_ref", table_name="sync_writes")
    op.drop_table("sync_writes")
    op.drop_index("ix_links_account_id_created_at", table_name="links")
    op.drop_table("links")
    op.drop_index("ix_syncs_account_id_created_at", table_name="syncs")
    op.drop_table("syncs")
