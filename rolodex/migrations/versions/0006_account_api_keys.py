"""Account-level API keys: a key's kind and maker, and notes written by no user

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00

An account key belongs to the account, not to a person: ``api_keys.user_id`` becomes
nullable, ``kind`` tells the two apart (existing keys are user keys), and
``created_by_id`` records who made a key (unknown, so null, for existing keys). An
account key acts as no user, so a note it writes has no author: ``notes.author_id``
becomes nullable.

Downgrading deletes account keys (the older schema cannot hold them) and refuses while
a note without an author exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="user")
        )
        batch.add_column(sa.Column("created_by_id", sa.String(length=40), nullable=True))
        batch.alter_column("user_id", existing_type=sa.String(length=40), nullable=True)
        batch.create_foreign_key(
            op.f("fk_api_keys_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )
        batch.create_check_constraint(op.f("ck_api_keys_kind"), "kind IN ('user', 'account')")
        batch.create_check_constraint(
            op.f("ck_api_keys_kind_user"), "(kind = 'account') = (user_id IS NULL)"
        )
    with op.batch_alter_table("notes") as batch:
        batch.alter_column("author_id", existing_type=sa.String(length=40), nullable=True)


def downgrade() -> None:
    authorless = op.get_bind().scalar(sa.text("SELECT count(*) FROM notes WHERE author_id IS NULL"))
    if authorless:
        raise RuntimeError(
            f"{authorless} notes have no author (written with an account-level API key); "
            "give them an author before downgrading below revision 0006"
        )
    with op.batch_alter_table("notes") as batch:
        batch.alter_column("author_id", existing_type=sa.String(length=40), nullable=False)
    op.execute("DELETE FROM api_keys WHERE kind = 'account'")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint(op.f("ck_api_keys_kind_user"), type_="check")
        batch.drop_constraint(op.f("ck_api_keys_kind"), type_="check")
        batch.drop_constraint(op.f("fk_api_keys_created_by_id_users"), type_="foreignkey")
        batch.alter_column("user_id", existing_type=sa.String(length=40), nullable=False)
        batch.drop_column("created_by_id")
        batch.drop_column("kind")
