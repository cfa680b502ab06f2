"""``rolodex flow list|create|test|enable|disable|runs``: flows, on the configured
database, for the account of an owner or admin (``--email``).

``create -f FILE`` reads a flow from YAML or JSON (the body of ``POST /flows``); ``test``
prints the dry run's request of each action and writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
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
)

flow_app = typer.Typer(
    help="List, create, test, enable and disable flows, and show their runs.",
    no_args_is_help=True,
)
Email = Annotated[str, typer.Option(help="An owner or admin of the account.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
FlowId = Annotated[str, typer.Argument(help="The flow's id (flw_…).")]


def _problems(exc: Exception) -> CommandError:
    from rolodex.errors import DomainError

    if isinstance(exc, DomainError) and exc.details:
        lines = [exc.message, *(f"  {d['field'] or '-'}: {d['message']}" for d in exc.details)]
        return CommandError("\n".join(lines))
    return CommandError(str(exc))


def _read(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CommandError(
            f"{path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise CommandError(f"{path} must hold one flow (an object)")
    return data


def _row(shown: dict[str, Any]) -> str:
    state = "enabled " if shown["enabled"] else "disabled"
    trigger = shown["trigger"]
    where = trigger["connection_id"] or "rolodex"
    return (
        f"{shown['id']}  {state}  v{shown['version']}  {where}:{trigger['event']}  {shown['name']}"
    )


async def _principal(session: Any, email: str) -> Any:
    from rolodex.accounts.service import find_user_by_email
    from rolodex.integrations.cli import principal_for

    user = await find_user_by_email(session, email)
    if user is None:
        raise CommandError(f"no user with email {email}")
    return principal_for(user)


def _run(work: Any) -> Any:
    from rolodex.errors import DomainError

    settings = command_settings()
    migrate_database(settings)
    try:
        return run_in_database(settings, work)
    except DomainError as exc:
        raise _problems(exc) from None


@flow_app.command("list")
def list_flows(email: Email, as_json: AsJson = False) -> None:
    """The account's flows."""
    from rolodex.flows import service
    from rolodex.flows.models import Flow
    from rolodex.flows.schemas import FlowOut
    from rolodex.schemas import dump

    email = check_email(email)

    async def work(session: Any) -> list[dict[str, Any]]:
        principal = await _principal(session, email)
        rows = await session.scalars(
            service.flows_of(principal)
            .where(Flow.deleted_at.is_(None))
            .order_by(Flow.created_at, Flow.id)
        )
        return [dump(FlowOut, row) for row in rows]

    shown = _run(work)
    if as_json:
        print(json.dumps(shown))
        return
    for item in shown:
        console.print(_row(item), highlight=False)


@flow_app.command("create")
def create(
    email: Email,
    file: Annotated[Path, typer.Option("--file", "-f", help="The flow, as YAML or JSON.")],
    as_json: AsJson = False,
) -> None:
    """Create a flow from a file (checked as `POST /flows` checks it)."""
    from rolodex.errors import invalid
    from rolodex.flows import service
    from rolodex.flows.schemas import FlowCreate, FlowOut
    from rolodex.schemas import dump

    email = check_email(email)
    try:
        body = FlowCreate.model_validate(_read(file))
    except ValidationError as exc:
        raise _problems(invalid(exc.errors())) from None
    settings = command_settings()

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        return dump(FlowOut, await service.create_flow(session, principal, body, settings))

    shown = _run(work)
    if as_json:
        print(json.dumps(shown))
        return
    console.print(_row(shown), highlight=False)


def _set_enabled(flow_id: str, email: str, enabled: bool) -> dict[str, Any]:
    from rolodex.flows import service
    from rolodex.flows.schemas import FlowOut, FlowPatch
    from rolodex.schemas import dump

    email = check_email(email)
    settings = command_settings()

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        patch = FlowPatch(enabled=enabled)
        return dump(
            FlowOut, await service.update_flow(session, principal, flow_id, patch, settings)
        )

    shown: dict[str, Any] = _run(work)
    return shown


@flow_app.command("enable")
def enable(flow_id: FlowId, email: Email) -> None:
    """Enable a flow: its trigger runs it again."""
    console.print(_row(_set_enabled(flow_id, email, True)), highlight=False)


@flow_app.command("disable")
def disable(flow_id: FlowId, email: Email) -> None:
    """Disable a flow: nothing runs it until it is enabled."""
    console.print(_row(_set_enabled(flow_id, email, False)), highlight=False)


@flow_app.command("test")
def test(
    flow_id: FlowId,
    email: Email,
    event_id: Annotated[str | None, typer.Option(help="A stored event (evt_…).")] = None,
    event_file: Annotated[
        Path | None, typer.Option(help="An event as YAML or JSON ({type, data, …}).")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Dry-run a flow on an event: print each action's request; nothing is written."""
    from rolodex.flows.schemas import FlowTest, FlowTestOut
    from rolodex.flows.testing import dry_run

    email = check_email(email)
    event = _read(event_file) if event_file is not None else None
    try:
        body = FlowTest(event_id=event_id, event=event)
    except ValidationError:
        raise CommandError("give --event-id or --event-file, one of them") from None
    settings = command_settings()
    ring = command_key_ring(settings)

    async def work(session: Any) -> dict[str, Any]:
        principal = await _principal(session, email)
        shown = await dry_run(session, principal, flow_id, body, ring)
        return FlowTestOut.model_validate(shown).model_dump(mode="json")

    result = _run(work)
    if as_json:
        print(json.dumps(result))
        return
    condition = result["condition"]
    console.print(
        f"{result['status']}  (condition {condition['expression']!r}: {condition['holds']})",
        highlight=False,
    )
    for action in result["actions"]:
        console.print(f"action {action['index']}: {action['operation']}", highlight=False)
        request = action["request"]
        if request is not None:
            console.print(f"  {request['method']} {request['url']}", highlight=False)
            for name, value in request["headers"].items():
                console.print(f"  {name}: {value}", highlight=False)
            if request["body"] is not None:
                console.print(f"  {json.dumps(request['body'])}", highlight=False)
        for problem in action["errors"]:
            console.print(f"  error {problem['field']}: {problem['message']}", highlight=False)


@flow_app.command("runs")
def runs(
    flow_id: FlowId,
    email: Email,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="The newest this many.")] = 20,
    as_json: AsJson = False,
) -> None:
    """A flow's runs, newest first."""
    from rolodex.flows import service
    from rolodex.runs.models import Run
    from rolodex.runs.schemas import RunOut
    from rolodex.runs.service import runs_of
    from rolodex.schemas import dump

    email = check_email(email)

    async def work(session: Any) -> list[dict[str, Any]]:
        principal = await _principal(session, email)
        flow = await service.get_flow(session, principal, flow_id)
        rows = await session.scalars(
            runs_of(principal, kind="flow", owner_id=flow.id)
            .order_by(Run.created_at.desc(), Run.id.desc())
            .limit(limit)
        )
        return [dump(RunOut, row) for row in rows]

    shown = _run(work)
    if as_json:
        print(json.dumps(shown))
        return
    for run in shown:
        error = f"  {run['error']}" if run["error"] else ""
        console.print(
            f"{run['id']}  {run['status']:<9}  v{run['version']}  {run['created_at']}  "
            f"{len(run['steps'])} steps{error}",
            highlight=False,
        )
