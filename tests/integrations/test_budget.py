"""Rate budgets, on the database (both backends) and on Redis: slots handed out one
interval apart and never twice, a far slot refused rather than taken, holds and the
remote's figures moving the next slot later, the daily cap."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from itertools import pairwise
from typing import Any

import pytest

from rolodex.config import Settings
from rolodex.db import make_engine, make_sessionmaker
from rolodex.integrations.budget import (
    MICRO,
    Budget,
    DatabaseBudget,
    Deferred,
    Pace,
    wait_for_slot,
)
from rolodex.integrations.connector import RateLimit, RemoteRate
from rolodex.integrations.redis_budget import RedisBudget
from tests.api.test_rate_limits import REDIS_URL, clear_redis, redis_available
from tests.conftest import Tenant
from tests.integrations.conftest import connect

BACKENDS = [
    "database",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not redis_available(), reason=f"no Redis at {REDIS_URL}")
    ),
]


@pytest.fixture(params=BACKENDS)
def use_budget(
    request: pytest.FixtureRequest, settings: Settings
) -> Iterator[Callable[[Callable[[Budget], Awaitable[Any]]], Any]]:
    """``use_budget(work)``: run ``work(budget)`` on a fresh engine (and Redis prefix)."""
    prefix = f"rolodex-test-{secrets.token_hex(6)}"

    def use(work: Callable[[Budget], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            engine = make_engine(settings)
            try:
                database = DatabaseBudget(make_sessionmaker(engine))
                budget: Budget = (
                    RedisBudget(REDIS_URL, prefix, database)
                    if request.param == "redis"
                    else database
                )
                return await work(budget)
            finally:
                await engine.dispose()

        return asyncio.run(main())

    yield use
    if request.param == "redis":
        clear_redis(prefix)


def connection_of(tenant: Tenant) -> str:
    made = connect(tenant, base_url="https://crm.invalid/api/v1", credentials={"api_key": "k"})
    return str(made["id"])


def test_slots_are_one_interval_apart_and_never_given_twice(tenant: Tenant, use_budget) -> None:
    connection_id = connection_of(tenant)
    pace = Pace.of(RateLimit(requests=10, per_seconds=10), headroom=0.0)
    assert pace.interval_us == MICRO

    async def work(budget: Budget) -> list[float]:
        together = await asyncio.gather(
            *(budget.take(connection_id, pace, max_wait=30) for _ in range(8))
        )
        return sorted(together)

    waits = use_budget(work)
    # eight takes at once: eight different slots, one second apart, the first now
    assert waits[0] <= 0.5
    gaps = [later - earlier for earlier, later in pairwise(waits)]
    assert all(0.5 < gap < 1.5 for gap in gaps), gaps
    assert 6.5 < waits[-1] < 7.5


def test_a_far_slot_is_deferred_and_not_taken(tenant: Tenant, use_budget) -> None:
    connection_id = connection_of(tenant)
    pace = Pace.of(RateLimit(requests=1, per_seconds=60), headroom=0.0)

    async def work(budget: Budget) -> tuple[float, Deferred, Deferred]:
        first = await budget.take(connection_id, pace, max_wait=5)
        with pytest.raises(Deferred) as refused:
            await budget.take(connection_id, pace, max_wait=5)
        with pytest.raises(Deferred) as again:
            await budget.take(connection_id, pace, max_wait=5)
        return first, refused.value, again.value

    first, refused, again = use_budget(work)
    assert first <= 0.5
    # not taken: the refused call did not push the next slot any further
    assert 55 < refused.wait <= 60 and 55 < again.wait <= refused.wait


def test_a_hold_and_the_remotes_figures_move_the_next_slot_later(
    tenant: Tenant, use_budget
) -> None:
    connection_id = connection_of(tenant)
    pace = Pace.of(RateLimit(requests=2, per_seconds=1), headroom=0.0)

    async def work(budget: Budget) -> tuple[float, float, float, Any]:
        await budget.hold(connection_id, 20)
        held = await budget.take(connection_id, pace, max_wait=60)
        await budget.hold(connection_id, 1)  # an earlier hold changes nothing
        after = await budget.take(connection_id, pace, max_wait=60)
        other = connection_of(tenant)
        await budget.observe(other, RemoteRate(limit=10, remaining=0, reset_seconds=30))
        remote = await budget.take(other, pace, max_wait=60)
        state = await budget.state(other, pace)
        return held, after, remote, state

    held, after, remote, state = use_budget(work)
    assert 19 < held <= 20 and after > held
    assert 29 < remote <= 30
    assert state.source == "remote" and state.remaining == 0 and state.reset_at is not None


def test_the_daily_cap_defers_to_the_next_day(tenant: Tenant, use_budget) -> None:
    connection_id = connection_of(tenant)
    pace = Pace.of(RateLimit(requests=1000, per_seconds=1, daily=3), headroom=0.0)

    async def work(budget: Budget) -> tuple[Deferred, Any]:
        for _ in range(3):
            await budget.take(connection_id, pace, max_wait=60)
        with pytest.raises(Deferred) as refused:
            await budget.take(connection_id, pace, max_wait=60)
        return refused.value, await budget.state(connection_id, pace)

    refused, state = use_budget(work)
    assert "daily" in refused.reason and 0 < refused.wait <= 86_400
    assert state.daily_remaining == 0 and state.source == "rolodex"


@pytest.mark.skipif(not redis_available(), reason=f"no Redis at {REDIS_URL}")
def test_falling_back_to_the_database_keeps_the_pace_redis_had(
    tenant: Tenant, settings: Settings
) -> None:
    """When Redis goes away, the database budget starts where Redis's left off, not with
    a fresh budget that would send a burst on top of the slots already handed out."""
    connection_id = connection_of(tenant)
    pace = Pace.of(RateLimit(requests=10, per_seconds=10), headroom=0.0)
    prefix = f"rolodex-test-{secrets.token_hex(6)}"

    async def main() -> tuple[list[float], float]:
        engine = make_engine(settings)
        try:
            budget = RedisBudget(REDIS_URL, prefix, DatabaseBudget(make_sessionmaker(engine)))
            in_redis = [await budget.take(connection_id, pace, max_wait=30) for _ in range(4)]
            budget.client = RedisBudget("redis://127.0.0.1:1", prefix, budget.fallback).client
            after = await budget.take(connection_id, pace, max_wait=30)
            return in_redis, after
        finally:
            await engine.dispose()

    try:
        in_redis, after = asyncio.run(main())
    finally:
        clear_redis(prefix)
    assert in_redis[-1] > 2.5
    assert after > in_redis[-1] + 0.5, (in_redis, after)


def test_a_slot_missed_by_a_stall_is_given_up_for_the_next(tenant: Tenant, use_budget) -> None:
    """Two requests wait for their slots; the process stalls past both. The later one
    does not go at once behind the first (a burst): it takes a fresh slot."""
    connection_id = connection_of(tenant)
    pace = Pace.of(RateLimit(requests=5, per_seconds=1), headroom=0.0)
    taken: list[float] = []

    async def work(budget: Budget) -> None:
        take = budget.take

        async def counted(connection_id: str, pace: Pace, max_wait: float) -> float:
            taken.append(await take(connection_id, pace, max_wait))
            return taken[-1]

        budget.take = counted  # type: ignore[method-assign]

        async def stall() -> None:
            await asyncio.sleep(0.05)
            time.sleep(1.0)  # noqa: ASYNC251 - the whole process stops: no sleeper wakes on time

        await asyncio.gather(
            wait_for_slot(budget, connection_id, pace, 30),
            wait_for_slot(budget, connection_id, pace, 30),
            stall(),
        )

    use_budget(work)
    assert len(taken) == 3, taken  # the second request's slot was missed and taken again
