"""Engine, sessions, the declarative base and the unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Insert, MetaData, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from rolodex.config import Settings

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; constraint names are stable across databases."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured database.

    On SQLite, every transaction takes the write lock when it begins
    (``BEGIN IMMEDIATE``), so concurrent requests queue on ``busy_timeout``
    (``db_busy_timeout_seconds``) instead of failing when a read would have to be upgraded
    to a write; one that still finds the lock taken is answered 503
    (:func:`is_contention`). On PostgreSQL the same setting is each connection's
    ``lock_timeout`` (0: no limit). The embedded default trades read concurrency for that;
    PostgreSQL is the choice for heavy traffic.
    """
    url = settings.database_url
    kwargs: dict[str, Any] = {
        "echo": settings.db_echo,
        # Off by default: a pre-ping costs three round trips on every checkout (BEGIN, a
        # ping, ROLLBACK) to spare the rare request that finds a dropped connection,
        # which is answered 503 instead (is_contention).
        "pool_pre_ping": settings.db_pre_ping and not settings.is_sqlite,
    }
    if not settings.is_sqlite:
        kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
        # The same bound as SQLite's busy timeout: a lock (a row another transaction
        # writes, an account's event sequence) not had within it is 55P03, a 503.
        lock_ms = round(settings.db_busy_timeout_seconds * 1000)
        kwargs["connect_args"] = {"server_settings": {"lock_timeout": str(lock_ms)}}
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine, busy_timeout_ms=round(settings.db_busy_timeout_seconds * 1000))
    return engine


_CONTENTION_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
"""PostgreSQL's serialization failure, deadlock and lock not available."""


def is_contention(exc: BaseException) -> bool:
    """Whether a database error means "busy, try again": SQLite's write lock could not be
    had within the busy timeout, PostgreSQL gave up on a lock or a serialization, or the
    connection had been dropped (the pool replaces it)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:  # the server dropped it; the pool makes a new one
        return True
    original = exc.orig
    if getattr(original, "sqlstate", None) in _CONTENTION_SQLSTATES:
        return True
    message = str(original).lower()
    return "database is locked" in message or "database table is locked" in message


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def insert_skipping_conflicts(session: AsyncSession, table: Table) -> Insert:
    """An INSERT into ``table`` that skips each row a unique index refuses (``ON CONFLICT
    DO NOTHING``, on SQLite as on PostgreSQL); with ``RETURNING``, only the rows it
    inserted come back."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(table).on_conflict_do_nothing()
    return statement


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def release(session: AsyncSession) -> None:
    """End a request's transaction before it waits on another system, when it has only
    read so far: nothing stays locked meanwhile (SQLite's write lock, which every
    transaction takes; PostgreSQL's transaction-level locks). The session begins a new
    transaction when it is next used, and the unit of work commits that one. A session
    with pending changes is refused: this never commits a change."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release() is for a transaction that has only read")
    await session.commit()


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends normally, rolls back when it raises.

    This is the only place in Rolodex that commits a change (:func:`release` ends a
    transaction that has made none).
    """
    async with sessions() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
