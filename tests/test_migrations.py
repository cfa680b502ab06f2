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
from sqlalchemy import delete, select, text
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


# Every index of the database with its definition, as the database itself states it:
# PostgreSQL's normalised ``indexdef``; SQLite's ``CREATE INDEX`` text (``None`` for the
# indexes it makes itself for primary keys and unique constraints). Expression and partial
# indexes, which Alembic cannot reflect, are compared this way.
INDEX_CATALOGS = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index'",
    "postgresql": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
}
MIGRATIONS_OWN = "alembic_version"  # Alembic's bookkeeping table, which no model declares
Indexes = dict[str, str | None]


def _indexes(url: str, *, create_all: bool = False) -> Indexes:
    """``{index name: definition}`` of the database at ``url``, after creating every
    model's table there first if ``create_all``."""

    async def run() -> Indexes:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                if create_all:
                    await connection.run_sync(Base.metadata.create_all)
                rows = await connection.execute(text(INDEX_CATALOGS[engine.dialect.name]))
                return {
                    name: None if definition is None else " ".join(definition.split())
                    for name, definition in rows.all()
                    if MIGRATIONS_OWN not in name and MIGRATIONS_OWN not in (definition or "")
                }
        finally:
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture(scope="module")
def declared_indexes(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Indexes:
    """The indexes of a scratch database of the same backend made by
    ``metadata.create_all``: what the models declare, as the database states it."""
    with fresh_database(database_url, tmp_path_factory.mktemp("declared")) as url:
        return _indexes(url, create_all=True)


def _differences(url: str, declared: Indexes) -> list[object]:
    """How the schema at ``url`` differs from the models: Alembic's comparison of tables,
    columns and constraints, then every index that is missing, extra or defined otherwise."""

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
        warnings.simplefilter("ignore")  # expression indexes: compared by _indexes instead
        differences = asyncio.run(run())
    migrated = _indexes(url)
    for name in sorted(migrated.keys() | declared.keys()):
        built, wanted = migrated.get(name, "(missing)"), declared.get(name, "(missing)")
        if built != wanted:
            differences.append(("index", name, f"migrated: {built}", f"models: {wanted}"))
    return differences


def test_migrated_schema_matches_the_models(database_url: str, declared_indexes: Indexes) -> None:
    assert _differences(database_url, declared_indexes) == []


def test_the_index_comparison_sees_expression_and_partial_indexes(
    declared_indexes: Indexes,
) -> None:
    """The models' catalog holds every index they declare, those Alembic cannot reflect
    with their expression and their condition, so a migration that got either wrong differs."""
    declared = {index.name for table in Base.metadata.tables.values() for index in table.indexes}
    assert declared <= declared_indexes.keys()
    email = declared_indexes["ix_contacts_account_id_email_lower"] or ""
    live = declared_indexes["ix_contacts_account_id_live"] or ""
    assert "lower(" in email.lower()
    assert "where" in live.lower() and "deleted_at is null" in live.lower().replace('"', "")


def test_upgrading_an_up_to_date_database_changes_nothing(
    database_url: str, declared_indexes: Indexes
) -> None:
    upgrade(database_url)
    assert _differences(database_url, declared_indexes) == []


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
    database_url: str, tmp_path: Path, declared_indexes: Indexes
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
        assert _differences(url, declared_indexes) == []

        async def remaining(session: AsyncSession) -> list[tuple[str, str]]:
            return [tuple(row) for row in await session.execute(select(ApiKey.id, ApiKey.kind))]

        # the user key is kept (a user key again), the account key is gone
        assert _run(url, remaining) == [(user_key_id, "user")]
