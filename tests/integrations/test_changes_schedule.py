"""Polls are queued by the workers: one open poll per connection, due ``poll_seconds``
after the last one began."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from rolodex.db import utcnow
from rolodex.integrations.changes.models import ChangeStream
from rolodex.integrations.changes.schedule import POLL_JOB, schedule_polls
from rolodex.integrations.jobs import CANCELLED, QUEUED
from rolodex.integrations.models import IntegrationJob
from tests.conftest import Tenant
from tests.integrations.conftest import connect


def schedule(tenant: Tenant, connection_id: str, **overrides: Any) -> list[IntegrationJob]:
    """Run the scheduler once; the open poll jobs of ``connection_id`` after it. Polls it
    queued for the suite's other connections are cancelled at once: they are not this
    test's."""
    settings = tenant.settings.model_copy(update={"integrations_poll_seconds": 300, **overrides})

    async def work(session: Any) -> list[IntegrationJob]:
        engine_sessions = _sessions_of(session)
        await schedule_polls(engine_sessions, settings, "test-scheduler")
        await session.execute(
            update(IntegrationJob)
            .where(
                IntegrationJob.kind == POLL_JOB,
                IntegrationJob.status == QUEUED,
                IntegrationJob.connection_id != connection_id,
            )
            .values(status=CANCELLED)
        )
        rows = await session.scalars(
            select(IntegrationJob).where(
                IntegrationJob.kind == POLL_JOB,
                IntegrationJob.connection_id == connection_id,
                IntegrationJob.status == QUEUED,
            )
        )
        return list(rows)

    found: list[IntegrationJob] = tenant.run(work)
    return found


def _sessions_of(session: Any) -> Any:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    return async_sessionmaker(session.bind, expire_on_commit=False)


def test_one_poll_is_queued_per_connection_and_the_next_after_poll_seconds(
    tenant: Tenant,
) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    [first] = schedule(tenant, con)
    assert first.run_after <= utcnow()  # never polled: at once
    [again] = schedule(tenant, con)  # one open poll is enough
    assert again.id == first.id

    began = utcnow() - timedelta(seconds=10)

    async def finish(session: Any) -> None:
        await session.execute(
            update(IntegrationJob).where(IntegrationJob.id == first.id).values(status="succeeded")
        )
        session.add(
            ChangeStream(
                connection_id=con,
                account_id=tenant.account_id,
                last_sequence=0,
                poll_cursors={},
                polled_at=began,
            )
        )

    tenant.run(finish)
    [following] = schedule(tenant, con)
    assert following.id != first.id
    assert abs((following.run_after - (began + timedelta(seconds=300))).total_seconds()) < 1

    assert tenant.delete(f"/connections/{con}").status_code == 200

    async def cancel(session: Any) -> None:
        await session.execute(
            update(IntegrationJob).where(IntegrationJob.id == following.id).values(status=CANCELLED)
        )

    tenant.run(cancel)
    assert schedule(tenant, con) == []  # a deleted connection is not polled
