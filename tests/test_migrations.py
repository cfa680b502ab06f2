"""The migrations build exactly the schema the models declare, on both databases, and
the latest one can be undone."""

from __future__ import annotations

import asyncio
import secrets
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

import rolodex.models  # noqa: F401 - registers every table
from rolodex.accounts.models import ApiKey
from rolodex.accounts.service import create_account, issue_account_key
from rolodex.config import Settings
from rolodex.contacts.models import Contact
from rolodex.db import Base, make_engine, make_sessionmaker, unit_of_work
from rolodex.ids import new_id
from rolodex.migrate import alembic_config, upgrade
from rolodex.notes.models import Note
from tests.conftest import _pg_admin, _pg_url

T = TypeVar("T")


def _differences(url: str) -> list[object]:
    async def run() -> list[object]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
                )
        finally:
            await engine.dispose()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected for comparison
        return asyncio.run(run())


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    assert _differences(database_url) == []


def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    assert _differences(database_url) == []


@contextmanager
def fresh_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same backend as ``database_url``, dropped afterwards."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"rolodex_migrations_{secrets.token_hex(6)}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = make_engine(Settings(database_url=url, secret_key="x"))
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_account_keys_migration_downgrades_and_upgrades_again(
    database_url: str, tmp_path: Path
) -> None:
    with fresh_database(database_url, tmp_path) as url:
        upgrade(url)

        async def keys(session: AsyncSession) -> tuple[str, str]:
            made = await create_account(
                session,
                email=f"{secrets.token_hex(4)}@example.com",
                password="x" * 12,
                account_name=None,
            )
            await issue_account_key(
                session, made.account.id, name="sync", scope="full", created_by=made.owner
            )
            contact = Contact(id=new_id("cnt"), account_id=made.account.id, first_name="A")
            session.add(contact)
            await session.flush()
            note = Note(
                id=new_id("nte"),
                account_id=made.account.id,
                contact_id=contact.id,
                body="by the account",
                author_id=None,
            )
            session.add(note)
            return made.key.id, note.id

        user_key_id, note_id = _run(url, keys)
        # a note without an author cannot be kept by the older schema: refused
        with pytest.raises(RuntimeError, match="no author"):
            command.downgrade(alembic_config(url), "0005")

        async def remove_note(session: AsyncSession) -> None:
            await session.execute(delete(Note).where(Note.id == note_id))

        _run(url, remove_note)
        command.downgrade(alembic_config(url), "0005")
        upgrade(url)
        assert _differences(url) == []

        async def remaining(session: AsyncSession) -> list[tuple[str, str]]:
            return [tuple(row) for row in await session.execute(select(ApiKey.id, ApiKey.kind))]

        # the user key is kept (a user key again), the account key is gone
        assert _run(url, remaining) == [(user_key_id, "user")]
