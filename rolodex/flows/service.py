"""Flows: create, list, read, change, delete (no HTTP here).

Only owners and admins manage flows: a flow acts on the account's connections. Every
definition is checked when saved (:mod:`rolodex.flows.validation`); a change of the name,
trigger, condition or actions makes a new ``version``. The audit log records every change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.config import Settings
from rolodex.errors import Forbidden
from rolodex.flows.dispatch import ensure_watch
from rolodex.flows.kinds import FLOW
from rolodex.flows.models import Flow
from rolodex.flows.schemas import FlowCreate, FlowPatch
from rolodex.flows.validation import check_flow
from rolodex.integrations.changes.watch import start_at_end
from rolodex.preconditions import Precondition
from rolodex.records import get_record, soft_delete

DEFINITION = ("name", "description", "trigger", "condition", "actions")


def require_manager(principal: Principal) -> None:
    """Flows act on the account's connections: owners and admins only."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may manage flows")


async def get_flow(
    session: AsyncSession,
    principal: Principal,
    flow_id: str,
    *,
    for_update: bool = False,
    precondition: Precondition | None = None,
) -> Flow:
    """A flow of the principal's account, or 404."""
    require_manager(principal)
    found: Flow = await get_record(
        session,
        Flow,
        principal.account_id,
        flow_id,
        prefix=FLOW.prefix,
        label=FLOW.title,
        for_update=for_update,
        precondition=precondition,
    )
    return found


def flows_of(
    principal: Principal, *, enabled: bool | None = None, event: str | None = None
) -> Select[Any]:
    """The account's flows, optionally only enabled (or disabled) ones, or those of one
    trigger event."""
    require_manager(principal)
    stmt = select(Flow).where(Flow.account_id == principal.account_id)
    if enabled is not None:
        stmt = stmt.where(Flow.enabled.is_(enabled))
    if event is not None:
        stmt = stmt.where(Flow.trigger_event == event)
    return stmt


def _actions(actions: list[Any]) -> list[dict[str, Any]]:
    return [action.model_dump(mode="json") for action in actions]


async def _watch(session: AsyncSession, flow: Flow, settings: Settings) -> None:
    """A flow with a connection's trigger starts from the stream's end: changes made
    before it was enabled do not run it."""
    if not flow.enabled or flow.trigger_connection_id is None:
        return
    await start_at_end(session, flow.account_id, flow.trigger_connection_id, f"flow:{flow.id}")
    await ensure_watch(session, flow, settings)


async def create_flow(
    session: AsyncSession, principal: Principal, body: FlowCreate, settings: Settings
) -> Flow:
    """A new flow, checked (400 with a detail per problem)."""
    require_manager(principal)
    actions = _actions(body.actions)
    trigger = body.trigger.model_dump(mode="json")
    await check_flow(session, principal.account_id, trigger, body.condition, actions)
    flow = Flow(
        id=FLOW.new_id(),
        account_id=principal.account_id,
        name=body.name,
        description=body.description,
        trigger_connection_id=body.trigger.connection_id,
        trigger_event=body.trigger.event,
        condition=body.condition,
        actions=actions,
        enabled=body.enabled,
        version=1,
        template=body.template,
    )
    session.add(flow)
    await session.flush()
    await _watch(session, flow, settings)
    return flow


async def update_flow(
    session: AsyncSession,
    principal: Principal,
    flow_id: str,
    body: FlowPatch,
    settings: Settings,
    *,
    precondition: Precondition | None = None,
) -> Flow:
    """Change a flow: ``trigger`` and ``actions`` are replaced whole; the result is
    checked as a new flow is."""
    flow = await get_flow(session, principal, flow_id, for_update=True, precondition=precondition)
    given = body.model_fields_set
    trigger = (
        body.trigger.model_dump(mode="json")
        if body.trigger is not None
        else {"connection_id": flow.trigger_connection_id, "event": flow.trigger_event}
    )
    condition = body.condition if "condition" in given else flow.condition
    actions = _actions(body.actions) if body.actions is not None else list(flow.actions)
    await check_flow(session, principal.account_id, trigger, condition, actions)
    before = (
        flow.name,
        flow.description,
        flow.trigger_connection_id,
        flow.trigger_event,
        flow.condition,
        flow.actions,
    )
    if body.name is not None:
        flow.name = body.name
    if "description" in given:
        flow.description = body.description
    flow.trigger_connection_id = trigger["connection_id"]
    flow.trigger_event = str(trigger["event"])
    flow.condition = condition
    flow.actions = actions
    if body.enabled is not None:
        flow.enabled = body.enabled
    after = (
        flow.name,
        flow.description,
        flow.trigger_connection_id,
        flow.trigger_event,
        flow.condition,
        flow.actions,
    )
    if after != before:
        flow.version = flow.version + 1
    await session.flush()
    await _watch(session, flow, settings)
    return flow


async def delete_flow(
    session: AsyncSession,
    principal: Principal,
    flow_id: str,
    *,
    precondition: Precondition | None = None,
) -> None:
    """Delete a flow: it runs no more; its runs stay for their retention period."""
    flow = await get_flow(session, principal, flow_id, for_update=True, precondition=precondition)
    soft_delete(flow)
    flow.enabled = False
    await session.flush()
