"""Alembic environment: runs migrations on the configured async engine.

On PostgreSQL the run holds an advisory lock, so several servers starting at once
migrate one after the other instead of racing.
"""

from __future__ import annotations

import asyncio
import warnings

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.ext.asyncio import create_async_engine

import rolodex.models  # noqa: F401 - registers every table on the metadata
from rolodex.db import Base

MIGRATION_LOCK = 72_006_100


def _run(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction(), warnings.catch_warnings():
        # Batch mode on SQLite reflects the tables a foreign key of the altered table
        # refers to (users, contacts), and SQLAlchemy cannot reflect their expression
        # indexes (lower(email)). Those tables are only read, never rebuilt, so the
        # warning says nothing an operator can act on. An expression index lost by a
        # rebuilt table would not go unnoticed: tests/test_migrations.py compares every
        # index as the database itself states it.
        warnings.filterwarnings(
            "ignore",
            message=r"Skipped unsupported reflection of expression-based index",
            category=SAWarning,
        )
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


url = context.config.get_main_option("sqlalchemy.url")
assert url, "the database URL is set by rolodex.migrate"
asyncio.run(_run_online(url))
