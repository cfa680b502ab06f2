"""The ``rolodex`` command: serve, migrate, init, rekey, and the sub-commands of other
modules (keys, OAuth clients, the webhook worker, the record and data commands), which are imported
only when they run (:mod:`rolodex.cli_lazy`), so that ``rolodex --help`` starts fast.

Every failure, a wrong argument included, ends in one ``error: …`` line on stderr and a
non-zero exit (2 for usage, 1 otherwise); no traceback reaches the terminal.
"""

from __future__ import annotations

import json
import logging
import sys
from functools import partial
from typing import Annotated, Any

import typer

from rolodex import __version__
from rolodex.cli_kinds import RECORD_KINDS
from rolodex.cli_lazy import Lazy, command_of, group_of, install, single
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

app = typer.Typer(
    name="rolodex",
    help="Rolodex: a self-hosted CRM server with a first-class API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        print(f"rolodex {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Rolodex: a self-hosted CRM server with a first-class API."""


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
    migrate: Annotated[bool, typer.Option(help="Migrate the database before serving.")] = True,
) -> None:
    """Migrate the database, then serve the API."""
    import uvicorn

    from rolodex.observability.logs import chosen_format, configure_logging, log_config
    from rolodex.observability.multiprocess import shared_metrics

    settings = command_settings()
    if migrate:
        migrate_database(settings)
    command_key_ring(settings)  # made once here, so every worker reads the same one
    banner = f"Rolodex on http://{host}:{port} — database {safe_url(settings.database_url)}"
    if chosen_format(settings) == "json":  # one event a line, the first one included
        configure_logging(settings)
        logging.getLogger("rolodex.serve").info(banner)
    else:
        console.print(banner, highlight=False)
    # The worker processes add up their metrics through one directory (set before they
    # start); each logs in the chosen format, with its own request events for access log.
    with shared_metrics(workers):
        uvicorn.run(
            "rolodex.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
            log_config=log_config(settings),
            access_log=False,
            proxy_headers=True,
        )


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
    from rolodex.accounts.service import create_account, find_user_by_email

    settings = command_settings()
    email = check_email(email)
    if len(password) < settings.password_min_length:
        raise CommandError(f"--password must be at least {settings.password_min_length} characters")
    if account_name is not None and not account_name.strip():
        raise CommandError("--account-name must not be blank")
    migrate_database(settings)

    async def work(session: Any) -> dict[str, str]:
        existing = await find_user_by_email(session, email)
        if existing is not None:
            raise CommandError(
                f"a user with email {existing.email} already exists; for another API key "
                f"of theirs, run: rolodex key create --email {existing.email}"
            )
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


def _oauth_clients() -> Any:
    from rolodex.oauth.cli import oauth_client_app

    return group_of(oauth_client_app, "oauth-client")


def _keys() -> Any:
    from rolodex.accounts.cli import key_app

    return group_of(key_app, "key")


def _connections() -> Any:
    from rolodex.integrations.cli import connection_app

    return group_of(connection_app, "connection")


def _flows() -> Any:
    from rolodex.flows.cli import flow_app

    return group_of(flow_app, "flow")


def _syncs() -> Any:
    from rolodex.syncs.cli import sync_app

    return group_of(sync_app, "sync")


def _worker() -> Any:
    from rolodex.webhooks.cli import worker

    return single("worker", worker)


def _data_command(name: str) -> Any:
    from rolodex.dataio.commands import register

    holder = typer.Typer(add_completion=False)
    register(holder)
    return command_of(holder).commands[name]


def _records(plural: str) -> Any:
    """``rolodex <plural>``: list, get, create, update, delete (and restore) of one kind
    (rolodex/cli_records.py, from its description in rolodex/cli_kinds.py)."""
    from rolodex.cli_records import record_group

    return record_group(RECORD_KINDS[plural])


LAZY = [
    Lazy(
        "worker",
        "Deliver webhooks and run integration jobs until stopped (SIGINT or SIGTERM). Run "
        "as many as you like.",
        _worker,
    ),
    Lazy("key", "Create, list and revoke API keys.", _keys),
    Lazy("oauth-client", "Register, list and delete OAuth clients.", _oauth_clients),
    Lazy(
        "connection",
        "Create, list, check and delete connections to other systems.",
        _connections,
    ),
    Lazy(
        "flow",
        "List, create, test, enable and disable flows, and show their runs.",
        _flows,
    ),
    Lazy(
        "sync",
        "List, create, run, enable and disable syncs, and show their runs.",
        _syncs,
    ),
    *(Lazy(plural, kind.help, partial(_records, plural)) for plural, kind in RECORD_KINDS.items()),
    Lazy(
        "import",
        "Import contacts, companies, tasks or notes from CSV or JSON Lines.",
        lambda: _data_command("import"),
    ),
    Lazy(
        "export",
        "Export every record of a kind, oldest change first.",
        lambda: _data_command("export"),
    ),
]
# The order `rolodex --help` lists the commands in.
ORDER = [
    "serve",
    "worker",
    "migrate",
    "init",
    "key",
    "rekey",
    "oauth-client",
    "connection",
    "flow",
    "sync",
    *RECORD_KINDS,
    "import",
    "export",
]


def command() -> Any:
    """The whole ``rolodex`` command as a click group (the sub-commands still unloaded)."""
    return install(command_of(app), LAZY, ORDER)


def _usage_message(exc: typer.TyperException) -> str:
    # A wrong value of a choice reads "Value error, 'x' is not one of …" in pydantic's
    # words; the prefix says nothing to someone at a terminal.
    return exc.format_message().replace("Value error, ", "")


def main() -> None:
    """Entry point of the ``rolodex`` command."""
    from rolodex.errors import DomainError

    try:
        command().main(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: exit code 2
        message = _usage_message(exc)
        if message:  # empty when the help was shown for a bare `rolodex`
            print(f"error: {message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (CommandError, DomainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
