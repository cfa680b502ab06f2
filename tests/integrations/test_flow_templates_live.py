"""Each of the seed's flows (`GET /flow-templates`), created as the template says and run
live: Rolodex events (or signed webhooks of the trigger's connection) start it, and the
expected record appears on the other side — at a second `rolodex serve` speaking HighLevel
(`/highlevel`) and MOCO (`/moco/api/v1`), behind the tests' fault proxy, or in this
Rolodex through a `rolodex` connection to it.

The records of each side are paired as a sync pairs them: a link per connection (stored
here directly, as a sync's first run would store it)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from rolodex.db import utcnow
from rolodex.syncs.kinds import LINK
from rolodex.syncs.models import Link
from tests.conftest import Tenant
from tests.dialects.highlevel.helpers import hl
from tests.dialects.moco.conftest import Moco
from tests.integrations.conftest import FAST_REMOTE, connect
from tests.integrations.proxy import Proxy
from tests.integrations.test_changes_hooks import PEM, highlevel_sign, moco_headers

pytestmark = pytest.mark.live
DONE = ("succeeded", "failed", "skipped")


@dataclass
class Sides:
    """Our tenant, the peer, our connections to the peer's surfaces (and to ourselves),
    and one contact on each side, linked."""

    ours: Tenant
    peer: Tenant
    connections: dict[str, str]
    moco_secret: str
    contact: dict[str, Any]
    hl_contact: str
    moco_number: int
    moco_email: str
    flows: list[str]

    def flow(self, key: str) -> dict[str, Any]:
        """The template ``key`` with our connections, created as it is."""
        listed = self.ours.get("/flow-templates", params=self.connections).json()["data"]
        [template] = [t for t in listed if t["key"] == key]
        response = self.ours.post("/flows", json=template["flow"])
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()["data"]
        self.flows.append(made["id"])
        return made

    def link(self, kind: str, record_type: str, record_id: str, remote_id: str) -> None:
        """Pair a record of ours with one at the connection of ``kind``."""

        async def work(session: Any) -> None:
            session.add(
                Link(
                    id=LINK.new_id(),
                    account_id=self.ours.account_id,
                    connection_id=self.connections[kind],
                    record_type=record_type,
                    record_id=record_id,
                    remote_type=record_type,
                    remote_id=remote_id,
                    synced_at=utcnow(),
                    record_deleted=False,
                    remote_deleted=False,
                )
            )

        self.ours.run(work)

    def hook(self, kind: str, body: bytes, headers: dict[str, str]) -> None:
        """A signed webhook of the connection of ``kind``, as the remote sends it."""
        response = self.ours.client.post(
            f"/integrations/hooks/{self.connections[kind]}", content=body, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["stored"] == 1, response.text


def wait_for(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not in {timeout} s: {what}")
        time.sleep(0.1)


def succeeded(ours: Tenant, flow_id: str) -> dict[str, Any]:
    """The flow's run once it succeeded (and none of its runs is unfinished or failed)."""

    def done() -> dict[str, Any] | None:
        runs = ours.get(f"/flows/{flow_id}/runs").json()["data"]
        if not runs or any(r["status"] not in DONE for r in runs):
            return None
        assert not [r for r in runs if r["status"] == "failed"], runs
        won = [r for r in runs if r["status"] == "succeeded"]
        assert len(won) <= 1, runs
        return won[0] if won else None

    run: dict[str, Any] = wait_for(done, f"a succeeded run of {flow_id}")
    return run


@pytest.fixture
def sides(make_tenant: Callable[[], Tenant], proxy: Proxy) -> Iterator[Sides]:
    ours, peer = make_tenant(), make_tenant()
    moco_secret = secrets.token_hex(16)
    common = {"credentials": {"api_key": peer.key}, "rate_limit": FAST_REMOTE}
    connections = {
        "highlevel": connect(
            ours,
            kind="highlevel",
            base_url=f"{proxy.url}/highlevel",
            location_id=peer.account_id,
            **{**common, "credentials": {"api_key": peer.key, "webhook_secret": PEM}},
        )["id"],
        "moco": connect(
            ours,
            kind="moco",
            base_url=f"{proxy.url}/moco/api/v1",
            **{**common, "credentials": {"api_key": peer.key, "webhook_secret": moco_secret}},
        )["id"],
        # this Rolodex itself, for the flows that make records here
        "rolodex": connect(
            ours,
            base_url=f"{proxy.url}/api/v1",
            credentials={"api_key": ours.key},
            rate_limit=FAST_REMOTE,
        )["id"],
    }
    contact = ours.post(
        "/contacts",
        json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    ).json()["data"]
    in_highlevel = hl(
        peer,
        "POST",
        "/contacts/",
        json={"locationId": peer.account_id, "firstName": "Ada", "lastName": "Lovelace"},
    )
    assert in_highlevel.status_code == 201, in_highlevel.text
    moco_email = f"ada-{secrets.token_hex(4)}@example.com"
    in_moco = Moco(peer, peer.key).post(
        "/contacts/people",
        json={"firstname": "Ada", "lastname": "Lovelace", "gender": "F", "work_email": moco_email},
    )
    assert in_moco.status_code in (200, 201), in_moco.text
    made = Sides(
        ours,
        peer,
        connections,
        moco_secret,
        contact,
        in_highlevel.json()["contact"]["id"],
        int(in_moco.json()["id"]),
        moco_email,
        [],
    )
    made.link("highlevel", "contacts", contact["id"], made.hl_contact)
    made.link("moco", "contacts", contact["id"], str(made.moco_number))
    yield made
    for flow_id in made.flows:
        ours.patch(f"/flows/{flow_id}", json={"enabled": False})


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def peer_moco_contact(sides: Sides) -> dict[str, Any]:
    [found] = sides.peer.get("/contacts", params={"email": sides.moco_email}).json()["data"]
    return dict(found)


def test_contact_to_highlevel(sides: Sides, workers: Any) -> None:
    flow = sides.flow("contact-to-highlevel")
    company = sides.ours.post("/companies", json={"name": "Analytical Engines"}).json()["data"]
    email = f"grace-{secrets.token_hex(4)}@example.com"
    with workers(1):
        sides.ours.post(
            "/contacts",
            json={
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": email.upper(),
                "phone": "+49 30 1234567",
                "company_id": company["id"],
                "tags": ["vip"],
            },
        )
        run = succeeded(sides.ours, flow["id"])
    assert run["trigger"]["type"] == "contact.created"
    [theirs] = sides.peer.get("/contacts", params={"email": email}).json()["data"]
    assert (theirs["first_name"], theirs["last_name"]) == ("Grace", "Hopper")
    assert theirs["phone"] == "+49301234567" and theirs["tags"] == ["vip"]
    assert [s["operation"] for s in run["steps"]] == ["contacts.upsert"]


def test_task_to_highlevel(sides: Sides, workers: Any) -> None:
    flow = sides.flow("task-to-highlevel")
    with workers(1):
        sides.ours.post(
            f"/contacts/{sides.contact['id']}/tasks",
            json={"title": "Send the proposal", "due_at": "2026-12-10T09:00:00Z"},
        )
        succeeded(sides.ours, flow["id"])
    tasks = sides.peer.get(f"/contacts/{sides.hl_contact}/tasks").json()["data"]
    assert [(t["title"], t["due_at"][:10]) for t in tasks] == [("Send the proposal", "2026-12-10")]


def test_task_update_to_highlevel(sides: Sides, workers: Any) -> None:
    ours_task = sides.ours.post(
        f"/contacts/{sides.contact['id']}/tasks", json={"title": "Send the proposal"}
    ).json()["data"]
    in_highlevel = hl(
        sides.peer,
        "POST",
        f"/contacts/{sides.hl_contact}/tasks",
        json={"title": "Send the proposal", "dueDate": "2026-12-10T09:00:00Z", "completed": False},
    )
    assert in_highlevel.status_code in (200, 201), in_highlevel.text
    task_id = in_highlevel.json()["task"]["id"]
    sides.link("highlevel", "tasks", ours_task["id"], task_id)
    flow = sides.flow("task-update-to-highlevel")
    with workers(1):
        sides.ours.patch(
            f"/contacts/{sides.contact['id']}/tasks/{ours_task['id']}",
            json={"title": "Send the signed proposal"},
        )
        succeeded(sides.ours, flow["id"])
    theirs = sides.peer.get(f"/contacts/{sides.hl_contact}/tasks/{task_id}").json()["data"]
    assert theirs["title"] == "Send the signed proposal"


def test_note_to_highlevel(sides: Sides, workers: Any) -> None:
    flow = sides.flow("note-to-highlevel")
    with workers(1):
        sides.ours.post(f"/contacts/{sides.contact['id']}/notes", json={"body": "Met at CeBIT"})
        succeeded(sides.ours, flow["id"])
    notes = sides.peer.get(f"/contacts/{sides.hl_contact}/notes").json()["data"]
    assert [n["body"] for n in notes] == ["Met at CeBIT"]


def test_highlevel_contact_updated_to_task(sides: Sides, workers: Any) -> None:
    flow = sides.flow("highlevel-contact-updated-to-task")
    body = json.dumps(
        {
            "type": "ContactUpdate",
            "locationId": sides.peer.account_id,
            "id": sides.hl_contact,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "dateUpdated": now(),
            "timestamp": now(),
            "webhookId": secrets.token_hex(8),
        }
    ).encode()
    with workers(1):
        sides.hook("highlevel", body, highlevel_sign(body))
        run = succeeded(sides.ours, flow["id"])
    assert run["trigger"]["remote_id"] == sides.hl_contact
    tasks = sides.ours.get(f"/contacts/{sides.contact['id']}/tasks").json()["data"]
    assert [t["title"] for t in tasks] == ["Follow up: Ada Lovelace"]


def test_tags_to_moco(sides: Sides, workers: Any) -> None:
    flow = sides.flow("tags-to-moco")
    with workers(1):
        sides.ours.patch(f"/contacts/{sides.contact['id']}", json={"tags": ["newsletter"]})
        succeeded(sides.ours, flow["id"])
    assert peer_moco_contact(sides)["tags"] == ["newsletter"]


def test_note_to_moco(sides: Sides, workers: Any) -> None:
    flow = sides.flow("note-to-moco")
    with workers(1):
        sides.ours.post(f"/contacts/{sides.contact['id']}/notes", json={"body": "Met at CeBIT"})
        succeeded(sides.ours, flow["id"])
    theirs = peer_moco_contact(sides)
    notes = sides.peer.get(f"/contacts/{theirs['id']}/notes").json()["data"]
    assert [n["body"] for n in notes] == ["Met at CeBIT"]


def test_moco_comment_to_note(sides: Sides, workers: Any) -> None:
    flow = sides.flow("moco-comment-to-note")
    body = json.dumps(
        {
            "id": 4242,
            "commentable_id": sides.moco_number,
            "commentable_type": "Contact",
            "text": "Called back, wants a quote",
            "updated_at": now(),
        }
    ).encode()
    headers = {**moco_headers(sides.moco_secret, body, "create"), "X-Moco-Target": "Comment"}
    with workers(1):
        sides.hook("moco", body, headers)
        succeeded(sides.ours, flow["id"])
    notes = sides.ours.get(f"/contacts/{sides.contact['id']}/notes").json()["data"]
    assert [n["body"] for n in notes] == ["Called back, wants a quote"]


def test_highlevel_note_to_note(sides: Sides, workers: Any) -> None:
    flow = sides.flow("highlevel-note-to-note")
    body = json.dumps(
        {
            "type": "NoteCreate",
            "locationId": sides.peer.account_id,
            "id": f"note-{secrets.token_hex(4)}",
            "contactId": sides.hl_contact,
            "body": "Left a voicemail",
            "dateAdded": now(),
            "timestamp": now(),
            "webhookId": secrets.token_hex(8),
        }
    ).encode()
    with workers(1):
        sides.hook("highlevel", body, highlevel_sign(body))
        succeeded(sides.ours, flow["id"])
    notes = sides.ours.get(f"/contacts/{sides.contact['id']}/notes").json()["data"]
    assert [n["body"] for n in notes] == ["Left a voicemail"]


def test_every_template_is_run_live_here() -> None:
    """A template added to the seed needs its live test in this module."""
    from rolodex.flows.templates import TEMPLATES

    tested = {name.removeprefix("test_").replace("_", "-") for name in globals()}
    assert {t["key"] for t in TEMPLATES} <= tested
