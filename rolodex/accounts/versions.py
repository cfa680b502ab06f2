"""Credential versions: one counter per account, raised whenever a key or user changes.

A process that keeps principals in memory (:mod:`rolodex.accounts.principal_cache`)
compares the version it loaded a principal at with the account's current one, read in
the request's own transaction: a key revoked, a user deactivated, a role or scope changed
in any process, by any route or command, has raised it in the same transaction as the
change, so the next request anywhere after the commit sees a new version and loads the
credential again. The counter is raised by a flush listener on every ORM session (an
``api_keys`` or ``users`` row updated or deleted), not by each service, so that no path
that changes a credential can forget it. A bulk ``UPDATE`` or ``DELETE`` of those tables
through a session raises the version of every account at once (the :data:`EVERY_ACCOUNT`
row), unless it says it changes no right (``execution_options(credential_rights=False)``,
as the write of a key's last use does). SQL sent around the ORM session is not seen: the
cache's short TTL bounds how long such a change goes unnoticed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Insert, Select, String, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import (
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
)

from rolodex.db import Base

WATCHED_TABLES = frozenset({"api_keys", "users"})
"""Tables whose changed or deleted rows change what a credential may do."""
EVERY_ACCOUNT = "*"
"""The row whose version counts for every account (raised by bulk changes)."""


class CredentialVersion(Base):
    """The version of an account's credentials (no row yet: version 0)."""

    __tablename__ = "credential_versions"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


def _version_query(account_id: Any) -> Select[Any]:
    return select(func.coalesce(func.sum(CredentialVersion.version), 0)).where(
        CredentialVersion.account_id.in_([account_id, EVERY_ACCOUNT])
    )


def version_of(account_id: Any) -> Any:
    """A scalar subquery: the account's credential version (0 without rows)."""
    return _version_query(account_id).scalar_subquery()


_CURRENT_VERSION = text(
    "SELECT coalesce(sum(version), 0) FROM credential_versions "
    "WHERE account_id IN (:account_id, :every_account)"
)
"""What :func:`_version_query` says, made once: it runs on every authenticated request."""


async def current_version(session: AsyncSession, account_id: str) -> int:
    """The account's credential version, read in the session's transaction."""
    return int(
        await session.scalar(
            _CURRENT_VERSION, {"account_id": account_id, "every_account": EVERY_ACCOUNT}
        )
        or 0
    )


def _changed_accounts(session: Session) -> set[str]:
    changed = (
        obj
        for obj in (*session.dirty, *session.deleted)
        if getattr(obj, "__tablename__", None) in WATCHED_TABLES
    )
    return {obj.account_id for obj in changed if session.is_modified(obj) or obj in session.deleted}


@event.listens_for(Session, "after_flush")
def _raise_versions(session: Session, _flush: UOWTransaction) -> None:
    """Raise the version of every account whose keys or users this flush changed, in
    the flush's own transaction (the session's state is still the pre-flush one here)."""
    for account_id in sorted(_changed_accounts(session)):
        session.execute(_raise(session, account_id))


@event.listens_for(Session, "do_orm_execute")
def _raise_on_bulk_change(state: ORMExecuteState) -> None:
    """A bulk ``UPDATE``/``DELETE`` of keys or users raises every account's version."""
    if not (state.is_update or state.is_delete):
        return
    if not state.execution_options.get("credential_rights", True):
        return
    if any(_table_name(mapper) in WATCHED_TABLES for mapper in state.all_mappers):
        state.session.execute(_raise(state.session, EVERY_ACCOUNT))


def _raise(session: Session, account_id: str) -> Insert:
    """The upsert that raises one version row by one."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CredentialVersion).values(account_id=account_id, version=1)
    raised: Insert = statement.on_conflict_do_update(
        index_elements=[CredentialVersion.account_id],
        set_={"version": CredentialVersion.version + 1},
    )
    return raised


def _table_name(mapper: Mapper[Any]) -> str:
    return str(getattr(mapper.local_table, "name", ""))
