"""The depth of the work queues, read from the database when ``/metrics`` is scraped.

Counted in the database rather than by the processes, the backlog is the same whichever
server process answers the scrape, and includes work no process has claimed yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.db import utcnow
from rolodex.integrations.jobs import QUEUED, RUNNING, WAITING
from rolodex.integrations.models import IntegrationJob
from rolodex.webhooks.models import PENDING, WebhookDelivery

JOB_STATES = (QUEUED, RUNNING, WAITING)


@dataclass(frozen=True)
class Backlog:
    """What is waiting to be done, as one scrape found it."""

    webhook_pending: int
    webhook_oldest_seconds: float
    jobs: dict[str, int]


async def read_backlog(session: AsyncSession, account_id: str | None = None) -> Backlog:
    """Count the deliveries not yet delivered (nor dead) and the jobs not yet finished:
    of every account, or of ``account_id``'s only."""
    deliveries = select(func.count(), func.min(WebhookDelivery.created_at)).where(
        WebhookDelivery.status == PENDING
    )
    jobs_stmt = select(IntegrationJob.status, func.count()).where(
        IntegrationJob.status.in_(JOB_STATES)
    )
    if account_id is not None:
        deliveries = deliveries.where(WebhookDelivery.account_id == account_id)
        jobs_stmt = jobs_stmt.where(IntegrationJob.account_id == account_id)
    pending, oldest = (await session.execute(deliveries)).one()
    rows = await session.execute(jobs_stmt.group_by(IntegrationJob.status))
    jobs = dict.fromkeys(JOB_STATES, 0) | {row[0]: int(row[1]) for row in rows}
    age = max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(int(pending), age, jobs)


class BacklogCollector(Collector):
    """A :class:`Backlog` as gauges."""

    def __init__(self, backlog: Backlog) -> None:
        self.backlog = backlog

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "rolodex_webhook_backlog",
            "Webhook deliveries waiting to be delivered (first tries and retries).",
            value=self.backlog.webhook_pending,
        )
        yield GaugeMetricFamily(
            "rolodex_webhook_backlog_oldest_seconds",
            "Age of the oldest webhook delivery still waiting; 0 when none is.",
            value=self.backlog.webhook_oldest_seconds,
        )
        jobs = GaugeMetricFamily(
            "rolodex_integration_jobs_backlog",
            "Integration jobs not finished, by status (queued, running, waiting).",
            labels=["status"],
        )
        for status, count in self.backlog.jobs.items():
            jobs.add_metric([status], count)
        yield jobs
