"""The dry run of a flow (``POST /flows/{id}/test``): what a live run would do with an
event — the condition's value, and per action every mapped field's value and where it
came from, the validation errors and the exact HTTP request — having written nothing
anywhere: no remote request, no row, no event, no audit entry. The only reads are of this
Rolodex (the event, the connections, links), and the answer lists them.

The outputs of earlier actions (``steps[n]``) are not known without running them: in a
dry run they are null, and an action that reads them says so (``needs_steps``): what it
lacks for that reason is shown, and does not make the flow ``invalid``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.db import utcnow
from rolodex.errors import DomainError, NotFound
from rolodex.events.models import Event
from rolodex.events.schemas import EventOut
from rolodex.flows.engine import check_condition, context_of, plan_action
from rolodex.flows.links import find_link
from rolodex.flows.related import related_of
from rolodex.flows.schemas import FlowTest
from rolodex.flows.service import get_flow
from rolodex.flows.validation import connections_of
from rolodex.integrations.rendering import render
from rolodex.integrations.target import Target
from rolodex.keyring import KeyRing
from rolodex.schemas import dump

RUN_PLACEHOLDER = "<run id>"


_STEPS = re.compile(r"\bsteps\b")


def _uses_steps(mapping: Any) -> bool:
    """Whether any mapping value reads an earlier action's output (``steps``)."""
    return bool(_STEPS.search(json.dumps(mapping)))


async def event_of(session: AsyncSession, principal: Principal, event_id: str) -> dict[str, Any]:
    """A stored event of the account as the feed shows it, or 404."""
    found = await session.scalar(
        select(Event).where(Event.id == event_id, Event.account_id == principal.account_id)
    )
    if found is None:
        raise NotFound(f"No event with id {event_id!r}")
    return dump(EventOut, found)


async def dry_run(
    session: AsyncSession,
    principal: Principal,
    flow_id: str,
    body: FlowTest,
    deployment_key: KeyRing,
) -> dict[str, Any]:
    """What the flow would do with the event, as :class:`~rolodex.flows.schemas.FlowTestOut`."""
    flow = await get_flow(session, principal, flow_id)
    reads: list[dict[str, Any]] = [{"what": "flow", "id": flow.id}]
    if body.event_id is not None:
        event = await event_of(session, principal, body.event_id)
        reads.append({"what": "event", "id": body.event_id})
    else:
        event = dict(body.event or {})
    steps: list[Any] = []
    related, found = await related_of(session, principal.account_id, event)
    reads.extend(found)
    condition = check_condition(flow.condition, context_of(event, steps, related))
    ids = [str(action.get("connection_id")) for action in flow.actions]
    connections = await connections_of(session, principal.account_id, ids)
    reads.append({"what": "connections", "ids": sorted(set(ids))})

    async def links(connection_id: str, direction: str, of: str) -> str | None:
        found = await find_link(session, principal.account_id, connection_id, direction, of)
        reads.append(
            {
                "what": "link",
                "connection_id": connection_id,
                "direction": direction,
                "of": of,
                "found": found,
            }
        )
        return found

    shown: list[dict[str, Any]] = []
    for index, action in enumerate(flow.actions):
        connection = connections.get(str(action.get("connection_id")))
        target: Target | None = None
        problem = None
        if connection is not None:
            try:
                target = Target.of(connection, deployment_key)
            except InvalidToken:
                problem = "the connection's credentials cannot be decrypted with this key"
        plan = await plan_action(
            index,
            action,
            context_of(event, steps, related),
            target,
            links,
            flow.trigger_connection_id,
            RUN_PLACEHOLDER,
        )
        errors = list(plan.errors)
        if problem:
            errors.append({"field": f"actions.{index}.connection_id", "message": problem})
        request = None
        if target is not None and plan.operation is not None and plan.request is not None:
            key = f"rolodex-{RUN_PLACEHOLDER}-{index}"
            try:
                request = render(target, plan.operation, plan.request, shown_key=key)
            except DomainError as exc:
                errors.append({"field": f"actions.{index}", "message": exc.message})
        needs_steps = index > 0 and _uses_steps(action.get("mapping") or {})
        shown.append(
            {
                "index": index,
                "needs_steps": needs_steps,
                "connection_id": plan.connection_id,
                "operation": str(action.get("operation")),
                "would_send": condition.holds and not errors and request is not None,
                "request": request,
                "fields": [mapped.shown() for mapped in plan.fields],
                "errors": errors,
            }
        )
        steps.append(None)
    invalid = condition.error is not None or any(
        item["errors"] and not item["needs_steps"] for item in shown
    )
    status = (
        "skipped"
        if not condition.holds and condition.error is None
        else ("invalid" if invalid else "would_run")
    )
    return {
        "object": "flow_test",
        "flow_id": flow.id,
        "version": flow.version,
        "event": event,
        "condition": condition.shown(),
        "status": status,
        "actions": shown,
        "reads": reads,
        "at": utcnow(),
    }
