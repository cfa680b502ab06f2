"""Evaluating a flow on an event: its condition, and for each action the mapped input,
its validation and the exact request the operation sends. The same code serves the dry
run (:mod:`rolodex.flows.testing`), which only shows the request (through the one
dry-run renderer, :func:`rolodex.integrations.rendering.render`), and the live run
(:mod:`rolodex.flows.handler`), which sends it.

The context of every expression is the trigger's event as the event feed shows it
(``type``, ``data``, ``changes``, ``origin`` …, or a remote change: ``remote_type``,
``remote_id``, ``action``, ``data``) plus ``steps``: the outputs of the earlier actions,
``steps[0]`` first, and ``related``: ``related.company``, the company of a contact event's
contact.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError

from rolodex.errors import Detail, details_of
from rolodex.flows.expressions import ExpressionError, evaluate
from rolodex.flows.mapping import Mapped, map_value
from rolodex.integrations import credentials as sealed
from rolodex.integrations.connector import Operation, RemoteRequest
from rolodex.integrations.target import Target
from rolodex.runs.origin import RUN_HEADER

NATIVE_KIND = "rolodex"
LinkFinder = Callable[[str, str, str], Awaitable[str | None]]
"""``(connection_id, direction, id) -> linked id`` (see :mod:`rolodex.flows.links`)."""


@dataclass(frozen=True)
class Condition:
    """A flow's condition on one event."""

    expression: str | None
    value: Any
    holds: bool
    error: str | None = None

    def shown(self) -> dict[str, Any]:
        """As a dry run shows it."""
        return {
            "expression": self.expression,
            "value": self.value,
            "holds": self.holds,
            "error": self.error,
        }


def truthy(value: Any) -> bool:
    """JMESPath's truth: false, null, empty text, list and object are false."""
    return value not in (None, False, "", [], {})


def check_condition(expression: str | None, context: Mapping[str, Any]) -> Condition:
    """Whether the condition holds for ``context`` (no condition always does)."""
    if expression is None:
        return Condition(None, None, True)
    try:
        value = evaluate(expression, context)
    except ExpressionError as exc:
        return Condition(expression, None, False, f"the condition failed: {exc}")
    return Condition(expression, value, truthy(value))


def context_of(
    event: Mapping[str, Any], steps: list[Any], related: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The data expressions see: the event, ``steps`` and ``related``
    (:mod:`rolodex.flows.related`)."""
    return {**event, "steps": steps, "related": dict(related or {})}


def _set(values: dict[str, Any], key: str, value: Any) -> None:
    """``values[key] = value``; a dotted key (``custom_fields.vip``) sets a nested one."""
    head, _, rest = key.partition(".")
    if not rest:
        values[head] = value
        return
    inner = values.get(head)
    if not isinstance(inner, dict):
        inner = values[head] = {}
    _set(inner, rest, value)


@dataclass
class Plan:
    """What one action would do: its mapped fields, their problems and its request."""

    index: int
    connection_id: str
    operation: Operation | None
    fields: list[Mapped] = field(default_factory=list)
    errors: list[Detail] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    request: RemoteRequest | None = None

    @property
    def ready(self) -> bool:
        """Whether it can be sent."""
        return not self.errors and self.request is not None


async def plan_action(
    index: int,
    action: Mapping[str, Any],
    context: Mapping[str, Any],
    target: Target | None,
    links: LinkFinder,
    trigger_connection_id: str | None,
    run_id: str,
) -> Plan:
    """Map, validate and build one action (nothing is sent). A write to another Rolodex
    names its run (``run_id``) in :data:`~rolodex.runs.origin.RUN_HEADER`, so that the
    server the run belongs to records its changes as this flow's."""
    connection_id = str(action.get("connection_id"))
    key = str(action.get("operation"))
    prefix = f"actions.{index}"
    if target is None:
        return Plan(
            index,
            connection_id,
            None,
            errors=[{"field": f"{prefix}.connection_id", "message": "the connection is gone"}],
        )
    try:
        operation = target.connector.operation(key)
    except KeyError:
        message = f"{key!r} is not an operation of the {target.connector.kind} connector"
        return Plan(
            index,
            connection_id,
            None,
            errors=[{"field": f"{prefix}.operation", "message": message}],
        )
    plan = Plan(index, connection_id, operation)

    async def lookup(direction: str, of: str) -> str | None:
        where = connection_id if direction == "to_remote" else trigger_connection_id
        if where is None:
            return None
        return await links(where, direction, of)

    raw: dict[str, Any] = {}
    for name, spec in dict(action.get("mapping") or {}).items():
        mapped = await map_value(name, spec, context, lookup)
        plan.fields.append(mapped)
        if mapped.error:
            plan.errors.append({"field": f"{prefix}.mapping.{name}", "message": mapped.error})
        elif mapped.value is not None:
            _set(raw, name, mapped.value)
    if plan.errors:
        return plan
    try:
        model = operation.input.model_validate(raw)
    except ValidationError as exc:
        for detail in details_of(exc.errors()):
            where = f"{prefix}.mapping.{detail['field']}" if detail["field"] else prefix
            plan.errors.append({"field": where, "message": detail["message"]})
        return plan
    plan.values = model.model_dump(mode="json", exclude_unset=True)
    try:
        request = operation.request(plan.values, target.context)
    except ValueError as exc:
        plan.errors.append({"field": prefix, "message": str(exc)})
        return plan
    if operation.writes and target.connector.kind == NATIVE_KIND:
        request = replace(request, headers={**request.headers, RUN_HEADER: run_id})
    plan.request = request
    return plan


def idempotency_key(run_id: str, index: int) -> str:
    """The key of action ``index``'s write in run ``run_id``: the same on every attempt."""
    return f"rolodex-{run_id}-{index}"


def secrets_of(target: Target) -> list[str]:
    """Every secret of a connection, for masking what is shown or logged."""
    return list(sealed.secret_values(target.credentials))
