"""``rolodex oauth-client create|list|delete``: OAuth clients, on the configured database."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from rolodex.cli_support import (
    CommandError,
    check_email,
    command_settings,
    console,
    migrate_database,
    run_in_database,
    wide_console,
)

OPTIONS = {
    "name": "name",
    "redirect_uris": "redirect-uri",
    "scopes": "scope",
    "grant_types": "grant-type",
}
oauth_client_app = typer.Typer(
    help="Register, list and delete OAuth clients.", no_args_is_help=True
)


@oauth_client_app.command("create")
def create(
    email: Annotated[str, typer.Option(help="The owner or admin registering the client.")],
    name: Annotated[str, typer.Option(help="The application's name, shown on the consent page.")],
    scope: Annotated[
        list[str], typer.Option(help="A scope it may ask for (repeat), e.g. contacts.readonly.")
    ],
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="An exact redirect URI (repeat).")
    ] = None,
    public: Annotated[
        bool, typer.Option("--public", help="A public client (no secret; PKCE required).")
    ] = False,
    grant_type: Annotated[
        list[str] | None,
        typer.Option(help="authorization_code, refresh_token, client_credentials (repeat)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Register an OAuth client of the account of --email; prints its secret once."""
    from pydantic import ValidationError

    from rolodex.accounts.service import MANAGERS, find_user_by_email
    from rolodex.app import api_routes
    from rolodex.errors import details_of
    from rolodex.oauth.clients import register_client
    from rolodex.oauth.schemas import OAuthClientCreate
    from rolodex.oauth.scopes import scopes_of

    supported = scopes_of(api_routes().routes)
    unknown = [value for value in scope if value not in supported]
    if unknown:
        raise CommandError(
            f"--scope {', '.join(unknown)}: not a scope of this server; the scopes are "
            f"{', '.join(sorted(supported))}"
        )
    try:
        body = OAuthClientCreate(
            name=name,
            client_type="public" if public else "confidential",
            redirect_uris=redirect_uri or [],
            scopes=scope,
            grant_types=grant_type or None,
        )
    except ValidationError as exc:
        first = details_of(exc.errors())[0]
        where = OPTIONS.get((first["field"] or "").split(".")[0], "")
        message = first["message"]
        raise CommandError(f"--{where} {message}" if where else message) from None
    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> dict[str, Any]:
        user = await find_user_by_email(session, email)
        if user is None:
            raise CommandError(f"no user with email {email}")
        if user.role not in MANAGERS:
            raise CommandError(f"{email} is not an owner or admin of the account")
        # a DomainError of the service (unknown scope…) is reported as one line by main()
        client, secret = await register_client(session, user, body, supported)
        return {"client_id": client.id, "client_secret": secret, "scopes": client.scopes}

    result = run_in_database(settings, work)
    if as_json:
        print(json.dumps(result))
        return
    console.print(f"OAuth client {result['client_id']}", highlight=False)
    if result["client_secret"]:
        console.print(f"Client secret {result['client_secret']}", highlight=False)
        console.print("Store the secret now: Rolodex keeps only its hash.", style="yellow")


CLIENT_COLUMNS = ("client_id", "name", "client_type", "scopes", "registered_by", "created_at")


def _client_row(client: Any, registered_by: str | None) -> dict[str, Any]:
    return {
        "client_id": client.id,
        "name": client.name,
        "client_type": client.client_type,
        "scopes": client.scopes,
        "redirect_uris": client.redirect_uris,
        "registered_by": registered_by,
        "created_at": client.created_at.isoformat(),
    }


@oauth_client_app.command("list")
def list_clients(
    email: Annotated[str, typer.Option(help="A user of the account whose clients to list.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the OAuth clients of the account of --email (never their secrets)."""
    from sqlalchemy import select

    from rolodex.accounts.models import User
    from rolodex.accounts.service import find_user_by_email
    from rolodex.oauth.models import OAuthClient

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> list[dict[str, Any]]:
        user = await find_user_by_email(session, email)
        if user is None:
            raise CommandError(f"no user with email {email}")
        rows = await session.execute(
            select(OAuthClient, User.email)
            .outerjoin(User, User.id == OAuthClient.user_id)
            .where(OAuthClient.account_id == user.account_id, OAuthClient.deleted_at.is_(None))
            .order_by(OAuthClient.created_at, OAuthClient.id)
        )
        return [_client_row(client, owner) for client, owner in rows.all()]

    clients = run_in_database(settings, work)
    if as_json:
        print(json.dumps(clients, indent=2))
        return
    from rich.table import Table

    table = Table(*CLIENT_COLUMNS)
    for row in clients:
        table.add_row(
            *(", ".join(v) if isinstance(v := row[c], list) else str(v) for c in CLIENT_COLUMNS)
        )
    wide_console().print(table)


@oauth_client_app.command("delete")
def delete(
    client_id: Annotated[str, typer.Argument(help="The client's id, from `oauth-client list`.")],
) -> None:
    """Delete an OAuth client and revoke every token it holds."""
    from sqlalchemy import select

    from rolodex.oauth.clients import retire_client
    from rolodex.oauth.models import OAuthClient

    settings = command_settings()
    migrate_database(settings)

    async def work(session: Any) -> int:
        client = await session.scalar(
            select(OAuthClient)
            .where(OAuthClient.id == client_id, OAuthClient.deleted_at.is_(None))
            .with_for_update()
        )
        if client is None:
            raise CommandError(f"no OAuth client with id {client_id!r}")
        return await retire_client(session, client)

    tokens = run_in_database(settings, work)
    console.print(
        f"OAuth client {client_id} deleted; {tokens} of its tokens revoked.", highlight=False
    )
