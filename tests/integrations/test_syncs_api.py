"""The sync and link routes: create, read, change, delete, run (queued), and links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rolodex.integrations.models import IntegrationJob
from rolodex.syncs.models import Link
from tests.conftest import Tenant
from tests.integrations.conftest import connect


def _connection(tenant: Tenant) -> str:
    made = connect(tenant, base_url="https://peer.example.com/api/v1", credentials={"api_key": "k"})
    return str(made["id"])


def test_a_sync_is_created_with_its_connectors_mapping_and_changed(tenant: Tenant) -> None:
    con = _connection(tenant)
    made = tenant.post("/syncs", json={"connection_id": con, "object": "contacts"})
    assert made.status_code == 201, made.text
    sync = made.json()["data"]
    assert sync["object"] == "sync" and sync["record_type"] == "contacts"
    assert sync["direction"] == "both" and sync["conflict"] == "newest_wins"
    assert sync["deletes"] == "propagate" and sync["poll_seconds"] == 300
    assert sync["mapping"]["email"] == "email" and "company_id" not in sync["mapping"]
    assert made.headers["Location"].endswith(f"/syncs/{sync['id']}")

    patched = tenant.patch(
        f"/syncs/{sync['id']}",
        json={"mapping": {"email": "email", "first_name": "first_name"}, "enabled": False},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["mapping"] == {"email": "email", "first_name": "first_name"}
    assert patched.json()["data"]["enabled"] is False
    listed = tenant.get("/syncs", params={"connection_id": con}).json()
    assert [s["id"] for s in listed["data"]] == [sync["id"]]
    assert tenant.delete(f"/syncs/{sync['id']}").status_code == 200
    assert tenant.get(f"/syncs/{sync['id']}").status_code == 404


def test_what_a_sync_cannot_be_is_refused_with_a_detail_each(tenant: Tenant) -> None:
    con = _connection(tenant)
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"connection_id": "con_01jd6w3q0000000000000000aa", "object": "contacts"},
            "connection_id",
        ),
        ({"connection_id": con, "object": "deals"}, "object"),
        ({"connection_id": con, "object": "contacts", "direction": "sideways"}, "direction"),
        (
            {"connection_id": con, "object": "contacts", "mapping": {"owner_id": "x"}},
            "mapping.owner_id",
        ),
        ({"connection_id": con, "object": "contacts", "mapping": {"email": 3}}, "mapping.email"),
        ({"connection_id": con, "object": "contacts", "filter": "tags[?"}, "filter"),
        ({"connection_id": con, "object": "contacts", "poll_seconds": 1}, "poll_seconds"),
    ]
    for body, field in cases:
        answer = tenant.post("/syncs", json=body)
        assert answer.status_code == 400, (body, answer.text)
        fields = [d["field"] for d in answer.json()["error"]["details"]]
        assert any(f == field or f.startswith(field) for f in fields), (body, fields)


def test_a_run_is_queued_and_listed(tenant: Tenant) -> None:
    con = _connection(tenant)
    body = {"connection_id": con, "object": "companies", "enabled": False}
    sync = tenant.post("/syncs", json=body).json()["data"]
    answer = tenant.post(f"/syncs/{sync['id']}/run", json={"dry_run": True, "full": True})
    assert answer.status_code == 202, answer.text
    run = answer.json()["data"]
    assert run["object"] == "run" and run["kind"] == "sync" and run["status"] == "queued"
    assert run["dry_run"] is True and run["sync_id"] == sync["id"]
    assert run["connection_id"] == con and run["id"].startswith("run_")
    runs = tenant.get(f"/syncs/{sync['id']}/runs").json()
    assert [r["id"] for r in runs["data"]] == [run["id"]] and runs["meta"]["total"] == 1
    assert tenant.post(f"/syncs/{sync['id']}/run", json={"fast": True}).status_code == 400


def test_links_are_listed_by_connection_record_and_remote_id(tenant: Tenant) -> None:
    con = _connection(tenant)
    contact = tenant.post("/contacts", json={"first_name": "Linked"}).json()["data"]

    async def make(session: Any) -> None:
        session.add(
            Link(
                id="lnk_01jd6w3q0000000000000000aa",
                account_id=tenant.account_id,
                connection_id=con,
                record_type="contacts",
                record_id=contact["id"],
                remote_type="contacts",
                remote_id="remote-1",
            )
        )

    tenant.run(make)
    for params in ({"connection_id": con}, {"record_id": contact["id"]}, {"remote_id": "remote-1"}):
        found = tenant.get("/links", params=params).json()["data"]
        assert [link["remote_id"] for link in found] == ["remote-1"], params
    assert tenant.get("/links", params={"remote_id": "other"}).json()["data"] == []

    async def count(session: Any) -> int:
        return len(list(await session.scalars(select(Link))))

    assert tenant.run(count) >= 1


def _jobs(tenant: Tenant, sync_id: str) -> dict[str, str]:
    async def work(session: Any) -> dict[str, str]:
        rows = await session.scalars(
            select(IntegrationJob).where(IntegrationJob.operation == sync_id)
        )
        return {row.kind: row.status for row in rows}

    found: dict[str, str] = tenant.run(work)
    return found


def test_an_enabled_sync_watches_its_stream_and_a_disabled_one_leaves_nothing_queued(
    tenant: Tenant,
) -> None:
    con = _connection(tenant)
    body = {"connection_id": con, "object": "contacts", "direction": "push", "enabled": False}
    sync_id = tenant.post("/syncs", json=body).json()["data"]["id"]
    assert _jobs(tenant, sync_id) == {}
    # enabled: its first poll is queued; a push sync does not watch the remote's stream
    assert tenant.patch(f"/syncs/{sync_id}", json={"enabled": True}).status_code == 200
    assert _jobs(tenant, sync_id) == {"sync": "queued"}
    # pulling too: it watches
    assert tenant.patch(f"/syncs/{sync_id}", json={"direction": "both"}).status_code == 200
    assert _jobs(tenant, sync_id) == {"sync": "queued", "sync_watch": "queued"}
    # disabled: its own queued run is skipped and the watch stopped
    assert tenant.patch(f"/syncs/{sync_id}", json={"enabled": False}).status_code == 200
    runs = tenant.get(f"/syncs/{sync_id}/runs").json()["data"]
    assert [(run["trigger"]["kind"], run["status"]) for run in runs] == [("poll", "skipped")]
    assert tenant.delete(f"/syncs/{sync_id}").status_code == 200

    async def statuses(session: Any) -> list[str]:
        rows = await session.scalars(
            select(IntegrationJob.status).where(IntegrationJob.operation == sync_id)
        )
        return sorted(rows)

    assert tenant.run(statuses) == ["cancelled", "cancelled"]


def test_only_the_pairs_the_engine_runs_are_accepted_and_the_refusal_names_them(
    tenant: Tenant,
) -> None:
    made = {
        "rolodex": _connection(tenant),
        "moco": str(
            connect(
                tenant,
                kind="moco",
                base_url="https://peer.example.com/api/v1",
                credentials={"api_key": "k"},
            )["id"]
        ),
    }
    for kind, obj, remote_type in (
        ("moco", "contacts", "people"),
        ("moco", "companies", "companies"),
        ("rolodex", "companies", "companies"),
    ):
        body = {"connection_id": made[kind], "object": obj, "enabled": False}
        answer = tenant.post("/syncs", json=body)
        assert answer.status_code == 201, (kind, obj, answer.text)
        assert answer.json()["data"]["remote_type"] == remote_type
        assert tenant.delete(f"/syncs/{answer.json()['data']['id']}").status_code == 200
    for kind, obj in (("moco", "tasks"), ("moco", "notes")):
        body = {"connection_id": made[kind], "object": obj, "enabled": False}
        answer = tenant.post("/syncs", json=body)
        assert answer.status_code == 400, (kind, obj, answer.text)
        [detail] = answer.json()["error"]["details"]
        assert detail["field"] == "object"
        assert f"a {kind} connection cannot sync {obj}" in detail["message"]
        assert "moco: contacts, companies" in detail["message"]
        assert "highlevel: contacts" in detail["message"]
