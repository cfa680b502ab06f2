"""Starting flows: a run (and its job) per enabled flow whose trigger an event matches.

- **Rolodex events** are handed to :func:`enqueue_flow_runs` by the outbox, in the
  transaction that wrote them (it is one of the application's event subscribers, beside
  the webhook fan-out): a flow's run exists exactly when its event does.
- **A connection's events** come from its stored stream of remote changes
  (:mod:`rolodex.integrations.changes.store`): each flow with such a trigger has one
  ``flow_watch`` job (:func:`ensure_watch`, :mod:`rolodex.integrations.changes.watch`)
  that reads the stream from where it stands,
  queues a run per matching change and acknowledges it.

Neither starts a flow on what its own run wrote (:mod:`rolodex.flows.echoes`).

Rows are inserted with Core statements, as webhook deliveries are: they are machinery,
not changes a client made, and stay out of the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.config import Settings
from rolodex.events.models import Event
from rolodex.events.types import matches
from rolodex.flows.echoes import own_event
from rolodex.flows.models import Flow
from rolodex.integrations.changes import watch
from rolodex.integrations.jobs import new_job
from rolodex.integrations.models import IntegrationJob
from rolodex.runs.models import Run
from rolodex.runs.service import new_run

FLOW_JOB = "flow"
WATCH_JOB = "flow_watch"
DEFAULT_ATTEMPTS = 10


def _row(model: Any, obj: Any) -> dict[str, Any]:
    return {column.key: getattr(obj, column.key) for column in model.__mapper__.column_attrs}


async def queue_flow_run(
    session: AsyncSession,
    flow: Flow,
    trigger: Mapping[str, Any],
    job_input: Mapping[str, Any],
    settings: Settings | None,
) -> str:
    """A queued run of ``flow`` and the job that works it; the run's id."""
    run = new_run(
        flow.account_id,
        "flow",
        trigger=trigger,
        owner_id=flow.id,
        owner_version=flow.version,
        job_kind=FLOW_JOB,
        job_input=job_input,
    )
    job = new_job(
        flow.account_id,
        FLOW_JOB,
        input={**job_input, "run_id": run.id},
        settings=settings,
        max_attempts=None if settings is not None else DEFAULT_ATTEMPTS,
    )
    run.job_id = job.id
    await session.execute(insert(Run), [_row(Run, run)])
    await session.execute(insert(IntegrationJob), [_row(IntegrationJob, job)])
    return str(run.id)


def event_trigger(event: Event) -> dict[str, Any]:
    """What a run started by a Rolodex event says of its trigger."""
    return {
        "source": "event",
        "event_id": event.id,
        "type": event.type,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
    }


async def enqueue_flow_runs(
    session: AsyncSession, account_id: str, events: Sequence[Event], settings: Settings | None
) -> int:
    """Queue a run of every enabled flow of the account whose trigger is one of these
    Rolodex events — never of the flow whose own run caused the event
    (:func:`~rolodex.flows.echoes.own_event`); how many."""
    if not events:
        return 0
    flows = list(
        await session.scalars(
            select(Flow).where(
                Flow.account_id == account_id,
                Flow.enabled.is_(True),
                Flow.deleted_at.is_(None),
                Flow.trigger_connection_id.is_(None),
            )
        )
    )
    if not flows:
        return 0
    count = 0
    for event in events:
        for flow in flows:
            if matches(flow.trigger_event, event.type) and not own_event(flow.id, event.origin):
                job_input = {"flow_id": flow.id, "event_id": event.id}
                await queue_flow_run(session, flow, event_trigger(event), job_input, settings)
                count += 1
    return count


class FlowStarter:
    """The outbox subscriber that starts flows (see :func:`enqueue_flow_runs`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(
        self, session: AsyncSession, account_id: str, events: Sequence[Event]
    ) -> int:
        """Start the flows these events trigger; how many runs were queued."""
        return await enqueue_flow_runs(session, account_id, events, self.settings)


async def ensure_watch(session: AsyncSession, flow: Flow, settings: Settings) -> bool:
    """Make sure an enabled flow with a connection's trigger has its ``flow_watch`` job;
    whether one was queued."""
    if not flow.enabled or flow.trigger_connection_id is None or flow.deleted_at is not None:
        return False
    return await watch.ensure_watch(
        session,
        kind=WATCH_JOB,
        account_id=flow.account_id,
        connection_id=flow.trigger_connection_id,
        owner_id=flow.id,
        job_input={"flow_id": flow.id},
        settings=settings,
    )
