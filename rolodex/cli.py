"""The ``rolodex`` command: serve, migrate, init, key create.

Every failure, a wrong argument included, ends in one ``error: …`` line on stderr and a
non-zero exit (2 for usage, 1 otherwise); no traceback reaches the terminal.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from rolodex.cli_support import (
    CommandError,
    check_email,
    command_key_ring,
    command_settings,
    console,
    migrate_database,
    run_in_database,
    safe_url,
)
from rolodex.config import parse_rate_limit
from rolodex.dataio.commands import register as register_data_commands
from rolodex.errors import DomainError
from rolodex.oauth.cli import oauth_client_app
from rolodex.webhooks.cli import worker as webhook_worker

app = typer.Typer(
    name="rolodex",
    help="Rolodex: a self-hosted CRM server with a first-class API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
key_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
app.add_typer(key_app, name="key")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Migrate the database before serving.")] = True,
) -> None:
    """Migrate the database, then serve the API."""
    import uvicorn

    settings = command_settings()
    if migrate:
        migrate_database(settings)
    command_key_ring(settings)  # made once here, so every worker reads the same one
    console.print(
        f"Rolodex on http://{host}:{port} — database {safe_url(settings.database_url)}",
        highlight=False,
    )
    uvicorn.run(
        "rolodex.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        proxy_headers=True,
    )


app.command("worker")(webhook_worker)


@app.command("migrate")
def migrate_command() -> None:
    """Bring the configured database to the latest schema."""
    settings = command_settings()
    migrate_database(settings)
    console.print(f"Database {safe_url(settings.database_url)} is up to date.", highlight=False)


@app.command()
def init(
    email: Annotated[str, typer.Option(help="The owner's email address.")],
    password: Annotated[str, typer.Option(help="The owner's password.")],
    account_name: Annotated[str | None, typer.Option(help="Name of the new account.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an account, its owner (role owner, staff) and a first full-scope API key."""
    from rolodex.accounts.service import create_account

    settings = command_settings()
    email = check_email(email)
    if len(password) < settings.password_min_length:
        raise CommandError(f"--password must be at least {settings.password_min_length} characters")
    if account_name is not None and not account_name.strip():
        raise CommandError("--account-name must not be blank")
    migrate_database(settings)

    async def work(session: Any) -> dict[str, str]:
        created = await create_account(
            session, email=email, password=password, account_name=account_name
        )
        return {
            "account_id": created.account.id,
            "user_id": created.owner.id,
            "api_key": created.secret,
        }

    result = run_in_database(settings, work)
    if as_json:
        print(json.dumps(result))
        return
    console.print(
        f"Account  {result['account_id']}\nOwner    {result['user_id']} ({email})", highlight=False
    )
    console.print(f"API key  {result['api_key']}", highlight=False)
    console.print("Store the key now: Rolodex keeps only its hash.", style="yellow")


@key_app.command("create")
def key_create(
    email: Annotated[
        str,
        typer.Option(
            help="The user the key belongs to; with --account-level, the owner or admin "
            "recorded as its maker."
        ),
    ],
    scope: Annotated[str, typer.Option(help="full or read_only.")] = "full",
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "CLI key",
    rate_limit: Annotated[
        str | None,
        typer.Option(help="The key's own limit as requests/seconds, e.g. 600/60."),
    ] = None,
    account_level: Annotated[
        bool,
        typer.Option(
            "--account-level",
            help="A key of the user's account, acting as no user: it keeps working when "
            "the user leaves.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an API key for an existing user, or for their account."""
    from rolodex.accounts.service import (
        MANAGERS,
        find_user_by_email,
        issue_account_key,
        issue_key,
    )

    if scope not in ("full", "read_only"):
        raise CommandError("--scope must be full or read_only")
    if rate_limit is not None:
        try:
            amount, seconds = parse_rate_limit(rate_limit)
        except ValueError as exc:
            raise CommandError(f"--rate-limit {exc}") from None
        rate_limit = f"{amount}/{seconds}"
    if not name.strip() or len(name) > 255:
        raise CommandError("--name must be 1 to 255 characters")
    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> dict[str, str]:
        user = await find_user_by_email(session, email)
        if user is None:
            raise CommandError(f"no user with email {email}")
        if not user.active:
            raise CommandError(f"the user {email} is deactivated")
        if account_level:
            if user.role not in MANAGERS:
                raise CommandError(f"{email} is not an owner or admin of the account")
            key, secret = await issue_account_key(
                session,
                user.account_id,
                name=name.strip(),
                scope=scope,
                created_by=user,
                rate_limit=rate_limit,
            )
        else:
            key, secret = await issue_key(
                session,
                user,
                name=name.strip(),
                scope=scope,
                rate_limit=rate_limit,
                created_by=user,
            )
        return {"id": key.id, "key": secret, "scope": key.scope, "kind": key.kind}

    result = run_in_database(settings, work)
    if as_json:
        print(json.dumps(result))
        return
    console.print(
        f"API key {result['id']} ({result['kind']}, {result['scope']}): {result['key']}",
        highlight=False,
    )
    console.print("Store the key now: Rolodex keeps only its hash.", style="yellow")


@app.command()
def rekey() -> None:
    """Encrypt every stored secret again with the newest key of ROLODEX_SECRET_KEYS.

    Run it after putting a new key first in the ring; once it has run, the older keys
    are needed only for pagination cursors and forms made before the rotation.
    """
    from rolodex.rekeying import rekey_all

    settings = command_settings()
    ring = command_key_ring(settings)
    migrate_database(settings)
    results = run_in_database(settings, lambda session: rekey_all(session, ring))
    for done in results:
        console.print(
            f"Re-encrypted {done.count} {done.what} with the newest of {len(ring)} keys.",
            highlight=False,
        )
    unreadable = [item for done in results for item in done.unreadable]
    if unreadable:
        raise CommandError(
            f"{len(unreadable)} stored secrets open with no key of the ring and were left "
            f"as they are: {', '.join(unreadable[:20])}" + (" …" if len(unreadable) > 20 else "")
        )


# The sub-commands, registered after the core ones (the order `rolodex --help` shows).
app.add_typer(oauth_client_app, name="oauth-client")
register_data_commands(app)


def main() -> None:
    """Entry point of the ``rolodex`` command."""
    try:
        app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: exit code 2
        message = exc.format_message()
        if message:  # empty when the help was shown for a bare `rolodex`
            print(f"error: {message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (CommandError, DomainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
