"""The one transport every connector sends through.

:meth:`Caller.send` sends one :class:`~rolodex.integrations.connector.RemoteRequest` to a
connection and answers the response, doing for every connector what none should do
alone:

- **the budget**: each attempt waits for a slot of the connection's shared budget
  (:mod:`rolodex.integrations.budget`), and the remote's rate-limit headers update it;
- **authentication**: the connector's header, with an OAuth token refreshed first when it
  is about to expire, and once more when the remote answers 401
  (:class:`TokenSource`);
- **retries**: a dropped connection and a 5xx are tried again after an exponential
  backoff with jitter, a write only where it is safe (it was never sent, or the remote
  takes an idempotency key, which stays the same on every attempt); a 429 is tried again
  after its ``Retry-After`` (capped at ``ROLODEX_INTEGRATIONS_RETRY_AFTER_CAP_SECONDS``,
  plus up to 20 % jitter), which holds every worker's budget until then. A wait longer
  than the caller may wait raises :class:`~rolodex.integrations.budget.Deferred`, so a
  job goes back to the queue instead of holding a worker;
- **usage**: every attempt is counted per hour and operation;
- **logging**: one line per attempt (method, URL, status, duration), every secret of the
  connection masked, no header ever.

Connections go only to checked public addresses (:func:`rolodex.net.outbound.transport`)
unless the deployment allows private ones, and never follow redirects.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex import __version__
from rolodex.config import Settings
from rolodex.integrations.budget import Budget, Deferred, Pace, wait_for_slot
from rolodex.integrations.connector import RemoteRequest, RemoteResponse
from rolodex.integrations.connectors.headers import retry_after
from rolodex.integrations.target import Target
from rolodex.integrations.usage import record_usage
from rolodex.net.outbound import DestinationRefused, transport
from rolodex.observability.metrics import observe_remote_request

log = logging.getLogger("rolodex.integrations")

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures before the request left: always safe to try again."""
DROPPED = (
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
)
"""Failures after it may have arrived: safe to try again only for a read or a keyed write."""


class RemoteFailure(Exception):
    """The remote could not be called, or failed every attempt without an answer."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class TokenSource(Protocol):
    """Keeps OAuth access tokens fresh (:mod:`rolodex.integrations.tokens`)."""

    async def fresh(self, target: Target, *, force: bool) -> Target:
        """The target with an access token that is not about to expire (refreshed if it
        is, or whatever its expiry with ``force``)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the transport tries."""

    attempts: int = 5
    backoff_seconds: float = 0.5
    backoff_cap_seconds: float = 30.0
    retry_after_cap_seconds: float = 300.0
    jitter: float = 0.2
    max_wait_seconds: float = 10.0
    headroom: float = 0.02

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        """The deployment's policy (``ROLODEX_INTEGRATIONS_*``)."""
        return cls(
            attempts=settings.integrations_attempts,
            backoff_seconds=settings.integrations_backoff_seconds,
            retry_after_cap_seconds=settings.integrations_retry_after_cap_seconds,
            max_wait_seconds=settings.integrations_max_wait_seconds,
            headroom=settings.integrations_budget_headroom,
        )

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt ``attempt + 1`` after a failure: exponential, capped,
        and anywhere in its upper half (jitter)."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_seconds * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - not crypto

    def after_429(self, seconds: float) -> float:
        """How long to hold the budget after a 429 that asked for ``seconds``: capped,
        plus up to ``jitter`` more so that workers do not all come back at once."""
        capped = min(max(seconds, 0.0), self.retry_after_cap_seconds)
        return capped * (1 + random.uniform(0, self.jitter)) + random.uniform(0, 0.05)  # noqa: S311


def remote_client(settings: Settings, max_connections: int = 40) -> httpx.AsyncClient:
    """The HTTP client connections are called with: no redirects, no proxies from the
    environment, only checked public addresses (unless private ones are allowed)."""
    limits = httpx.Limits(max_connections=max_connections)
    return httpx.AsyncClient(
        timeout=settings.integrations_timeout_seconds,
        follow_redirects=False,
        trust_env=False,
        transport=transport(limits, settings.webhooks_allow_private),
        headers={"User-Agent": user_agent()},
    )


def url_of(target: Target, path: str) -> str:
    """The URL of a request path under the connection's base URL; an absolute URL (a
    ``Link`` to the next page) only when it lies under the base URL too."""
    base = target.base_url.rstrip("/")
    if path.startswith(("http://", "https://")):
        if path != base and not path.startswith(base + "/") and not path.startswith(base + "?"):
            raise RemoteFailure("refusing to follow a URL outside the connection's base URL")
        return path
    return f"{base}/{path.lstrip('/')}"


def request_headers(target: Target, request: RemoteRequest, key: str | None) -> dict[str, str]:
    """The headers a request is sent with (besides the client's own ``User-Agent``): the
    connector's defaults, the request's own, ``Content-Type`` for a JSON body, the
    idempotency key of a write, and the credential."""
    headers = {**target.connector.default_headers, **request.headers}
    if request.json is not None:
        headers["Content-Type"] = "application/json"
    if key is not None and target.connector.idempotency_header:
        headers[target.connector.idempotency_header] = key
    headers.update(target.auth_headers())
    return headers


def user_agent() -> str:
    """The ``User-Agent`` every request to a connection carries."""
    return f"Rolodex-Integrations/{__version__}"


@dataclass(frozen=True)
class Sent:
    """The response to a request, the target as it was last used (its token may have
    been refreshed on the way) and how many attempts it took."""

    response: RemoteResponse
    target: Target
    attempts: int


class Caller:
    """Sends requests to connections: budget, auth, retries, usage and logging."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        budget: Budget,
        sessions: async_sessionmaker[AsyncSession],
        policy: RetryPolicy,
        tokens: TokenSource | None = None,
    ) -> None:
        self.client = client
        self.budget = budget
        self.sessions = sessions
        self.policy = policy
        self.tokens = tokens

    async def _slot(self, target: Target, max_wait: float) -> None:
        pace = Pace.of(target.rate, self.policy.headroom)
        await wait_for_slot(self.budget, target.connection_id, pace, max_wait)

    def _headers(self, target: Target, request: RemoteRequest, key: str | None) -> dict[str, str]:
        return request_headers(target, request, key)

    async def send(
        self,
        target: Target,
        request: RemoteRequest,
        operation: str,
        *,
        writes: bool = False,
        attempts: int | None = None,
        max_wait: float | None = None,
        idempotency_key: str | None = None,
    ) -> Sent:
        """Send ``request`` (for ``operation``, as usage counts it) until it is answered
        with anything but a 429, a 5xx that may be retried or a dropped connection, or
        until the attempts run out. Raises :class:`RemoteFailure` when nothing answered,
        :class:`~rolodex.integrations.budget.Deferred` when the next attempt is further
        away than ``max_wait``. ``idempotency_key``: the key of a write, the same for every
        attempt (a job passes its own, so that its retries are one write too)."""
        limit = attempts or self.policy.attempts
        wait_limit = self.policy.max_wait_seconds if max_wait is None else max_wait
        keyed = writes and target.connector.idempotency_header is not None
        key = (idempotency_key or f"rolodex-{uuid.uuid4()}") if keyed else None
        url = url_of(target, request.path)
        shown_url = target.mask(url)
        refreshed = False
        if target.auth_type == "oauth2" and self.tokens is not None:
            target = await self.tokens.fresh(target, force=False)
        attempt = 0
        while True:
            attempt += 1
            await self._slot(target, wait_limit)
            started = time.monotonic()
            failure: str | None = None
            response: httpx.Response | None = None
            try:
                response = await self.client.request(
                    request.method,
                    url,
                    params=dict(request.params) or None,
                    json=request.json,
                    headers=self._headers(target, request, key),
                )
            except DestinationRefused as exc:
                await self._count(target, operation, failed=True)
                raise RemoteFailure(f"the remote may not be called: {exc}") from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise RemoteFailure(f"the connection's URL is not usable: {exc}") from None
            except (*NOT_SENT, *DROPPED) as exc:
                failure = type(exc).__name__
                retry_safe = isinstance(exc, NOT_SENT) or not writes or keyed
                elapsed = int((time.monotonic() - started) * 1000)
                log.info(
                    "connection %s: %s %s → %s in %d ms (attempt %d/%d)",
                    target.connection_id,
                    request.method,
                    shown_url,
                    failure,
                    elapsed,
                    attempt,
                    limit,
                )
                await self._count(target, operation, failed=True)
                if not retry_safe or attempt >= limit:
                    raise RemoteFailure(f"no answer from the remote ({failure})") from None
                await asyncio.sleep(self.policy.backoff(attempt))
                continue
            answer = RemoteResponse(
                status=response.status_code,
                headers=dict(response.headers),
                body=response.content,
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
            log.info(
                "connection %s: %s %s → %d in %d ms (attempt %d/%d)",
                target.connection_id,
                request.method,
                shown_url,
                answer.status,
                answer.elapsed_ms,
                attempt,
                limit,
            )
            await self._count(
                target, operation, throttled=answer.status == 429, failed=answer.status >= 500
            )
            await self._observe(target, answer.headers)
            if answer.status == 429:
                hold = self.policy.after_429(self._retry_after(target, answer))
                await self.budget.hold(target.connection_id, hold)
                if attempt >= limit or hold > wait_limit:
                    raise Deferred(hold, f"the remote answered 429; retrying in {hold:.1f} s")
                continue  # the next slot comes after the hold
            if (
                answer.status == 401
                and target.auth_type == "oauth2"
                and self.tokens is not None
                and not refreshed
            ):
                refreshed = True
                target = await self.tokens.fresh(target, force=True)
                attempt -= 1  # a refreshed token is a new first attempt
                continue
            if answer.status >= 500 and (not writes or keyed) and attempt < limit:
                await asyncio.sleep(self.policy.backoff(attempt))
                continue
            return Sent(answer, target, attempt)

    def _retry_after(self, target: Target, answer: RemoteResponse) -> float:
        said = retry_after(answer.headers)
        if said is not None:
            return said
        rate = target.connector.rate_headers(answer.headers)
        if rate is not None and rate.reset_seconds is not None:
            return rate.reset_seconds
        return self.policy.backoff(1) * 4

    async def _observe(self, target: Target, headers: Mapping[str, str]) -> None:
        rate = target.connector.rate_headers(headers)
        if rate is not None:
            try:
                await self.budget.observe(target.connection_id, rate)
            except Exception:
                log.exception(
                    "connection %s: recording its rate headers failed", target.connection_id
                )

    async def _count(
        self, target: Target, operation: str, *, throttled: bool = False, failed: bool = False
    ) -> None:
        observe_remote_request(target.connection_id, throttled=throttled, failed=failed)
        try:
            await record_usage(
                self.sessions,
                target.connection_id,
                target.account_id,
                operation,
                throttled=throttled,
                failed=failed,
            )
        except Exception:
            log.exception("connection %s: counting a request failed", target.connection_id)
