"""Running one operation of a connection as a job (kind ``operation``).

:func:`enqueue_operation` checks the operation and its input and queues the job;
:func:`run_operation` is its handler: it reads the connection, builds the operation's
request from the input, sends it through the shared transport and turns the answer into
the job's outcome — the operation's output on success; a failure to retry for a 5xx or no
answer; a failure for good for any other 4xx (the request itself is wrong); and for a
refused credential, a failure to retry that also makes the connection ``failing``.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.config import Settings
from rolodex.db import unit_of_work
from rolodex.errors import ValidationFailed
from rolodex.integrations.connector import Operation
from rolodex.integrations.connectors_registry import connector_of
from rolodex.integrations.jobs import Claimed, Done, Failed, Outcome, new_job
from rolodex.integrations.models import FAILING, Connection, IntegrationJob
from rolodex.integrations.rendering import input_of
from rolodex.integrations.service import change_status
from rolodex.integrations.target import Target
from rolodex.integrations.worker import JobContext

OPERATION_JOB = "operation"


def operation_of(connection: Connection, key: str) -> Operation:
    """One operation of the connection's connector, or 400."""
    try:
        return connector_of(connection.kind).operation(key)
    except KeyError:
        raise ValidationFailed.field(
            "operation", f"{key!r} is not an operation of the {connection.kind} connector"
        ) from None


async def enqueue_operation(
    session: AsyncSession,
    connection: Connection,
    key: str,
    given: dict[str, Any],
    settings: Settings,
) -> IntegrationJob:
    """Queue one run of an operation of a connection; the job."""
    operation = operation_of(connection, key)
    job = new_job(
        connection.account_id,
        OPERATION_JOB,
        connection_id=connection.id,
        operation=operation.key,
        input=input_of(operation, given),
        settings=settings,
    )
    session.add(job)
    await session.flush()
    return job


async def _target(context: JobContext, connection_id: str) -> Target | Failed:
    async with unit_of_work(context.runtime.sessions) as session:
        connection = await session.get(Connection, connection_id, populate_existing=True)
        if connection is None or connection.deleted_at is not None:
            return Failed("the connection was deleted", final=True)
        try:
            return Target.of(connection, context.runtime.deployment_key)
        except InvalidToken:
            return Failed(
                "the connection's credentials cannot be decrypted with this deployment's key"
            )


async def run_operation(context: JobContext, job: Claimed) -> Outcome:
    """The handler of ``operation`` jobs."""
    if job.connection_id is None or job.operation is None:
        return Failed("an operation job names a connection and an operation", final=True)
    target = await _target(context, job.connection_id)
    if isinstance(target, Failed):
        return target
    try:
        operation = target.connector.operation(job.operation)
    except KeyError:
        return Failed(f"{job.operation!r} is no longer an operation of its connector", final=True)
    try:
        values = operation.input.model_validate(job.input).model_dump(
            mode="json", exclude_unset=True
        )
        request = operation.request(values, target.context)
    except (ValidationError, ValueError) as exc:
        return Failed(f"the job's input is not valid: {exc}", final=True)
    sent = await context.caller.send(
        target,
        request,
        operation.key,
        writes=operation.writes,
        idempotency_key=f"rolodex-{job.id}",
    )
    response = sent.response
    if response.ok:
        return Done(operation.parse(response))
    message = target.mask(target.connector.error_message(response))
    if response.status in (401, 403):
        async with unit_of_work(context.runtime.sessions) as session:
            await change_status(
                session,
                target.connection_id,
                FAILING,
                f"The remote refused the credential ({response.status}): {message}",
            )
        return Failed(f"the remote refused the credential ({response.status}): {message}")
    if response.status >= 500 or response.status in (408, 409, 425):
        return Failed(f"the remote answered {response.status}: {message}")
    return Failed(f"the remote answered {response.status}: {message}", final=True)
