"""Rate limits per credential, counted with the ``limits`` library in fixed windows.

Each credential (API key) gets ``ROLODEX_RATE_LIMIT`` requests (``120/120``: 120 per
120 seconds) unless the key has its own ``rate_limit``. A limit may have several windows
(``100/10;200000/86400``: 100 per 10 seconds *and* 200,000 a day): a request is counted
in every one of them and refused when any is used up; the first is the one the native
headers report. The counters live in memory for
the single-process default, and in Redis when ``ROLODEX_REDIS_URL`` is set, so that every
server process of a deployment shares one budget.

If Redis cannot be reached the limiter *fails open to local limits*: the request is
counted in the process's own memory instead (so each process enforces the limit on its
own), a warning is logged (without the URL's credentials), and Redis is tried again
after :data:`REDIS_RETRY_SECONDS`. Rolodex stays available while Redis is down.
"""

from __future__ import annotations

import logging
import math
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from rolodex.accounts.principal import Principal
from rolodex.config import Settings, parse_rate_limit, parse_rate_limits
from rolodex.http.context import RequestContext
from rolodex.http.errors import RateLimited

log = logging.getLogger("rolodex.ratelimit")

POLICY = "default"
NAMESPACE = "ratelimit"
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_RETRY_SECONDS = 5.0
_STORAGE_FAILURES = (StorageError, OSError, TimeoutError)


@dataclass(frozen=True, slots=True)
class Quota:
    """``amount`` requests per ``seconds``."""

    amount: int
    seconds: int

    @classmethod
    def parse(cls, value: str) -> Quota:
        """From ``"N/S"``; raises ``ValueError`` when it is not."""
        amount, seconds = parse_rate_limit(value)
        return cls(amount, seconds)

    @classmethod
    def parse_all(cls, value: str) -> tuple[Quota, ...]:
        """Every window of ``"N/S"`` or ``"N/S;N/S…"``, in order; raises ``ValueError``."""
        return tuple(cls(amount, seconds) for amount, seconds in parse_rate_limits(value))

    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=NAMESPACE)


@dataclass(frozen=True, slots=True)
class Usage:
    """One counted request: whether it is within the quota, and what is left of it."""

    quota: Quota
    allowed: bool
    remaining: int
    reset: int  # whole seconds until the window resets, rounded up
    others: tuple[Usage, ...] = ()
    """The credential's further windows, each counted too (none for a single window)."""

    @property
    def refusing(self) -> Usage | None:
        """The window that refuses the request (the one that resets last), if any."""
        refused = [u for u in (self, *self.others) if not u.allowed]
        return max(refused, key=lambda u: u.reset) if refused else None

    def headers(self) -> dict[str, str]:
        """The contract's headers: ``X-RateLimit-*`` and the IETF draft's fields
        (draft-ietf-httpapi-ratelimit-headers-10: sf-List / sf-Item syntax)."""
        return {
            "X-RateLimit-Limit": str(self.quota.amount),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f'"{POLICY}";q={self.quota.amount};w={self.quota.seconds}',
            "RateLimit": f'"{POLICY}";r={self.remaining};t={self.reset}',
        }


Measure = Callable[[FixedWindowRateLimiter, int], Awaitable[Usage]]
"""Reads or counts a budget on one storage, given the seconds of slack its clock needs."""


def redis_storage_uri(url: str) -> str:
    """``redis://…`` as users write it → the ``async+redis://…`` the ``limits`` library wants."""
    return url if url.startswith("async+") else f"async+{url}"


def redacted(url: str) -> str:
    """``scheme://host:port`` of a URL, without user, password, path or query, for logs."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    return f"{parts.scheme}://{host}{port}"


class RateLimiter:
    """Fixed-window counters per credential; one per application (``app.state``)."""

    def __init__(self, settings: Settings) -> None:
        self.defaults = Quota.parse_all(settings.rate_limit)
        self.default = self.defaults[0]
        self.local = FixedWindowRateLimiter(_storage("async+memory://"))
        self.shared: FixedWindowRateLimiter | None = None
        self.redis_location: str | None = None
        self._shared_down_until = 0.0
        if settings.redis_url:
            self.redis_location = redacted(settings.redis_url)
            self.shared = FixedWindowRateLimiter(
                _storage(
                    redis_storage_uri(settings.redis_url),
                    key_prefix=settings.redis_prefix,
                    wrap_exceptions=True,
                    connect_timeout=REDIS_TIMEOUT_SECONDS,
                    stream_timeout=REDIS_TIMEOUT_SECONDS,
                )
            )

    async def hit(self, identifier: str, quota: Quota) -> Usage:
        """Count one request of ``identifier`` against ``quota``."""
        return await self._measure(lambda limiter, slack: _count(limiter, identifier, quota, slack))

    async def hit_all(self, identifier: str, quotas: tuple[Quota, ...]) -> Usage:
        """Count one request of ``identifier`` in every window of ``quotas``: the first
        window's usage, the others in ``others``; allowed only if every window allows."""
        first, *rest = [await self.hit(identifier, quota) for quota in quotas]
        if not rest:
            return first
        allowed = first.allowed and all(usage.allowed for usage in rest)
        return Usage(
            first.quota,
            allowed,
            first.remaining if first.allowed else 0,
            first.reset,
            tuple(rest),
        )

    async def peek(self, identifier: str, quota: Quota) -> Usage:
        """Where ``identifier`` stands against ``quota``, without counting a request:
        ``allowed`` is whether one more would be."""
        return await self._measure(lambda limiter, slack: _peek(limiter, identifier, quota, slack))

    async def _measure(self, measure: Measure) -> Usage:
        """Run ``measure`` on the shared counters, or on this process's own while Redis
        is unreachable (failing open to local limits)."""
        if self.shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                # Redis keeps whole seconds (TTL is rounded): add one so that a client
                # waiting ``reset`` seconds never comes back early.
                usage = await measure(self.shared, 1)
            except _STORAGE_FAILURES as exc:
                self._shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                log.warning(
                    "Redis at %s is unreachable (%s); counting rate limits in this "
                    "process's memory for the next %.0f s",
                    self.redis_location,
                    type(exc).__name__,
                    REDIS_RETRY_SECONDS,
                )
            else:
                if self._shared_down_until:
                    self._shared_down_until = 0.0
                    log.warning("Redis at %s is reachable again", self.redis_location)
                return usage
        return await measure(self.local, 0)


def _storage(uri: str, **options: float | str | bool) -> Storage:
    return cast(Storage, storage_from_string(uri, **options))


def _reset(quota: Quota, left: float, slack: int, allowed: bool) -> int:
    """Whole seconds until the window resets; at least 1 when refused (= Retry-After)."""
    reset = min(quota.seconds, math.ceil(left) + slack) if left > 0 else 0
    return reset if allowed else max(1, reset)


async def _count(
    limiter: FixedWindowRateLimiter, identifier: str, quota: Quota, slack: int
) -> Usage:
    item = quota.item()
    allowed = await limiter.hit(item, identifier)
    stats = await limiter.get_window_stats(item, identifier)
    left = stats.reset_time - time.time()
    if left <= 0 and not allowed:
        # The window ended between the two calls, or a counter lost its expiry
        # (a crash between INCR and EXPIRE): start over rather than refuse forever.
        await limiter.clear(item, identifier)
        left = 0
    reset = _reset(quota, left, slack, allowed)
    return Usage(quota, allowed, stats.remaining if allowed else 0, reset)


async def _peek(
    limiter: FixedWindowRateLimiter, identifier: str, quota: Quota, slack: int
) -> Usage:
    stats = await limiter.get_window_stats(quota.item(), identifier)
    left = stats.reset_time - time.time()
    # a window that has ended (or a counter without expiry, which the next hit clears)
    # leaves the whole budget
    allowed = stats.remaining > 0 or left <= 0
    return Usage(quota, allowed, stats.remaining, _reset(quota, left, slack, allowed))


async def quotas_of(
    request: Request, session: AsyncSession, principal: Principal
) -> tuple[Quota, ...]:
    """The credential's windows: its own ``rate_limit`` (as authentication loaded it),
    or the deployment's."""
    limiter = limiter_of(request)
    if principal.credential_kind != "api_key" or not principal.rate_limit:
        return limiter.defaults
    try:
        return Quota.parse_all(principal.rate_limit)
    except ValueError:
        log.warning(
            "API key %s has an invalid rate_limit; using the default", principal.credential_id
        )
        return limiter.defaults


async def quota_of(request: Request, session: AsyncSession, principal: Principal) -> Quota:
    """The credential's first window (the one the native headers report)."""
    return (await quotas_of(request, session, principal))[0]


def limiter_of(request: Request) -> RateLimiter:
    """The application's limiter (made by the lifespan; made here when there was none)."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        limiter = state.rate_limiter = RateLimiter(state.settings)
    return limiter


async def enforce_rate_limit(
    request: Request,
    context: RequestContext,
    draw: Callable[[Usage], dict[str, str]],
) -> None:
    """Count the request against its credential's budget; raise ``RateLimited`` past it.

    Adds the rate-limit headers, as ``draw`` names them (the surface's), to the request's
    response, whatever it turns out to be.
    """
    principal = context.principal
    quotas = await quotas_of(request, context.session, principal)
    usage = await limiter_of(request).hit_all(principal.credential_id, quotas)
    context.response_headers.update(draw(usage))
    refusing = usage.refusing
    if refusing is not None:
        quota = refusing.quota
        raise RateLimited(
            f"Rate limit of {quota.amount} requests per {quota.seconds} seconds exceeded; "
            f"retry after {refusing.reset} seconds",
            headers={"Retry-After": str(refusing.reset)},
        )
