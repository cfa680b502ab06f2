"""The stream of remote changes: one change per (type, id, updated_at, deletion), numbered
in order per connection, whatever route and order the changes come by."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from rolodex.integrations.changes.store import (
    NewChange,
    acknowledge,
    changes_after,
    last_sequence,
    latest_of,
    position_of,
    record_changes,
)
from tests.conftest import Tenant
from tests.integrations.conftest import connect

AT = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)


def change(
    rid: str, at: datetime = AT, action: str = "updated", source: str = "webhook", **payload: Any
) -> NewChange:
    return NewChange("contact", rid, at, action, source, payload={"id": rid, **payload})


def store(tenant: Tenant, connection_id: str, *changes: NewChange) -> list[int]:
    async def work(session: Any) -> list[int]:
        rows = await record_changes(session, tenant.account_id, connection_id, changes)
        return [row.sequence for row in rows]

    result: list[int] = tenant.run(work)
    return result


def read(tenant: Tenant, connection_id: str, after: int = 0, limit: int = 100) -> list[Any]:
    async def work(session: Any) -> list[Any]:
        return [
            (row.sequence, row.remote_id, row.action, row.source, row.stale, row.payload)
            for row in await changes_after(session, connection_id, after, limit)
        ]

    result: list[Any] = tenant.run(work)
    return result


def test_the_same_change_twice_or_by_both_routes_is_one(tenant: Tenant) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    assert store(tenant, con, change("1")) == [1]
    assert store(tenant, con, change("1")) == []  # the webhook again
    assert store(tenant, con, change("1", source="poll")) == []  # the poll saw it too
    assert store(tenant, con, change("1", action="created", source="poll")) == []
    assert [r[:4] for r in read(tenant, con)] == [(1, "1", "updated", "webhook")]


def test_two_records_at_the_same_moment_are_two_changes(tenant: Tenant) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    assert store(tenant, con, change("a"), change("b"), change("a")) == [1, 2]
    assert [r[1] for r in read(tenant, con)] == ["a", "b"]


def test_a_delete_at_the_last_update_s_moment_is_a_change_of_its_own(tenant: Tenant) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    assert store(tenant, con, change("a"), change("a", action="deleted")) == [1, 2]

    async def latest(session: Any) -> str:
        found = await latest_of(session, con, "contact", "a")
        return str(found.action)

    assert tenant.run(latest) == "deleted"


def test_out_of_order_changes_are_each_stored_and_the_newest_is_the_state(tenant: Tenant) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    later = AT + timedelta(seconds=5)
    assert store(tenant, con, change("a", later, name="second")) == [1]
    assert store(tenant, con, change("a", AT, name="first")) == [2]
    rows = read(tenant, con)
    assert [(r[0], r[4], r[5]["name"]) for r in rows] == [(1, False, "second"), (2, True, "first")]

    async def latest(session: Any) -> str:
        found = await latest_of(session, con, "contact", "a")
        return str(found.payload["name"])

    assert tenant.run(latest) == "second"


def test_reading_after_a_sequence_and_keeping_a_position(tenant: Tenant) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    other = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})[
        "id"
    ]
    store(tenant, con, *(change(str(n)) for n in range(5)))
    store(tenant, other, change("x"))
    assert [r[0] for r in read(tenant, con, after=2, limit=2)] == [3, 4]
    assert [r[1] for r in read(tenant, other)] == ["x"]

    async def positions(session: Any) -> tuple[int, int, int, int]:
        first = await acknowledge(session, tenant.account_id, con, "sync:a", 3)
        back = await acknowledge(session, tenant.account_id, con, "sync:a", 1)  # never back
        return (
            first,
            back,
            await position_of(session, con, "sync:a"),
            await last_sequence(session, con),
        )

    assert tenant.run(positions) == (3, 3, 3, 5)


def test_the_changes_route_walks_the_stream_in_order_and_only_the_account_s(
    tenant: Tenant, make_tenant: Any
) -> None:
    con = connect(tenant, base_url="http://127.0.0.1:9/api/v1", credentials={"api_key": "k"})["id"]
    store(tenant, con, *(change(str(n)) for n in range(5)))
    first = tenant.get(f"/connections/{con}/changes?sort=sequence&order=asc&per_page=2&after=")
    assert first.status_code == 200, first.text
    body = first.json()
    assert [c["sequence"] for c in body["data"]] == [1, 2]
    assert body["data"][0]["object"] == "remote_change" and body["data"][0]["payload"]["id"] == "0"
    seen = [c["sequence"] for c in body["data"]]
    cursor = body["meta"]["next_cursor"]
    while cursor:
        page = tenant.get(f"/connections/{con}/changes", params={"after": cursor, "per_page": 2})
        assert page.status_code == 200, page.text
        seen += [c["sequence"] for c in page.json()["data"]]
        cursor = page.json()["meta"]["next_cursor"]
    assert seen == [1, 2, 3, 4, 5]
    tail = tenant.get(f"/connections/{con}/changes?after_sequence=3&sort=sequence&order=asc")
    assert [c["sequence"] for c in tail.json()["data"]] == [4, 5]
    assert tenant.get(f"/connections/{con}/changes?after_sequence=-1").status_code == 400

    stranger = make_tenant()
    assert stranger.get(f"/connections/{con}/changes").status_code == 404
