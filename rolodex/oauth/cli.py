"""``rolodex oauth-client create``: register an OAuth client from the command line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from rolodex.cli_support import (
    CommandError,
    check_email,
    command_settings,
    console,
    migrate_database,
    run_in_database,
)
from rolodex.errors import details_of

OPTIONS = {
    "name": "name",
    "redirect_uris": "redirect-uri",
    "scopes": "scope",
    "grant_types": "grant-type",
}
oauth_client_app = typer.Typer(help="Manage OAuth clients.", no_args_is_help=True)


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
    """Register an OAuth client of the account of ``--email``; prints its secret once."""
    from rolodex.accounts.service import MANAGERS, find_user_by_email
    from rolodex.app import api_routes
    from rolodex.oauth.clients import register_client
    from rolodex.oauth.schemas import OAuthClientCreate
    from rolodex.oauth.scopes import scopes_of

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
    supported = scopes_of(api_routes().routes)

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
