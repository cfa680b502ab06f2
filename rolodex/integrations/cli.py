"""``rolodex connection create|list|check|delete``: connections, on the configured database,
for the account of an owner or admin (``--email``).

Secrets are never echoed. A credential may be read from standard input instead of the
command line (``--api-key -``), so that it stays out of the shell's history.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from rolodex.cli_support import (
    CommandError,
    check_email,
    command_key_ring,
    command_settings,
    console,
    migrate_database,
    run_in_database,
    with_database,
)

connection_app = typer.Typer(
    help="Create, list, check and delete connections to other systems.", no_args_is_help=True
)
Email = Annotated[str, typer.Option(help="An owner or admin of the account.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SecretOption = Annotated[
    str | None, typer.Option(help="The value, or - to read it from standard input.")
]


def _secret(value: str | None) -> str | None:
    if value == "-":
        read = sys.stdin.readline().strip()
        if not read:
            raise CommandError("nothing was read from standard input")
        return read
    return value


def principal_for(user: Any) -> Any:
    """The command's principal: the owner or admin named by ``--email``."""
    from rolodex.accounts.principal import Principal
    from rolodex.accounts.service import MANAGERS

    if not user.active:
        raise CommandError(f"the user {user.email} is deactivated")
    if user.role not in MANAGERS:
        raise CommandError(f"{user.email} is not an owner or admin of the account")
    return Principal(
        account_id=user.account_id,
        user=user,
        impersonator=None,
        credential_id="cli",
        credential_kind="cli",
        key_scope="full",
    )


async def _principal(session: Any, email: str) -> Any:
    from rolodex.accounts.service import find_user_by_email

    user = await find_user_by_email(session, email)
    if user is None:
        raise CommandError(f"no user with email {email}")
    return principal_for(user)


def _row(shown: dict[str, Any]) -> str:
    return (
        f"{shown['id']}  {shown['kind']:<9}  {shown['status']:<10}  {shown['name']}  "
        f"{shown['base_url']}"
    )


@connection_app.command("create")
def create(
    email: Email,
    kind: Annotated[str, typer.Option(help="rolodex, moco or highlevel.")],
    name: Annotated[str | None, typer.Option(help="Default: the connector's name.")] = None,
    base_url: Annotated[str | None, typer.Option(help="The remote's API root.")] = None,
    location_id: Annotated[str | None, typer.Option(help="HighLevel's location id.")] = None,
    api_key: SecretOption = None,
    access_token: SecretOption = None,
    refresh_token: SecretOption = None,
    client_id: Annotated[str | None, typer.Option(help="The OAuth client's id.")] = None,
    client_secret: SecretOption = None,
    expires_in: Annotated[
        int | None, typer.Option(help="Seconds until the access token expires.")
    ] = None,
    rate_limit: Annotated[
        str | None, typer.Option(help="The remote's limit as requests/seconds, e.g. 120/120.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create a connection; its credentials are stored encrypted and never shown."""
    from rolodex.config import parse_rate_limit
    from rolodex.errors import details_of
    from rolodex.integrations import service
    from rolodex.integrations.schemas import ConnectionCreate

    secrets = {
        "api_key": _secret(api_key),
        "access_token": _secret(access_token),
        "refresh_token": _secret(refresh_token),
        "client_secret": _secret(client_secret),
        "client_id": client_id,
        "expires_in": expires_in,
    }
    given = {k: v for k, v in secrets.items() if v is not None}
    body: dict[str, Any] = {"kind": kind, "name": name, "base_url": base_url}
    body["location_id"] = location_id
    body["credentials"] = given or None
    if rate_limit is not None:
        try:
            amount, seconds = parse_rate_limit(rate_limit)
        except ValueError as exc:
            raise CommandError(f"--rate-limit {exc}") from None
        body["rate_limit"] = {"requests": amount, "per_seconds": seconds}
    try:
        parsed = ConnectionCreate.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        first = details_of(exc.errors())[0]
        where = (first["field"] or "").split(".")[-1].replace("_", "-")
        raise CommandError(f"--{where} {first['message']}" if where else first["message"]) from None
    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)
    ring = command_key_ring(settings)

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        base = (settings.public_url or "http://127.0.0.1:8000").rstrip("/")
        made = await service.create_connection(session, principal, parsed, settings, ring, base)
        return service.shown(made)

    shown = run_in_database(settings, work)
    if as_json:
        print(json.dumps(shown))
        return
    console.print(_row(shown), highlight=False)


@connection_app.command("list")
def list_connections(email: Email, as_json: AsJson = False) -> None:
    """The account's connections (never their credentials)."""
    from rolodex.integrations import service
    from rolodex.integrations.models import Connection

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> list[dict[str, Any]]:
        principal = await _principal(session, email)
        rows = await session.scalars(
            service.connections_of(principal)
            .where(Connection.deleted_at.is_(None))
            .order_by(Connection.created_at, Connection.id)
        )
        return [service.shown(row) for row in rows]

    shown = run_in_database(settings, work)
    if as_json:
        print(json.dumps(shown))
        return
    for item in shown:
        console.print(_row(item), highlight=False)


@connection_app.command("check")
def check(
    connection_id: Annotated[str, typer.Argument(help="The connection's id (con_…).")],
    email: Email,
    as_json: AsJson = False,
) -> None:
    """Make one cheap authenticated call to the remote; fail (exit 1) when it failed."""
    from rolodex.db import make_engine, make_sessionmaker, unit_of_work
    from rolodex.integrations import service
    from rolodex.integrations.checks import run_check
    from rolodex.integrations.runtime import Runtime
    from rolodex.integrations.target import open_target
    from rolodex.integrations.transport import remote_client

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)
    ring = command_key_ring(settings)

    async def main() -> dict[str, Any]:
        engine = make_engine(settings)
        try:
            sessions = make_sessionmaker(engine)
            async with unit_of_work(sessions) as session:
                principal = await _principal(session, email)
                connection = await service.get_connection(session, principal, connection_id)
                target = open_target(connection, ring)
            runtime = Runtime.make(settings, sessions, ring)
            async with remote_client(settings, max_connections=2) as client:
                result = await run_check(runtime.caller(client), target)
            async with unit_of_work(sessions) as session:
                principal = await _principal(session, email)
                await service.record_check(session, principal, connection_id, result)
            return result.model_dump(mode="json")
        finally:
            await engine.dispose()

    result = with_database(settings, lambda: asyncio.run(main()))
    if as_json:
        print(json.dumps(result))
    else:
        state = "ok" if result["ok"] else "failed"
        console.print(
            f"{state}: {result['status']} {result['message']} ({result['latency_ms']} ms)",
            highlight=False,
        )
    if not result["ok"]:
        raise CommandError("the check failed")


@connection_app.command("delete")
def delete(
    connection_id: Annotated[str, typer.Argument(help="The connection's id (con_…).")],
    email: Email,
) -> None:
    """Delete a connection: its credentials are erased, its work stops."""
    from rolodex.integrations import service

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> None:
        principal = await _principal(session, email)
        await service.delete_connection(session, principal, connection_id, precondition=None)

    run_in_database(settings, work)
    console.print(f"Deleted {connection_id}.", highlight=False)
