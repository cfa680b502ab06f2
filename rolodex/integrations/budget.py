"""Rate budgets: each connection's requests spent evenly, shared by every worker.

A connection may send ``requests`` per ``per_seconds`` (and ``daily`` a day). Rather than
letting a window's requests go in a burst, the budget hands out *slots* one
``interval`` apart (``per_seconds / requests``, stretched by a small headroom,
``ROLODEX_INTEGRATIONS_BUDGET_HEADROOM``): a caller takes the next free slot atomically
and waits until it comes. Every worker of the deployment takes slots from the same
place, so two workers together never send faster than one would — in Redis when
``ROLODEX_REDIS_URL`` is set (a Lua script, one round trip), else in the database (one
``UPDATE … RETURNING`` of the connection's ``connection_budgets`` row).

A slot further away than the caller may wait is not taken (:class:`Deferred`): the job
goes back to the queue until then instead of holding a worker. The remote's own word
moves the next slot later, never earlier: a ``429`` with ``Retry-After`` holds every
worker's next request until then (:meth:`Budget.hold`), and rate-limit headers that say
only ``remaining`` requests are left for ``reset`` seconds space the next one at least
``reset / (remaining + 1)`` away (:meth:`Budget.observe`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolodex.db import insert_skipping_conflicts, unit_of_work
from rolodex.integrations.connector import RateLimit, RemoteRate
from rolodex.integrations.models import ConnectionBudget

log = logging.getLogger("rolodex.integrations")
MICRO = 1_000_000
REMOTE_FRESH_SECONDS = 600
"""The remote's last word on the budget is shown for this long (if it named no reset)."""


class Deferred(Exception):
    """The next request may go only in ``wait`` seconds: later than the caller waits."""

    def __init__(self, wait: float, reason: str) -> None:
        super().__init__(reason)
        self.wait = wait
        self.reason = reason


@dataclass(frozen=True)
class Pace:
    """How one connection's budget is spent."""

    requests: int
    window_us: int
    interval_us: int
    daily: int | None

    @classmethod
    def of(cls, rate: RateLimit, headroom: float) -> Pace:
        """One request every ``per_seconds / requests`` seconds, ``headroom`` slower."""
        window = rate.per_seconds * MICRO
        interval = math.ceil(window / rate.requests * (1 + headroom))
        return cls(rate.requests, window, interval, rate.daily)


@dataclass(frozen=True)
class BudgetState:
    """Where a budget stands: what ``GET /connections/{id}/usage`` shows."""

    remaining: int | None
    reset_at: datetime | None
    daily_remaining: int | None
    source: str


def now_us() -> int:
    """The current time in microseconds since the epoch."""
    return time.time_ns() // 1000


def today(moment_us: int) -> str:
    """The UTC day of a moment, ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(moment_us / MICRO, UTC).date().isoformat()


def next_day_us(moment_us: int) -> int:
    """The start of the UTC day after a moment."""
    day = datetime.fromtimestamp(moment_us / MICRO, UTC).date() + timedelta(days=1)
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * MICRO)


def _datetime(moment_us: int | None) -> datetime | None:
    return datetime.fromtimestamp(moment_us / MICRO, UTC) if moment_us else None


def remote_gap_us(rate: RemoteRate) -> int | None:
    """How far apart the remote's own figures want the next request: ``reset`` spread
    over the ``remaining`` requests and the one after them; None when it said neither."""
    if rate.remaining is None or rate.reset_seconds is None:
        return None
    return math.ceil(rate.reset_seconds * MICRO / (rate.remaining + 1))


def state_of(
    pace: Pace,
    at_us: int,
    *,
    window_started_us: int,
    window_used: int,
    day: str,
    day_used: int,
    remote_remaining: int | None,
    remote_reset_us: int | None,
    remote_daily_remaining: int | None,
    remote_seen_us: int | None,
) -> BudgetState:
    """The budget as shown: the remote's figures while they hold, else Rolodex's count."""
    daily = None
    if pace.daily is not None:
        daily = pace.daily - (day_used if day == today(at_us) else 0)
    if (
        remote_daily_remaining is not None
        and remote_seen_us
        and today(remote_seen_us) == today(at_us)
    ):
        daily = remote_daily_remaining if daily is None else min(daily, remote_daily_remaining)
    remote_valid = remote_remaining is not None and (
        (remote_reset_us is not None and remote_reset_us > at_us)
        or (
            remote_reset_us is None
            and remote_seen_us is not None
            and at_us - remote_seen_us < REMOTE_FRESH_SECONDS * MICRO
        )
    )
    if remote_valid:
        return BudgetState(remote_remaining, _datetime(remote_reset_us), daily, "remote")
    if window_started_us and at_us < window_started_us + pace.window_us:
        return BudgetState(
            max(0, pace.requests - window_used),
            _datetime(window_started_us + pace.window_us),
            daily,
            "rolodex",
        )
    return BudgetState(pace.requests, None, daily, "rolodex")


class Budget(Protocol):
    """Where the slots of every connection are kept."""

    async def take(self, connection_id: str, pace: Pace, max_wait: float) -> float:
        """Take the next slot: the seconds to wait before sending; :class:`Deferred` when
        it is more than ``max_wait`` away (nothing is taken then)."""

    async def hold(self, connection_id: str, seconds: float) -> None:
        """Send nothing more for ``seconds`` (a 429's ``Retry-After``)."""

    async def observe(self, connection_id: str, rate: RemoteRate) -> None:
        """Take in the remote's own figures (its rate-limit headers)."""

    async def state(self, connection_id: str, pace: Pace) -> BudgetState:
        """Where the budget stands now."""


RETAKES = 3
"""How many times a slot missed by a stall is given up for the next free one."""


async def wait_for_slot(budget: Budget, connection_id: str, pace: Pace, max_wait: float) -> None:
    """Wait for a slot of the connection's budget. A slot is leave to send at its moment,
    not after: one woken more than an interval late (a stalled process wakes all its
    sleepers at once) is given up and the next free one taken, so that a stall cannot turn
    the slots it held into a burst. After :data:`RETAKES` such misses the request goes
    anyway. Raises :class:`Deferred` as :meth:`Budget.take` does."""
    for _ in range(RETAKES + 1):
        wait = await budget.take(connection_id, pace, max_wait)
        due = time.monotonic() + wait
        if wait > 0:
            await asyncio.sleep(wait)
        if time.monotonic() - due <= pace.interval_us / MICRO:
            return


class DatabaseBudget:
    """Slots in the ``connection_budgets`` table: each take is one atomic ``UPDATE …
    RETURNING`` in a short transaction of its own (PostgreSQL locks the row for it;
    SQLite serialises every write)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def _ensure(self, session: AsyncSession, connection_id: str) -> None:
        await session.execute(
            insert_skipping_conflicts(session, ConnectionBudget.__table__).values(  # type: ignore[arg-type]
                connection_id=connection_id,
                next_at_us=0,
                window_started_us=0,
                window_used=0,
                day="",
                day_used=0,
            )
        )

    async def take(self, connection_id: str, pace: Pace, max_wait: float) -> float:
        at = now_us()
        day = today(at)
        row = ConnectionBudget
        new_window = at >= row.window_started_us + pace.window_us
        conditions: list[Any] = [
            row.connection_id == connection_id,
            row.next_at_us <= at + int(max_wait * MICRO),
        ]
        if pace.daily is not None:
            conditions.append((row.day != day) | (row.day_used < pace.daily))
        async with unit_of_work(self.sessions) as session:
            await self._ensure(session, connection_id)
            taken = await session.scalar(
                update(row)
                .where(*conditions)
                .values(
                    next_at_us=case((row.next_at_us > at, row.next_at_us), else_=at)
                    + pace.interval_us,
                    window_started_us=case((new_window, at), else_=row.window_started_us),
                    window_used=case((new_window, 1), else_=row.window_used + 1),
                    day_used=case((row.day == day, row.day_used + 1), else_=1),
                    day=day,
                )
                .returning(row.next_at_us)
            )
            if taken is not None:
                return max(0.0, (int(taken) - pace.interval_us - at) / MICRO)
            current = (
                await session.execute(
                    select(row.next_at_us, row.day, row.day_used).where(
                        row.connection_id == connection_id
                    )
                )
            ).one()
        next_at, used_day, used = current
        if pace.daily is not None and used_day == day and used >= pace.daily:
            wait = (next_day_us(at) - at) / MICRO
            raise Deferred(wait, f"the daily budget of {pace.daily} requests is spent")
        raise Deferred((int(next_at) - at) / MICRO, "the rate budget is spent for now")

    async def hold(self, connection_id: str, seconds: float) -> None:
        until = now_us() + int(seconds * MICRO)
        row = ConnectionBudget
        async with unit_of_work(self.sessions) as session:
            await self._ensure(session, connection_id)
            await session.execute(
                update(row)
                .where(row.connection_id == connection_id)
                .values(next_at_us=case((row.next_at_us > until, row.next_at_us), else_=until))
            )

    async def observe(self, connection_id: str, rate: RemoteRate) -> None:
        at = now_us()
        row = ConnectionBudget
        values: dict[str, Any] = {
            "remote_remaining": rate.remaining,
            "remote_reset_us": (
                at + int(rate.reset_seconds * MICRO) if rate.reset_seconds is not None else None
            ),
            "remote_daily_remaining": rate.daily_remaining,
            "remote_seen_us": at,
        }
        floor = floor_us(rate, at)
        if floor is not None:
            values["next_at_us"] = case((row.next_at_us > floor, row.next_at_us), else_=floor)
        async with unit_of_work(self.sessions) as session:
            await self._ensure(session, connection_id)
            await session.execute(
                update(row).where(row.connection_id == connection_id).values(values)
            )

    async def state(self, connection_id: str, pace: Pace) -> BudgetState:
        async with unit_of_work(self.sessions) as session:
            found = await session.get(ConnectionBudget, connection_id)
        if found is None:
            return state_of(
                pace,
                now_us(),
                window_started_us=0,
                window_used=0,
                day="",
                day_used=0,
                remote_remaining=None,
                remote_reset_us=None,
                remote_daily_remaining=None,
                remote_seen_us=None,
            )
        return state_of(
            pace,
            now_us(),
            window_started_us=found.window_started_us,
            window_used=found.window_used,
            day=found.day,
            day_used=found.day_used,
            remote_remaining=found.remote_remaining,
            remote_reset_us=found.remote_reset_us,
            remote_daily_remaining=found.remote_daily_remaining,
            remote_seen_us=found.remote_seen_us,
        )


def floor_us(rate: RemoteRate, at: int) -> int | None:
    """The earliest next request the remote's figures allow, or None when they say
    nothing that limits it."""
    floors = []
    gap = remote_gap_us(rate)
    if gap is not None:
        floors.append(at + gap)
    if rate.daily_remaining == 0:
        floors.append(next_day_us(at))
    return max(floors) if floors else None
