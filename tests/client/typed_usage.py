"""What a type checker must conclude about each client's calls (checked by mypy in
test_parity.py; never run)."""

from __future__ import annotations

import asyncio
from typing import assert_type

from rolodex.client import (
    ApiKey,
    AsyncPager,
    AsyncRolodex,
    BatchResult,
    Company,
    Contact,
    Page,
    Pager,
    Rolodex,
    Task,
    User,
)


def synchronous(client: Rolodex) -> None:
    assert_type(client.contacts.get("cnt_1"), Contact)
    assert_type(client.contacts.create(first_name="Ada"), Contact)
    assert_type(client.contacts.list(tags="vip"), Pager[Contact])
    assert_type(client.contacts.list().first_page(), Page[Contact])
    assert_type(client.contacts.add_tags("cnt_1", ["vip"]), list[str])
    assert_type(client.contacts.batch([{}]), BatchResult)
    assert_type(client.contacts.delete("cnt_1"), None)
    assert_type(client.contacts.tasks("cnt_1").create(title="Call"), Task)
    assert_type(client.companies.restore("cmp_1"), Company)
    assert_type(client.users.me(), User)
    assert_type(client.api_keys.create(name="k"), ApiKey)
    assert_type(client.api_keys.revoke("key_1"), None)
    assert_type(client.with_options(impersonate="usr_1"), Rolodex)
    client.contacts.get(1)  # type: ignore[arg-type]
    client.tasks.create(title="x")  # type: ignore[attr-defined]


async def asynchronous(client: AsyncRolodex) -> None:
    assert_type(await client.contacts.get("cnt_1"), Contact)
    assert_type(await client.contacts.create(first_name="Ada"), Contact)
    assert_type(await asyncio.create_task(client.contacts.get("cnt_1")), Contact)
    assert_type(client.contacts.list(tags="vip"), AsyncPager[Contact])
    assert_type(await client.contacts.list().first_page(), Page[Contact])
    assert_type(await client.contacts.add_tags("cnt_1", ["vip"]), list[str])
    assert_type(await client.contacts.batch([{}]), BatchResult)
    assert_type(await client.contacts.delete("cnt_1"), None)
    assert_type(await client.contacts.tasks("cnt_1").create(title="Call"), Task)
    assert_type(await client.companies.restore("cmp_1"), Company)
    assert_type(await client.users.me(), User)
    assert_type(await client.api_keys.create(name="k"), ApiKey)
    assert_type(await client.api_keys.revoke("key_1"), None)
    assert_type(client.with_options(impersonate="usr_1"), AsyncRolodex)
    await client.contacts.get(1)  # type: ignore[arg-type]
    client.tasks.create(title="x")  # type: ignore[attr-defined]
