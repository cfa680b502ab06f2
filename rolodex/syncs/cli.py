"""``rolodex sync list|create|run|enable|disable|runs``: syncs on the configured database,
for the account of an owner or admin (``--email``).

``create -f FILE`` reads the sync's body (as ``POST /syncs`` takes it) from a YAML or
JSON file (``-`` for standard input). ``run`` queues a run — a worker (``rolodex
worker``, or ``rolodex serve`` on SQLite) works it — and prints it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
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
from rolodex.integrations.cli import _principal

sync_app = typer.Typer(
    help="List, create, run, enable and disable syncs, and show their runs.",
    no_args_is_help=True,
)
Email = Annotated[str, typer.Option(help="An owner or admin of the account.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
SyncId = Annotated[str, typer.Argument(help="The sync's id (syn_…).")]


def _shown(sync: Any) -> dict[str, Any]:
    from rolodex.schemas import dump
    from rolodex.syncs.schemas import SyncOut

    return dump(SyncOut, sync)


def _row(shown: dict[str, Any]) -> str:
    state = "enabled" if shown["enabled"] else "disabled"
    return (
        f"{shown['id']}  {shown['record_type']:<9}  {shown['direction']:<4}  {state:<8}  "
        f"{shown['conflict']}  {shown['connection_id']}"
    )


def _read(path: str) -> dict[str, Any]:
    import yaml

    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CommandError(f"{path} is neither YAML nor JSON: {exc}") from None
    if not isinstance(found, dict):
        raise CommandError(f"{path} does not hold one sync (an object)")
    return found


def _print(shown: Any, as_json: bool, rows: list[str]) -> None:
    if as_json:
        print(json.dumps(shown))
        return
    for row in rows:
        console.print(row, highlight=False)


@sync_app.command("list")
def list_syncs(email: Email, as_json: AsJson = False) -> None:
    """The account's syncs."""
    from rolodex.syncs import service
    from rolodex.syncs.models import Sync

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> list[dict[str, Any]]:
        principal = await _principal(session, email)
        rows = await session.scalars(
            service.syncs_of(principal)
            .where(Sync.deleted_at.is_(None))
            .order_by(Sync.created_at, Sync.id)
        )
        return [_shown(row) for row in rows]

    shown = run_in_database(settings, work)
    _print(shown, as_json, [_row(item) for item in shown])


@sync_app.command("create")
def create(
    email: Email,
    file: Annotated[str, typer.Option("-f", "--file", help="YAML or JSON; - for stdin.")],
    as_json: AsJson = False,
) -> None:
    """Create a sync from a file holding its body."""
    from rolodex.errors import details_of
    from rolodex.syncs import service
    from rolodex.syncs.schemas import SyncCreate

    try:
        body = SyncCreate.model_validate(_read(file))
    except ValidationError as exc:
        problems = "; ".join(
            f"{d['field']}: {d['message']}" if d["field"] else d["message"]
            for d in details_of(exc.errors())
        )
        raise CommandError(problems) from None
    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        return _shown(await service.create_sync(session, principal, body))

    shown = run_in_database(settings, work)
    _print(shown, as_json, [_row(shown)])


def _set_enabled(sync_id: str, email: str, enabled: bool, as_json: bool) -> None:
    from rolodex.syncs import service
    from rolodex.syncs.schemas import SyncPatch

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        sync = await service.update_sync(
            session, principal, sync_id, SyncPatch(enabled=enabled), precondition=None
        )
        return _shown(sync)

    shown = run_in_database(settings, work)
    _print(shown, as_json, [_row(shown)])


@sync_app.command("enable")
def enable(sync_id: SyncId, email: Email, as_json: AsJson = False) -> None:
    """Enable a sync: it runs on changes and by polling again."""
    _set_enabled(sync_id, email, True, as_json)


@sync_app.command("disable")
def disable(sync_id: SyncId, email: Email, as_json: AsJson = False) -> None:
    """Disable a sync: it runs only when asked."""
    _set_enabled(sync_id, email, False, as_json)


def _run_row(run: dict[str, Any]) -> str:
    dry = "  dry" if run["dry_run"] else ""
    error = f"  {run['error']}" if run.get("error") else ""
    return f"{run['id']}  {run['status']:<9}  {len(run['steps'])} steps{dry}{error}"


@sync_app.command("run")
def run(
    sync_id: SyncId,
    email: Email,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Write nothing.")] = False,
    full: Annotated[bool, typer.Option("--full", help="Every record, not only changes.")] = False,
    as_json: AsJson = False,
) -> None:
    """Queue a run of a sync (a worker works it) and print it."""
    from rolodex.runs.schemas import RunOut
    from rolodex.schemas import dump
    from rolodex.syncs import service
    from rolodex.syncs.runs import queue_run

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        sync = await service.get_sync(session, principal, sync_id)
        made = await queue_run(
            session,
            sync,
            settings,
            dry_run=dry_run,
            full=full,
            trigger={"kind": "manual", "user_id": principal.user_id},
        )
        return dump(RunOut, made)

    shown = run_in_database(settings, work)
    _print(shown, as_json, [_run_row(shown)])


@sync_app.command("runs")
def runs(
    sync_id: SyncId,
    email: Email,
    limit: Annotated[int, typer.Option(min=1, max=250, help="How many, newest first.")] = 20,
    as_json: AsJson = False,
) -> None:
    """A sync's runs, newest first, with their steps in --json."""
    from rolodex.runs.models import Run
    from rolodex.runs.schemas import RunOut
    from rolodex.schemas import dump
    from rolodex.syncs import service
    from rolodex.syncs.runs import runs_of

    settings = command_settings()
    email = check_email(email)
    migrate_database(settings)

    async def work(session: Any) -> list[dict[str, Any]]:
        principal = await _principal(session, email)
        sync = await service.get_sync(session, principal, sync_id)
        rows = await session.scalars(
            runs_of(sync).order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
        )
        return [dump(RunOut, row) for row in rows]

    shown = run_in_database(settings, work)
    _print(shown, as_json, [_run_row(item) for item in shown])
