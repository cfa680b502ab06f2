"""The delivery worker: claims due deliveries with a lease, sends them, records the outcome.

Any number of workers, in any number of processes and machines, share the deliveries
table. A worker claims a batch in one short transaction — ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, then a compare-and-set ``UPDATE`` that only succeeds while the
row is unleased — so each claim goes to exactly one worker. The lease
(``ROLODEX_WORKER_LEASE_SECONDS``) outlives the request timeout; if the worker dies, the
lease runs out and another worker takes the delivery up again. Results are written only
while the worker still holds the lease, so a worker that lost it cannot overwrite the
newer outcome.

A claim counts as an attempt, so a delivery that crashes its worker every time still
ends ``dead`` after the last attempt of the schedule.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
from cryptography.fernet import InvalidToken
from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex import __version__
from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.events.models import Event
from rolodex.events.outbox import NewEvent, origin_of
from rolodex.ids import PREFIXES, new_id
from rolodex.keyring import KeyRing
from rolodex.net.outbound import DestinationRefused, transport
from rolodex.observability.metrics import observe_webhook_delivery
from rolodex.webhooks.delivery_format import Delivery
from rolodex.webhooks.fanout import publish
from rolodex.webhooks.formats import format_of
from rolodex.webhooks.models import (
    DEAD,
    PENDING,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from rolodex.webhooks.service import shown, signing_secrets

log = logging.getLogger("rolodex.webhooks")


@dataclass(frozen=True)
class Job:
    """One claimed delivery, with everything needed to send it."""

    delivery_id: str
    account_id: str
    endpoint_id: str
    url: str
    event_id: str
    payload: bytes
    headers: dict[str, str]
    """The format's headers for this attempt, signatures included."""
    attempt: int


@dataclass(frozen=True)
class Outcome:
    """What came of sending one delivery."""

    job: Job
    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """Whether the receiver accepted it (any 2xx)."""
        return self.status is not None and 200 <= self.status < 300


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
    schedule = settings.retry_schedule
    wait = schedule[min(attempt, len(schedule)) - 1]
    jitter = settings.webhooks_retry_jitter
    return max(0.0, wait * (1 + random.uniform(-jitter, jitter)))  # noqa: S311 - not crypto


@dataclass(frozen=True)
class Verdict:
    """What a failed attempt leads to: the delivery retried later or dead, and whether its
    endpoint is turned off (and why)."""

    dead: bool
    disable: str | None = None


def verdict(
    settings: Settings, attempt: int, *, status: int | None = None, failures: int | None = None
) -> Verdict:
    """The one decision about a failed attempt number ``attempt`` (1-based).

    ``status``: what the endpoint answered, if it answered. ``failures``: the endpoint's
    consecutive failed attempts counting this one, once they are counted. An answer of
    ``410 Gone`` kills the delivery and disables the endpoint at once; otherwise the
    delivery is dead after the last attempt of the retry schedule, and the endpoint is
    disabled after ``ROLODEX_WEBHOOKS_DISABLE_AFTER`` consecutive failures.
    """
    if status == 410:
        return Verdict(dead=True, disable="The endpoint answered 410 Gone")
    dead = attempt >= len(settings.retry_schedule) + 1
    if failures is not None and failures >= settings.webhooks_disable_after:
        return Verdict(dead=dead, disable=f"{failures} consecutive failed attempts")
    return Verdict(dead=dead)


class DeliveryWorker:
    """Sends webhook deliveries until told to stop."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        deployment_key: KeyRing,
        name: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.deployment_key = deployment_key
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"

    def client(self) -> httpx.AsyncClient:
        """The HTTP client deliveries are sent with: no redirects followed, connections
        only to the public addresses it checked (unless private ones are allowed)."""
        limits = httpx.Limits(max_connections=self.settings.worker_batch * 2)
        return httpx.AsyncClient(
            timeout=self.settings.webhooks_timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            transport=transport(limits, self.settings.webhooks_allow_private),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and send due deliveries until ``stop`` is set.

        Up to ``ROLODEX_WORKER_BATCH`` deliveries are in flight at once; a free slot is
        filled as soon as a delivery finishes, so one slow receiver holds one slot only.
        Outcomes are written by one recorder, as many per transaction as are waiting
        (a group commit). On stop, the deliveries in flight finish and are recorded.
        """
        log.info("webhook worker %s started", self.name)
        outcomes: asyncio.Queue[Outcome | None] = asyncio.Queue()
        recorder = asyncio.create_task(self._record_from(outcomes))
        in_flight: set[asyncio.Task[None]] = set()
        stopping = asyncio.create_task(stop.wait())

        async def send(client: httpx.AsyncClient, job: Job) -> None:
            await outcomes.put(await self.send(client, job))

        async with self.client() as client:
            try:
                while not stop.is_set():
                    free = self.settings.worker_batch - len(in_flight)
                    jobs: list[Job] = []
                    if free > 0:
                        try:
                            jobs = await self.claim(free)
                        except Exception:
                            log.exception("webhook worker %s: claiming failed", self.name)
                    for job in jobs:
                        task = asyncio.create_task(send(client, job))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                    # All slots busy: wait for one to free up. Otherwise nothing else is
                    # due yet: look again after the poll interval (or a finished delivery).
                    full = len(in_flight) >= self.settings.worker_batch
                    await asyncio.wait(
                        [stopping, *in_flight],
                        timeout=None if full else self.settings.worker_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
            finally:
                stopping.cancel()
                if in_flight:
                    await asyncio.gather(*in_flight, return_exceptions=True)
                await outcomes.put(None)
                await recorder
        log.info("webhook worker %s stopped", self.name)

    async def _record_from(self, outcomes: asyncio.Queue[Outcome | None]) -> None:
        while True:
            first = await outcomes.get()
            batch = [first] if first is not None else []
            done = first is None
            while not outcomes.empty():
                item = outcomes.get_nowait()
                if item is None:
                    done = True
                else:
                    batch.append(item)
            if batch:
                try:
                    await self.record(batch)
                except Exception:
                    log.exception("webhook worker %s: recording outcomes failed", self.name)
            if done:
                return

    def _claimable(self, now: Any) -> list[Any]:
        return [
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            or_(
                WebhookDelivery.lease_expires_at.is_(None), WebhookDelivery.lease_expires_at <= now
            ),
        ]

    async def claim(self, limit: int | None = None) -> list[Job]:
        """Lease up to ``limit`` (default: a batch) due deliveries of enabled endpoints."""
        now = utcnow()
        async with unit_of_work(self.sessions) as session:
            due = (
                select(WebhookDelivery.id)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(
                    *self._claimable(now),
                    WebhookEndpoint.enabled.is_(True),
                    WebhookEndpoint.deleted_at.is_(None),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(limit or self.settings.worker_batch)
            )
            if not self.settings.is_sqlite:
                due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
            ids = list(await session.scalars(due))
            if not ids:
                return []
            claimed = list(
                await session.scalars(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(ids), *self._claimable(now))
                    .values(
                        lease_owner=self.name,
                        lease_expires_at=now
                        + timedelta(seconds=self.settings.worker_lease_seconds),
                        attempts=WebhookDelivery.attempts + 1,
                        updated_at=now,
                    )
                    .returning(WebhookDelivery.id)
                )
            )
            return await self._jobs(session, claimed)

    async def _jobs(self, session: AsyncSession, claimed: list[str]) -> list[Job]:
        if not claimed:
            return []
        now = utcnow()
        rows = await session.execute(
            select(WebhookDelivery, WebhookEndpoint, Event)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .join(Event, Event.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(claimed))
            .execution_options(populate_existing=True)
        )
        jobs: list[Job] = []
        for delivery, endpoint, event in rows.all():
            if verdict(self.settings, delivery.attempts - 1).dead:
                # The attempt before this claim was its last and never reported back (the
                # worker died): set it aside.
                delivery.status = DEAD
                delivery.lease_owner = None
                delivery.lease_expires_at = None
                delivery.last_error = "the worker stopped during the last attempt"
                continue
            try:
                keys = signing_secrets(endpoint, self.deployment_key, now)
            except InvalidToken:
                # Encrypted under a key no longer in the ring: fail this delivery on its
                # own schedule rather than let it block every other one.
                self._set_back(
                    delivery,
                    now,
                    "the endpoint's secret cannot be decrypted with any key of "
                    "ROLODEX_SECRET_KEYS (or ROLODEX_SECRET_KEY)",
                )
                log.error("webhook endpoint %s: secret cannot be decrypted", endpoint.id)
                continue
            try:
                rendered = await format_of(endpoint).render(
                    session,
                    Delivery(
                        event=event,
                        endpoint=endpoint,
                        secrets=keys,
                        now=now,
                        key_ring=self.deployment_key,
                    ),
                )
            except Exception:
                log.exception(
                    "delivery %s: its %s body could not be made", delivery.id, endpoint.format
                )
                self._set_back(delivery, now, f"the {endpoint.format} body could not be made")
                continue
            jobs.append(
                Job(
                    delivery_id=delivery.id,
                    account_id=delivery.account_id,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    event_id=event.id,
                    payload=rendered.body,
                    headers=rendered.headers,
                    attempt=delivery.attempts,
                )
            )
        return jobs

    def _set_back(self, delivery: WebhookDelivery, now: Any, reason: str) -> None:
        """Give up this attempt of a delivery before sending it: retried on its schedule,
        ``dead`` after the last."""
        delivery.lease_owner = None
        delivery.lease_expires_at = None
        delivery.last_error = reason
        if verdict(self.settings, delivery.attempts).dead:
            delivery.status = DEAD
        else:
            wait = backoff(self.settings, delivery.attempts)
            delivery.next_attempt_at = now + timedelta(seconds=wait)

    async def send(self, client: httpx.AsyncClient, job: Job) -> Outcome:
        """Send one delivery; what came of it."""
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            headers = dict(job.headers)
            headers["content-type"] = "application/json"
            headers["user-agent"] = f"Rolodex-Webhooks/{__version__}"
            async with client.stream(
                "POST", job.url, content=job.payload, headers=headers
            ) as response:
                status = response.status_code
        except DestinationRefused as exc:
            error = str(exc)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = int((time.monotonic() - started) * 1000)
        return Outcome(job, status, error[:500] if error else None, duration_ms)

    async def record(self, outcomes: list[Outcome]) -> None:
        """Write the attempts and the deliveries' new states in one transaction — only for
        deliveries this worker still leases."""
        now = utcnow()
        for outcome in outcomes:
            observe_webhook_delivery(outcome.status, outcome.duration_ms / 1000)
        async with unit_of_work(self.sessions) as session:
            await session.execute(
                insert(WebhookAttempt),
                [
                    {
                        "id": new_id(PREFIXES["webhook_attempt"]),
                        "delivery_id": o.job.delivery_id,
                        "attempted_at": now,
                        "status_code": o.status,
                        "error": o.error,
                        "duration_ms": o.duration_ms,
                        "worker": self.name,
                    }
                    for o in outcomes
                ],
            )
            released = {"lease_owner": None, "lease_expires_at": None, "updated_at": now}
            by_status: dict[int, list[str]] = {}
            for outcome in outcomes:
                if outcome.ok and outcome.status is not None:
                    by_status.setdefault(outcome.status, []).append(outcome.job.delivery_id)
            for status, ids in by_status.items():
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.id.in_(ids), WebhookDelivery.lease_owner == self.name)
                    .values(
                        status=SUCCEEDED,
                        delivered_at=now,
                        last_status_code=status,
                        last_error=None,
                        **released,
                    )
                )
            healthy = sorted({o.job.endpoint_id for o in outcomes if o.ok})
            if healthy:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(
                        WebhookEndpoint.id.in_(healthy), WebhookEndpoint.consecutive_failures != 0
                    )
                    .values(consecutive_failures=0)
                )
            for outcome in outcomes:
                if not outcome.ok:
                    await self._failed(session, outcome, now, released)

    async def _failed(
        self, session: AsyncSession, outcome: Outcome, now: Any, released: dict[str, Any]
    ) -> None:
        job, status = outcome.job, outcome.status
        values: dict[str, Any] = {
            **released,
            "last_status_code": status,
            "last_error": outcome.error or f"the endpoint answered {status}",
        }
        if verdict(self.settings, job.attempt, status=status).dead:
            values["status"] = DEAD
        else:
            values["next_attempt_at"] = now + timedelta(seconds=backoff(self.settings, job.attempt))
        owned: Any = await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == job.delivery_id, WebhookDelivery.lease_owner == self.name)
            .values(**values)
        )
        if not owned.rowcount:
            return  # the lease ran out and another worker took the delivery
        failures = await session.scalar(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == job.endpoint_id)
            .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1)
            .returning(WebhookEndpoint.consecutive_failures)
        )
        reason = verdict(self.settings, job.attempt, status=status, failures=failures).disable
        if reason is not None:
            await self.disable(session, job, reason)

    async def disable(self, session: AsyncSession, job: Job, reason: str) -> None:
        """Turn the endpoint off and say so with a ``webhook_endpoint.disabled`` event."""
        disabled = await session.scalar(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == job.endpoint_id, WebhookEndpoint.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason, updated_at=utcnow())
            .returning(WebhookEndpoint.id)
        )
        if disabled is None:
            return
        endpoint = await session.get(WebhookEndpoint, job.endpoint_id, populate_existing=True)
        if endpoint is None:
            return
        log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)
        await publish(
            session,
            job.account_id,
            origin_of(None),
            [
                NewEvent(
                    "webhook_endpoint.disabled", "webhook_endpoint", endpoint.id, shown(endpoint)
                )
            ],
        )
