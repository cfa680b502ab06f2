"""``rolodex key create|list|revoke``: API keys, on the configured database."""

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

key_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


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
    from rolodex.config import parse_rate_limit

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


KEY_COLUMNS = ("id", "name", "kind", "scope", "user", "created_at", "last_used_at", "revoked_at")


@key_app.command("list")
def key_list(
    email: Annotated[str, typer.Option(help="A user of the account whose keys to list.")],
    revoked: Annotated[
        bool, typer.Option("--revoked/--no-revoked", help="Include revoked keys.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List the API keys of the account of --email (never the keys themselves)."""
    from sqlalchemy import select

    from rolodex.accounts.models import ApiKey, User
    from rolodex.accounts.service import find_user_by_email

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> list[dict[str, Any]]:
        user = await find_user_by_email(session, email)
        if user is None:
            raise CommandError(f"no user with email {email}")
        stmt = (
            select(ApiKey, User.email)
            .outerjoin(User, User.id == ApiKey.user_id)
            .where(ApiKey.account_id == user.account_id)
            .order_by(ApiKey.created_at, ApiKey.id)
        )
        if not revoked:
            stmt = stmt.where(ApiKey.revoked_at.is_(None))
        rows = (await session.execute(stmt)).all()
        return [_key_row(key, owner) for key, owner in rows]

    keys = run_in_database(settings, work)
    if as_json:
        print(json.dumps(keys, indent=2))
        return
    from rich.table import Table

    table = Table(*KEY_COLUMNS)
    for row in keys:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in KEY_COLUMNS))
    wide_console().print(table)


def _key_row(key: Any, owner_email: str | None) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "kind": key.kind,
        "scope": key.scope,
        "user": owner_email,  # None for an account-level key
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (key_…), from `rolodex key list`.")],
    as_json: AsJson = False,
) -> None:
    """Revoke an API key: it stops working at once. Revoking twice changes nothing."""
    from sqlalchemy import select

    from rolodex.accounts.models import ApiKey, User
    from rolodex.db import utcnow

    settings = command_settings()
    migrate_database(settings)

    async def work(session: Any) -> tuple[dict[str, Any], bool]:
        found = (
            await session.execute(
                select(ApiKey, User.email)
                .outerjoin(User, User.id == ApiKey.user_id)
                .where(ApiKey.id == key_id)
                .with_for_update(of=ApiKey)
            )
        ).first()
        if found is None:
            raise CommandError(f"no API key with id {key_id!r}")
        key, owner = found
        already = key.revoked_at is not None
        if not already:
            key.revoked_at = utcnow()
            await session.flush()
        return _key_row(key, owner), already

    row, already = run_in_database(settings, work)
    if as_json:
        print(json.dumps(row))
        return
    when = "was already revoked" if already else "is revoked"
    console.print(
        f"API key {row['id']} ({row['name']}) {when} since {row['revoked_at']}.",
        highlight=False,
        soft_wrap=True,
    )
