"""Live flow runs, as integration jobs.

``flow`` jobs (:func:`run_flow`) work one run: the condition, then each action in order —
mapped, validated, sent through the shared transport (budget, auth, retries) with the
idempotency key ``rolodex-<run id>-<action>`` where the remote takes one — each recorded
as a step. An action that succeeded in an earlier attempt of the same run is not sent
again: its recorded output stands (so a remote without idempotency keys is not written
twice either). A failure is retried on the webhook schedule; after the last attempt (or
a failure no retry mends) the run is ``failed`` and ``flow.run_failed`` announced.

``flow_watch`` jobs (:func:`watch_changes`) turn a connection's stored stream of remote
changes into runs of the flow whose trigger is that connection's (see
:mod:`rolodex.flows.dispatch`). What an action writes at that connection is logged, so
that the change it causes there does not start the flow again (:mod:`rolodex.flows.echoes`).
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import select

from rolodex.db import unit_of_work
from rolodex.events.models import Event
from rolodex.events.schemas import EventOut
from rolodex.flows.dispatch import queue_flow_run
from rolodex.flows.echoes import log_write, own_changes
from rolodex.flows.engine import (
    check_condition,
    context_of,
    idempotency_key,
    plan_action,
    secrets_of,
)
from rolodex.flows.links import find_link
from rolodex.flows.models import Flow
from rolodex.flows.related import related_of
from rolodex.integrations.budget import Deferred
from rolodex.integrations.changes.models import RemoteChange
from rolodex.integrations.changes.watch import take_changes
from rolodex.integrations.jobs import Claimed, Done, Failed, Later, Outcome
from rolodex.integrations.models import FAILING, Connection
from rolodex.integrations.service import change_status
from rolodex.integrations.target import Target
from rolodex.integrations.tokens import NeedsAuth
from rolodex.integrations.transport import RemoteFailure, url_of
from rolodex.integrations.worker import JobContext
from rolodex.runs.models import FAILED, QUEUED, SKIPPED, SUCCEEDED, WAITING
from rolodex.runs.service import Recorder, step_request
from rolodex.schemas import dump

RETRIED_STATUSES = (408, 409, 425)


def change_event(change: RemoteChange) -> dict[str, Any]:
    """A remote change as a flow's trigger event."""
    return {
        "id": change.id,
        "object": "remote_change",
        "type": change.event or f"{change.remote_type}.{change.action}",
        "connection_id": change.connection_id,
        "sequence": change.sequence,
        "remote_type": change.remote_type,
        "remote_id": change.remote_id,
        "action": change.action,
        "updated_at": change.remote_updated_at.isoformat().replace("+00:00", "Z"),
        "source": change.source,
        "data": change.payload,
    }


def matches_change(trigger_event: str, change: RemoteChange) -> bool:
    """Whether a change is a flow's trigger: its remote event name, or
    ``<remote type>.<action>``, or ``*``."""
    return trigger_event in ("*", change.event, f"{change.remote_type}.{change.action}")


async def _event_of(context: JobContext, job: Claimed) -> dict[str, Any] | None:
    given = job.input.get("event")
    if isinstance(given, dict):
        return given
    event_id = job.input.get("event_id")
    if not isinstance(event_id, str):
        return None
    async with unit_of_work(context.runtime.sessions) as session:
        event = await session.scalar(
            select(Event).where(Event.id == event_id, Event.account_id == job.account_id)
        )
        return dump(EventOut, event) if event is not None else None


async def _load(
    context: JobContext, account_id: str, flow_id: str
) -> tuple[Flow | None, dict[str, Target | str]]:
    """The flow, and a target (or why there is none) for each connection it acts on."""
    async with unit_of_work(context.runtime.sessions) as session:
        flow = await session.get(Flow, flow_id, populate_existing=True)
        if flow is None or flow.account_id != account_id or flow.deleted_at is not None:
            return None, {}
        ids = sorted({str(action.get("connection_id")) for action in flow.actions})
        rows = await session.scalars(
            select(Connection).where(
                Connection.id.in_(ids),
                Connection.account_id == account_id,
                Connection.deleted_at.is_(None),
            )
        )
        targets: dict[str, Target | str] = {}
        for row in rows:
            try:
                targets[row.id] = Target.of(row, context.runtime.deployment_key)
            except InvalidToken:
                targets[row.id] = "its credentials cannot be decrypted with this deployment's key"
        session.expunge(flow)
        return flow, targets


async def run_flow(context: JobContext, job: Claimed) -> Outcome:
    """The handler of ``flow`` jobs."""
    run_id, flow_id = job.input.get("run_id"), job.input.get("flow_id")
    if not isinstance(run_id, str) or not isinstance(flow_id, str):
        return Failed("a flow job names its run and its flow", final=True)
    recorder = Recorder(context.runtime.sessions, run_id)
    run = await recorder.begin(job_id=job.id)
    if run is None:
        return Failed("the run is gone", final=True)
    last = job.attempt >= job.max_attempts

    async def fail(message: str, *, final: bool = False) -> Failed:
        await recorder.finish(FAILED if final or last else QUEUED, error=message)
        return Failed(message, final=final)

    flow, targets = await _load(context, job.account_id, flow_id)
    if flow is None:
        await recorder.finish(SKIPPED, error="the flow was deleted")
        return Done({"skipped": "the flow was deleted"})
    event = await _event_of(context, job)
    if event is None:
        return await fail("the trigger's event is gone", final=True)
    steps: list[Any] = []
    async with unit_of_work(context.runtime.sessions) as session:
        related, _ = await related_of(session, job.account_id, event)
    condition = check_condition(flow.condition, context_of(event, steps, related))
    if condition.error:
        return await fail(condition.error, final=True)
    if not condition.holds:
        await recorder.finish(SKIPPED, result={"condition": condition.shown()})
        return Done({"skipped": "the condition did not hold"})
    done = {
        step["action"]: step.get("result")
        for step in run.steps or []
        if step.get("status") == SUCCEEDED and step.get("action") is not None
    }

    async def links(connection_id: str, direction: str, of: str) -> str | None:
        async with unit_of_work(context.runtime.sessions) as session:
            return await find_link(session, job.account_id, connection_id, direction, of)

    for index, action in enumerate(flow.actions):
        if index in done:
            steps.append(done[index])
            continue
        connection_id = str(action.get("connection_id"))
        target = targets.get(connection_id)
        if not isinstance(target, Target):
            why = target or "the connection is gone"
            await recorder.step(
                str(action.get("operation")),
                status="failed",
                action=index,
                connection_id=connection_id,
                error=why,
            )
            return await fail(f"action {index}: {why}", final=True)
        plan = await plan_action(
            index,
            action,
            context_of(event, steps, related),
            target,
            links,
            flow.trigger_connection_id,
            run_id,
        )
        secrets = secrets_of(target)
        if not plan.ready or plan.operation is None or plan.request is None:
            problems = "; ".join(f"{p['field']}: {p['message']}" for p in plan.errors)
            await recorder.step(
                str(action.get("operation")),
                status="failed",
                action=index,
                connection_id=connection_id,
                error=problems,
                secrets=secrets,
            )
            return await fail(f"action {index} is not valid: {problems}", final=True)
        operation, request = plan.operation, plan.request
        url = target.mask(url_of(target, request.path))
        try:
            sent = await context.caller.send(
                target,
                request,
                operation.key,
                writes=operation.writes,
                idempotency_key=idempotency_key(run_id, index),
            )
        except Deferred as exc:
            await recorder.finish(QUEUED, error=exc.reason)
            raise
        except NeedsAuth as exc:
            await recorder.finish(WAITING, error=str(exc))
            raise
        except RemoteFailure as exc:
            await recorder.step(
                operation.key,
                status="failed",
                action=index,
                connection_id=connection_id,
                request=step_request(request.method, url, None, None),
                error=exc.message,
                secrets=secrets,
            )
            return await fail(f"{operation.key}: {exc.message}")
        response = sent.response
        shown = step_request(request.method, url, response.status, response.elapsed_ms)
        if response.ok:
            result = operation.parse(response)
            if operation.writes and connection_id == flow.trigger_connection_id:
                async with unit_of_work(context.runtime.sessions) as session:
                    await log_write(session, job.account_id, flow.id, run_id, connection_id, result)
            await recorder.step(
                operation.key,
                action=index,
                connection_id=connection_id,
                request=shown,
                result=result,
                secrets=secrets,
            )
            steps.append(result)
            continue
        message = target.mask(target.connector.error_message(response))
        error = f"the remote answered {response.status}: {message}"
        await recorder.step(
            operation.key,
            status="failed",
            action=index,
            connection_id=connection_id,
            request=shown,
            error=error,
            secrets=secrets,
        )
        if response.status in (401, 403):
            async with unit_of_work(context.runtime.sessions) as session:
                await change_status(
                    session,
                    target.connection_id,
                    FAILING,
                    f"The remote refused the credential ({response.status}): {message}",
                )
            return await fail(f"{operation.key}: {error}")
        retried = response.status >= 500 or response.status in RETRIED_STATUSES
        return await fail(f"{operation.key}: {error}", final=not retried)
    await recorder.finish(SUCCEEDED, result={"actions": len(flow.actions)})
    return Done({"run_id": run_id, "actions": len(flow.actions)})


async def watch_changes(context: JobContext, job: Claimed) -> Outcome:
    """The handler of ``flow_watch`` jobs: queue a run per new matching change of the
    trigger's connection, then look again after ``ROLODEX_WORKER_POLL_SECONDS``."""
    flow_id = job.input.get("flow_id")
    if not isinstance(flow_id, str) or job.connection_id is None:
        return Failed("a watch job names its flow and connection", final=True)
    consumer = f"flow:{flow_id}"
    async with unit_of_work(context.runtime.sessions) as session:
        flow = await session.get(Flow, flow_id, populate_existing=True)
        if (
            flow is None
            or flow.deleted_at is not None
            or not flow.enabled
            or flow.trigger_connection_id != job.connection_id
        ):
            return Done({"stopped": "the flow no longer watches this connection"})
        changes = await take_changes(session, job.account_id, job.connection_id, consumer)
        queued = 0
        own = await own_changes(session, flow.id, job.connection_id, changes)
        for change in changes:
            if change.stale or change.id in own or not matches_change(flow.trigger_event, change):
                continue
            event = change_event(change)
            trigger = {
                "source": "connection",
                "connection_id": change.connection_id,
                "change_id": change.id,
                "type": event["type"],
                "remote_type": change.remote_type,
                "remote_id": change.remote_id,
            }
            await queue_flow_run(
                session,
                flow,
                trigger,
                {"flow_id": flow.id, "event": event},
                context.runtime.settings,
            )
            queued += 1
    return Later(context.runtime.settings.worker_poll_seconds, f"watching (queued {queued})")
