"""Rate budgets in Redis: the same slots as :class:`~rolodex.integrations.budget.DatabaseBudget`,
each take one Lua script (atomic on the server, one round trip).

A connection's budget is one hash, ``<ROLODEX_REDIS_PREFIX>:integrations:budget:<id>``,
that expires two days after its last use. While Redis cannot be reached, budgets are kept
in the database instead (a warning is logged, and Redis is tried again after a few
seconds), so work goes on at the same pace: the database budget is first held until the
last slot this process had from Redis, so that falling back does not start a fresh budget
with a burst. Redis counts as unreachable when it refuses or does not connect within a
second, or does not answer a connected call within :data:`ANSWER_SECONDS` — long enough
that a busy process of ours, slow to read an answer already sent, is not taken for a Redis
outage (while one process has fallen back and the others have not, the connection is
paced twice).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import coredis
from coredis.exceptions import RedisError

from rolodex.http.ratelimit import redacted
from rolodex.integrations.budget import (
    MICRO,
    Budget,
    BudgetState,
    DatabaseBudget,
    Deferred,
    Pace,
    floor_us,
    next_day_us,
    now_us,
    state_of,
    today,
)
from rolodex.integrations.connector import RemoteRate

log = logging.getLogger("rolodex.integrations")
TTL_MS = 2 * 86_400 * 1000
RETRY_SECONDS = 5.0
ANSWER_SECONDS = 5.0
_FAILURES = (RedisError, OSError, TimeoutError)

TAKE = """
local h = KEYS[1]
local now, interval, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local max_wait, day, daily = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local next_at = tonumber(redis.call('HGET', h, 'next_at') or '0')
local used_day = redis.call('HGET', h, 'day') or ''
local day_used = tonumber(redis.call('HGET', h, 'day_used') or '0')
if daily >= 0 and used_day == day and day_used >= daily then return {-2, next_at} end
if next_at > now + max_wait then return {-1, next_at} end
local slot = math.max(next_at, now)
local started = tonumber(redis.call('HGET', h, 'window_started') or '0')
local used = tonumber(redis.call('HGET', h, 'window_used') or '0')
if now >= started + window then started, used = now, 1 else used = used + 1 end
if used_day == day then day_used = day_used + 1 else day_used = 1 end
redis.call('HSET', h, 'next_at', slot + interval, 'window_started', started,
  'window_used', used, 'day', day, 'day_used', day_used)
redis.call('PEXPIRE', h, ARGV[7])
return {0, slot}
"""

HOLD = """
local h = KEYS[1]
local until_at = tonumber(ARGV[1])
local next_at = tonumber(redis.call('HGET', h, 'next_at') or '0')
if until_at > next_at then redis.call('HSET', h, 'next_at', until_at) end
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', h, ARGV[i])
  else redis.call('HSET', h, ARGV[i], ARGV[i + 1]) end
end
redis.call('PEXPIRE', h, ARGV[2])
return 1
"""

FIELDS = (
    "window_started",
    "window_used",
    "day",
    "day_used",
    "remote_remaining",
    "remote_reset",
    "remote_daily_remaining",
    "remote_seen",
)


def _int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(float(value))


class RedisBudget:
    """Slots in Redis, falling back to the database while Redis is unreachable."""

    def __init__(self, url: str, prefix: str, fallback: DatabaseBudget) -> None:
        self.client: coredis.Redis[str] = coredis.Redis.from_url(
            url, decode_responses=True, connect_timeout=1.0, stream_timeout=ANSWER_SECONDS
        )
        self.prefix = prefix
        self.location = redacted(url)
        self.fallback = fallback
        self._down_until = 0.0
        self._last_slot_us: dict[str, int] = {}

    def _key(self, connection_id: str) -> str:
        return f"{self.prefix}:integrations:budget:{connection_id}"

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + RETRY_SECONDS
        log.warning(
            "Redis at %s is unreachable (%s); keeping rate budgets in the database for "
            "the next %.0f s",
            self.location,
            type(exc).__name__,
            RETRY_SECONDS,
        )

    async def _fall_back_take(self, connection_id: str, pace: Pace, max_wait: float) -> float:
        last = self._last_slot_us.pop(connection_id, None)
        if last is not None:
            await self.fallback.hold(connection_id, max(0.0, (last - now_us()) / MICRO))
        return await self.fallback.take(connection_id, pace, max_wait)

    async def take(self, connection_id: str, pace: Pace, max_wait: float) -> float:
        if not self._usable():
            return await self._fall_back_take(connection_id, pace, max_wait)
        at = now_us()
        args: tuple[str | int, ...] = (
            at,
            pace.interval_us,
            pace.window_us,
            int(max_wait * MICRO),
            today(at),
            pace.daily if pace.daily is not None else -1,
            TTL_MS,
        )
        try:
            answer: Any = await self.client.eval(TAKE, keys=[self._key(connection_id)], args=args)
        except _FAILURES as exc:
            self._failed(exc)
            return await self._fall_back_take(connection_id, pace, max_wait)
        code, moment = int(answer[0]), int(answer[1])
        if code == 0:
            self._last_slot_us[connection_id] = moment + pace.interval_us
            return max(0.0, (moment - at) / MICRO)
        if code == -2:
            raise Deferred(
                (next_day_us(at) - at) / MICRO,
                f"the daily budget of {pace.daily} requests is spent",
            )
        raise Deferred((moment - at) / MICRO, "the rate budget is spent for now")

    async def _hold_until(
        self, connection_id: str, until_us: int, fields: dict[str, int | None]
    ) -> None:
        args: list[str | int] = [until_us, TTL_MS]
        for name, value in fields.items():
            args += [name, "" if value is None else value]
        await self.client.eval(HOLD, keys=[self._key(connection_id)], args=tuple(args))

    async def hold(self, connection_id: str, seconds: float) -> None:
        if not self._usable():
            return await self.fallback.hold(connection_id, seconds)
        try:
            await self._hold_until(connection_id, now_us() + int(seconds * MICRO), {})
        except _FAILURES as exc:
            self._failed(exc)
            await self.fallback.hold(connection_id, seconds)

    async def observe(self, connection_id: str, rate: RemoteRate) -> None:
        if not self._usable():
            return await self.fallback.observe(connection_id, rate)
        at = now_us()
        fields = {
            "remote_remaining": rate.remaining,
            "remote_reset": (
                at + int(rate.reset_seconds * MICRO) if rate.reset_seconds is not None else None
            ),
            "remote_daily_remaining": rate.daily_remaining,
            "remote_seen": at,
        }
        try:
            await self._hold_until(connection_id, floor_us(rate, at) or 0, fields)
        except _FAILURES as exc:
            self._failed(exc)
            await self.fallback.observe(connection_id, rate)

    async def state(self, connection_id: str, pace: Pace) -> BudgetState:
        if not self._usable():
            return await self.fallback.state(connection_id, pace)
        try:
            values: Any = await self.client.hmget(self._key(connection_id), list(FIELDS))
        except _FAILURES as exc:
            self._failed(exc)
            return await self.fallback.state(connection_id, pace)
        found = dict(zip(FIELDS, values, strict=True))
        return state_of(
            pace,
            now_us(),
            window_started_us=_int(found["window_started"]) or 0,
            window_used=_int(found["window_used"]) or 0,
            day=str(found["day"] or ""),
            day_used=_int(found["day_used"]) or 0,
            remote_remaining=_int(found["remote_remaining"]),
            remote_reset_us=_int(found["remote_reset"]),
            remote_daily_remaining=_int(found["remote_daily_remaining"]),
            remote_seen_us=_int(found["remote_seen"]),
        )


def budget_for(sessions: Any, redis_url: str | None, redis_prefix: str) -> Budget:
    """The deployment's budgets: in Redis when it has one, else in the database."""
    database = DatabaseBudget(sessions)
    if redis_url:
        return RedisBudget(redis_url, redis_prefix, database)
    return database
