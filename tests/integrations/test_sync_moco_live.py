"""People and companies kept the same with a MOCO account, live: ours, and a peer's MOCO
surface (`/moco/api/v1` of a second `rolodex serve`) reached through the tests' fault
proxy with the ``moco`` connector. The syncs are created disabled, so only the runs a
test asks for run.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.integrations.conftest import FAST_REMOTE
from tests.integrations.proxy import Proxy
from tests.integrations.test_sync_live import (
    contacts,
    counts,
    email,
    make_sync,
    run_sync,
    writes_of,
)

pytestmark = pytest.mark.live


def moco_pair(make_tenant: Callable[[], Tenant], proxy: Proxy) -> tuple[Tenant, Tenant, str]:
    """Our tenant, the peer, and our ``moco`` connection to the peer's MOCO surface."""
    ours, peer = make_tenant(), make_tenant()
    made = ours.post(
        "/connections",
        json={
            "kind": "moco",
            "base_url": f"{proxy.url}/moco/api/v1",
            "credentials": {"api_key": peer.key},
            "rate_limit": FAST_REMOTE,
        },
    )
    assert made.status_code == 201, made.text
    return ours, peer, str(made.json()["data"]["id"])


def companies(tenant: Tenant) -> dict[str, dict[str, Any]]:
    rows = tenant.get("/companies", params={"per_page": 250}).json()["data"]
    return {row["name"]: row for row in rows}


def assert_settled(ours: Tenant, peer: Tenant, proxy: Proxy, sync_id: str) -> None:
    """Another run, incremental and full, writes nothing anywhere and only reads."""
    before, peer_before = counts(ours), counts(peer)
    proxy.reset()
    again = run_sync(ours, sync_id)
    assert again["status"] == "succeeded" and writes_of(again) == [], again["steps"]
    full = run_sync(ours, sync_id, full=True)
    assert full["status"] == "succeeded" and writes_of(full) == [], full["steps"]
    assert counts(ours) == before and counts(peer) == peer_before
    assert proxy.count("POST") == proxy.count("PUT") == proxy.count("DELETE") == 0
    assert proxy.count("GET", "/moco/api/v1") > 0


def test_people_sync_both_ways_with_a_moco_account_and_settle(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers
) -> None:
    ours, peer, connection_id = moco_pair(make_tenant, proxy)
    ada, bob, cy = email(), email(), email()
    ours.post(
        "/contacts",
        json={"first_name": "Ada", "last_name": "King", "email": ada, "tags": ["vip"]},
    )
    peer.post("/contacts", json={"first_name": "Bob", "last_name": "Builder", "email": bob})
    # the same person on both sides already: matched by email, linked, not duplicated
    ours.post("/contacts", json={"first_name": "Cy", "last_name": "Here", "email": cy})
    peer.post("/contacts", json={"first_name": "Cy", "last_name": "Both", "email": cy})
    sync_id = make_sync(ours, connection_id)
    assert ours.get(f"/syncs/{sync_id}").json()["data"]["remote_type"] == "people"
    with workers(1):
        first = run_sync(ours, sync_id)
        assert first["status"] == "succeeded", first
        made = writes_of(first)
        assert made.count("remote.create") == made.count("rolodex.create") == 1, first["steps"]
        here, there = contacts(ours), contacts(peer)
        assert set(here) == set(there) == {ada, bob, cy}
        assert there[ada]["last_name"] == "King" and there[ada]["tags"] == ["vip"]
        assert here[bob]["first_name"] == "Bob" and here[bob]["last_name"] == "Builder"
        assert here[cy]["last_name"] == there[cy]["last_name"]
        links = ours.get("/links", params={"connection_id": connection_id}).json()["data"]
        assert len(links) == 3 and {link["remote_type"] for link in links} == {"people"}
        assert_settled(ours, peer, proxy, sync_id)

        # an edit on each side travels, through MOCO's PUT
        ours.patch(f"/contacts/{here[ada]['id']}", json={"job_title": "Countess"})
        peer.patch(f"/contacts/{there[bob]['id']}", json={"mobile_phone": "+49 170 1234567"})
        proxy.reset()
        edited = run_sync(ours, sync_id)
        assert edited["status"] == "succeeded", edited
        assert sorted(writes_of(edited)) == ["remote.update", "rolodex.update"], edited["steps"]
        assert proxy.count("PUT", "/moco/api/v1/contacts/people/") == 1
        assert contacts(peer)[ada]["job_title"] == "Countess"
        assert contacts(ours)[bob]["mobile_phone"] == contacts(peer)[bob]["mobile_phone"]
        assert writes_of(run_sync(ours, sync_id)) == []


def test_companies_sync_both_ways_with_a_moco_account_and_settle(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers
) -> None:
    ours, peer, connection_id = moco_pair(make_tenant, proxy)
    tail = secrets.token_hex(4)
    acme, globex, initech = f"Acme {tail}", f"Globex {tail}", f"Initech {tail}"
    ours.post("/companies", json={"name": acme, "website": "https://acme.example.com"})
    peer.post("/companies", json={"name": globex, "tags": ["partner"]})
    # the same company on both sides already: matched by name (any case), not duplicated
    ours.post("/companies", json={"name": initech})
    peer.post("/companies", json={"name": initech.upper()})
    sync_id = make_sync(ours, connection_id, object="companies")
    with workers(1):
        first = run_sync(ours, sync_id)
        assert first["status"] == "succeeded", first
        here, there = companies(ours), companies(peer)
        assert {name.lower() for name in here} == {name.lower() for name in there}
        assert len(here) == len(there) == 3
        assert there[acme]["website"] == "https://acme.example.com"
        assert here[globex]["tags"] == ["partner"]
        links = ours.get("/links", params={"connection_id": connection_id}).json()["data"]
        assert len(links) == 3 and {link["remote_type"] for link in links} == {"companies"}
        assert_settled(ours, peer, proxy, sync_id)

        ours.patch(f"/companies/{here[acme]['id']}", json={"phone": "+49 30 1234567"})
        peer.patch(f"/companies/{there[globex]['id']}", json={"email": "hi@globex.example.com"})
        edited = run_sync(ours, sync_id)
        assert sorted(writes_of(edited)) == ["remote.update", "rolodex.update"], edited["steps"]
        assert companies(peer)[acme]["phone"] == companies(ours)[acme]["phone"]
        assert companies(ours)[globex]["email"] == "hi@globex.example.com"
        assert writes_of(run_sync(ours, sync_id)) == []


def test_deletes_travel_to_moco_and_back_on_a_full_run(
    make_tenant: Callable[[], Tenant], proxy: Proxy, workers
) -> None:
    """A delete here is MOCO's DELETE; a delete at MOCO (not listed there) is seen when a
    full run reads the linked person and gets 404."""
    ours, peer, connection_id = moco_pair(make_tenant, proxy)
    one, two = email(), email()
    first = ours.post("/contacts", json={"last_name": "One", "email": one}).json()["data"]
    ours.post("/contacts", json={"last_name": "Two", "email": two})
    sync_id = make_sync(ours, connection_id)
    with workers(1):
        assert run_sync(ours, sync_id)["status"] == "succeeded"
        there = contacts(peer)
        assert ours.delete(f"/contacts/{first['id']}").status_code == 200
        proxy.reset()
        run = run_sync(ours, sync_id)
        assert run["status"] == "succeeded" and writes_of(run) == ["remote.delete"], run
        assert proxy.count("DELETE", "/moco/api/v1/contacts/people/") == 1
        assert peer.get(f"/contacts/{there[one]['id']}").status_code == 404
        assert peer.delete(f"/contacts/{there[two]['id']}").status_code == 200
        full = run_sync(ours, sync_id, full=True)
        assert full["status"] == "succeeded" and writes_of(full) == ["rolodex.delete"], full
        assert set(contacts(ours)) == set()
        assert writes_of(run_sync(ours, sync_id, full=True)) == []
