"""Checking a flow when it is saved: every problem at once, ``400`` with a detail each.

Refused: a trigger event this Rolodex (or the trigger's connector) does not have; a
connection that is not the account's; an operation its connector does not have (or that
is a trigger, not an action); a condition or mapping expression that does not parse or
calls an unknown function; a mapped field the operation does not take; a field the
operation requires left unmapped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.errors import Detail, ValidationFailed
from rolodex.events.types import check_pattern
from rolodex.flows.expressions import ExpressionError, check_functions
from rolodex.flows.mapping import problems_of
from rolodex.integrations.connectors_registry import connector_of
from rolodex.integrations.models import Connection

REMOTE_ACTIONS = ("created", "updated", "deleted", "restored")


def input_fields(model: type[BaseModel]) -> dict[str, bool]:
    """The fields an operation's input takes (by name and by alias), and whether each
    is required."""
    fields: dict[str, bool] = {}
    for name, info in model.model_fields.items():
        fields[name] = info.is_required()
        if info.alias:
            fields[info.alias] = info.is_required()
    return fields


async def connections_of(
    session: AsyncSession, account_id: str, ids: Sequence[str | None]
) -> dict[str, Connection]:
    """The account's connections among ``ids`` (deleted ones left out), by id."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Connection).where(
            Connection.account_id == account_id,
            Connection.id.in_(wanted),
            Connection.deleted_at.is_(None),
        )
    )
    return {row.id: row for row in rows}


def _trigger_problems(
    trigger: Mapping[str, Any], connections: Mapping[str, Connection]
) -> list[Detail]:
    event = str(trigger.get("event") or "")
    connection_id = trigger.get("connection_id")
    if connection_id is None:
        refusal = check_pattern(event)
        return [{"field": "trigger.event", "message": refusal}] if refusal else []
    connection = connections.get(connection_id)
    if connection is None:
        return [{"field": "trigger.connection_id", "message": f"no connection {connection_id!r}"}]
    connector = connector_of(connection.kind)
    triggers = {key for key, op in connector.operations.items() if op.kind == "trigger"}
    kind, _, action = event.rpartition(".")
    if event == "*" or event in triggers or (kind and action in REMOTE_ACTIONS):
        return []
    known = ", ".join(sorted(triggers)[:20]) or "none"
    message = (
        f"{event!r} is not an event of the {connection.kind} connector (its triggers: "
        f"{known}; or <remote type>.created|updated|deleted|restored, or *)"
    )
    return [{"field": "trigger.event", "message": message}]


def _condition_problems(condition: str | None) -> list[Detail]:
    if condition is None:
        return []
    try:
        unknown = check_functions(condition)
    except ExpressionError as exc:
        return [{"field": "condition", "message": f"does not parse: {exc}"}]
    return [{"field": "condition", "message": unknown}] if unknown else []


def _action_problems(
    index: int, action: Mapping[str, Any], connections: Mapping[str, Connection]
) -> list[Detail]:
    prefix = f"actions.{index}"
    found: list[Detail] = []
    mapping = dict(action.get("mapping") or {})
    for name, spec in mapping.items():
        found.extend(
            {"field": f"{prefix}.mapping.{name}", "message": problem}
            for problem in problems_of(spec)
        )
    connection_id = str(action.get("connection_id"))
    connection = connections.get(connection_id)
    if connection is None:
        found.append(
            {"field": f"{prefix}.connection_id", "message": f"no connection {connection_id!r}"}
        )
        return found
    key = str(action.get("operation"))
    connector = connector_of(connection.kind)
    operation = connector.operations.get(key)
    if operation is None or operation.kind != "action":
        what = "a trigger, not an action" if operation is not None else "not an operation"
        message = f"{key!r} is {what} of the {connection.kind} connector"
        found.append({"field": f"{prefix}.operation", "message": message})
        return found
    takes = input_fields(operation.input)
    for name in mapping:
        head = name.partition(".")[0]
        if head not in takes:
            fields = ", ".join(sorted(takes)) or "nothing"
            message = f"{head!r} is not a field of {connection.kind} {key} (it takes: {fields})"
            found.append({"field": f"{prefix}.mapping.{name}", "message": message})
    mapped = {name.partition(".")[0] for name in mapping}
    path_context = {"location_id"} if connection.location_id else set()
    for name, required in sorted(takes.items()):
        if required and name not in mapped and name not in path_context:
            message = f"is required by {connection.kind} {key} and not mapped"
            found.append({"field": f"{prefix}.mapping.{name}", "message": message})
    return found


async def check_flow(
    session: AsyncSession,
    account_id: str,
    trigger: Mapping[str, Any],
    condition: str | None,
    actions: Sequence[Mapping[str, Any]],
) -> None:
    """Refuse (400) a flow definition with a detail per problem."""
    ids = [trigger.get("connection_id"), *(a.get("connection_id") for a in actions)]
    connections = await connections_of(session, account_id, ids)
    problems = [*_trigger_problems(trigger, connections), *_condition_problems(condition)]
    for index, action in enumerate(actions):
        problems.extend(_action_problems(index, action, connections))
    if problems:
        count = len(problems)
        raise ValidationFailed(
            f"The flow is not valid ({count} problem{'s' if count != 1 else ''})",
            details=problems,
        )
