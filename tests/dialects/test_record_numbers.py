"""Integer record numbers: stable, distinct, never reused, and bound to their account."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rolodex.db import make_engine, make_sessionmaker, unit_of_work
from rolodex.dialects.numbers import id_of, ids_of, number_of, numbers_of
from tests.conftest import Tenant


def _contact(tenant: Tenant, name: str) -> str:
    response = tenant.post("/contacts", json={"last_name": name})
    assert response.status_code == 201, response.text
    contact_id: str = response.json()["data"]["id"]
    return contact_id


def test_a_record_keeps_its_number_and_no_two_share_one(tenant: Tenant) -> None:
    first, second = _contact(tenant, "One"), _contact(tenant, "Two")
    numbers = tenant.run(numbers_of, tenant.account_id, [first, second])
    assert set(numbers) == {first, second}
    assert all(n > 0 for n in numbers.values()) and numbers[first] != numbers[second]
    # Asked again, in another transaction: the same numbers, and they lead back.
    assert tenant.run(numbers_of, tenant.account_id, [second, first]) == numbers
    back = tenant.run(ids_of, tenant.account_id, "cnt", list(numbers.values()))
    assert back == {n: i for i, n in numbers.items()}
    # A number is only found as its own kind.
    assert tenant.run(id_of, tenant.account_id, "cmp", numbers[first]) is None


def test_numbers_survive_deletion_and_are_never_handed_out_again(tenant: Tenant) -> None:
    doomed = _contact(tenant, "Doomed")
    doomed_number = tenant.run(number_of, tenant.account_id, doomed)
    assert tenant.delete(f"/contacts/{doomed}").status_code == 200
    assert tenant.run(number_of, tenant.account_id, doomed) == doomed_number
    later = tenant.run(number_of, tenant.account_id, _contact(tenant, "Later"))
    assert later > doomed_number


def test_another_accounts_number_finds_nothing(
    tenant: Tenant, make_tenant: Callable[[], Tenant]
) -> None:
    other = make_tenant()
    theirs = tenant.run(number_of, other.account_id, _contact(other, "Theirs"))
    assert tenant.run(id_of, tenant.account_id, "cnt", theirs) is None
    assert tenant.run(id_of, other.account_id, "cnt", theirs) is not None


def test_concurrent_first_showings_agree_on_one_number(tenant: Tenant) -> None:
    contact = _contact(tenant, "Raced")

    async def race() -> list[int]:
        engine = make_engine(tenant.settings)
        sessions = make_sessionmaker(engine)

        async def show() -> int:
            async with unit_of_work(sessions) as session:
                return await number_of(session, tenant.account_id, contact)

        try:
            return list(await asyncio.gather(*(show() for _ in range(6))))
        finally:
            await engine.dispose()

    seen: list[Any] = asyncio.run(race())
    assert len(set(seen)) == 1
