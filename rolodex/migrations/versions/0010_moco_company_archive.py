"""Companies can be archived (MOCO's archive and unarchive)

Revision ID: 0010_moco
Revises: 0009_conn
Create Date: 2026-12-01 17:00:00

``companies.archived_at``: when a company was archived; null while it is active. The
MOCO surface's ``PUT /companies/{id}/archive`` and ``/unarchive`` set and clear it, and
its lists leave archived companies out unless ``include_archived`` is given.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rolodex.db

revision = "0010_moco"
down_revision = "0009_conn"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(
            sa.Column("archived_at", rolodex.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("archived_at")
