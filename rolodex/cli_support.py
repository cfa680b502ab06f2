"""What every ``rolodex`` command needs: its settings, its database, its one-line errors.

The root command (:mod:`rolodex.cli`) and its sub-commands (``rolodex/*/cli.py``) import
this module; it imports none of them, so sub-commands never import the root back. It
imports SQLAlchemy, pydantic and the settings only inside the functions that need them,
so that a command which never touches the database (``rolodex --help``) starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import Console

if TYPE_CHECKING:
    from rolodex.config import Settings
    from rolodex.keyring import KeyRing

T = TypeVar("T")
console = Console()


class CommandError(Exception):
    """A failure to report as one line."""


def wide_console() -> Console:
    """Standard output for tables: as wide as the terminal, or wide enough for every id
    when piped."""
    return Console(width=None if sys.stdout.isatty() else 240)


def safe_url(url: str) -> str:
    """A database URL fit to print: its password hidden."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable URL>"


def command_settings() -> Settings:
    """The settings from the environment, or a :class:`CommandError` naming each wrong
    variable and an unsupported database driver."""
    from pydantic import ValidationError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from rolodex.config import SUPPORTED_DRIVERS, get_settings
    from rolodex.errors import details_of

    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"ROLODEX_{d['field'].replace('.', '_').upper()} {d['message']}"
            if d["field"]
            else d["message"]  # a rule of several variables names them itself
            for d in details_of(exc.errors())
        )
        raise CommandError(problems) from None
    try:
        driver = make_url(settings.database_url).drivername
    except ArgumentError:
        raise CommandError("ROLODEX_DATABASE_URL is not a valid database URL") from None
    if driver not in SUPPORTED_DRIVERS:
        raise CommandError(
            f"ROLODEX_DATABASE_URL uses {driver!r}; "
            f"Rolodex runs on {' or '.join(SUPPORTED_DRIVERS)}"
        )
    return settings


def command_key_ring(settings: Settings) -> KeyRing:
    """The deployment's key ring, or a :class:`CommandError` saying what is wrong with
    ``.rolodex-secret``."""
    from rolodex.keyring import KeyRingError

    try:
        return settings.resolved_key_ring()
    except (KeyRingError, OSError) as exc:
        raise CommandError(f"the secret key: {exc}") from None


def migrate_database(settings: Settings) -> None:
    """Bring the configured database to the latest schema."""
    from rolodex.migrate import upgrade

    with_database(settings, lambda: upgrade(settings.database_url))


def with_database(settings: Settings, action: Callable[[], T]) -> T:
    """``action()``; a database that cannot be reached becomes one :class:`CommandError`."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    try:
        return action()
    except (OperationalError, DBAPIError, OSError, ConnectionError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        raise CommandError(
            f"cannot reach the database {safe_url(settings.database_url)}: {reason}"
        ) from None


def run_in_database(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(session)`` in one unit of work on the configured database."""
    import asyncio

    from rolodex.db import make_engine, make_sessionmaker, unit_of_work

    async def main() -> T:
        engine = make_engine(settings)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return with_database(settings, lambda: asyncio.run(main()))


def check_email(email: str) -> str:
    """``--email`` normalised, or a :class:`CommandError` saying what is wrong with it."""
    from rolodex.validation import normalize_email

    try:
        return normalize_email(email)
    except ValueError as exc:
        raise CommandError(f"--email {exc}") from None
