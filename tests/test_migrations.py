"""The migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

import asyncio
import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

import rolodex.models  # noqa: F401 - registers every table
from rolodex.db import Base
from rolodex.migrate import upgrade


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
