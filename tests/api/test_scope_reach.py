"""May this credential see this data by any route? For every narrow credential, no route
shows data of a kind it may not read: not the kind's own routes, not the event feed, and
not a webhook subscribed to the kind's events, not the audit log.

Each kind events are about gets one record holding a marker string. A credential may read
a kind when its scopes grant ``<scope>.readonly`` (or ``.write``) and, for webhook
endpoints, when it acts as an owner or admin; the walk checks that its own list route
agrees, that the feed shows the markers of exactly the kinds it may read, that an event
of any other kind is 404, that subscribing to any other kind's events is 403, and that
the audit log (for those who may read it) shows the markers of exactly the readable kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolodex.events.catalog import EVENT_TYPES
from rolodex.registry import BY_NAME
from tests.api.test_tenant_isolation import oauth_token
from tests.conftest import API, Tenant

MARKERS = {
    "contact": "leak-contact@example.com",
    "company": "LeakCorp",
    "task": "leak-task-title",
    "note": "leak-note-body",
    "appointment": "leak-appointment-title",
    "webhook_endpoint": "leak-webhook-token",
    "connection": "leak-connection-name",
    "sync": "leak-sync-run-error",
    "flow": "leak-flow-run-error",
}
FAMILIES = frozenset(MARKERS)
FOR_MANAGERS = frozenset({"webhook_endpoint", "audit_entry", "connection", "sync", "flow"})
"""Kinds only owners and admins (and account keys) may read, whatever the scope."""
HOOK_URL = f"https://hooks.example.com/in?token={MARKERS['webhook_endpoint']}"


@dataclass
class Credential:
    """A credential of the walk, and what it should be allowed."""

    name: str
    headers: dict[str, str]
    scopes: frozenset[str] | None  # None: a full key
    manager: bool

    def grants(self, family: str) -> bool:
        if self.scopes is None:
            return True
        return {f"{family}.readonly", f"{family}.write"} & self.scopes != set()

    def may_read(self, kind_name: str) -> bool:
        kind = BY_NAME[kind_name]
        return self.grants(kind.scope) and (self.manager or kind_name not in FOR_MANAGERS)


def _seed(tenant: Tenant) -> dict[str, str]:
    """One record of every kind events are about, each holding its marker; the id of one
    event about each kind."""
    contact = tenant.post(
        "/contacts", json={"first_name": "Leak", "email": MARKERS["contact"]}
    ).json()["data"]
    base = f"/contacts/{contact['id']}"
    assert tenant.post("/companies", json={"name": MARKERS["company"]}).status_code == 201
    assert tenant.post(f"{base}/tasks", json={"title": MARKERS["task"]}).status_code == 201
    assert tenant.post(f"{base}/notes", json={"body": MARKERS["note"]}).status_code == 201
    appointment = {
        "title": MARKERS["appointment"],
        "starts_at": "2030-01-01T10:00:00Z",
        "ends_at": "2030-01-01T11:00:00Z",
    }
    assert tenant.post(f"{base}/appointments", json=appointment).status_code == 201
    endpoint = tenant.post("/webhooks", json={"url": HOOK_URL, "events": ["contact.created"]})
    assert endpoint.status_code == 201, endpoint.text
    assert tenant.post(f"/webhooks/{endpoint.json()['data']['id']}/ping").status_code == 202
    connection = {
        "kind": "rolodex",
        "name": MARKERS["connection"],
        "base_url": "https://crm.example.com/api/v1",
        "credentials": {"api_key": "k"},
    }
    made = tenant.post("/connections", json=connection)
    assert made.status_code == 201
    sync = {
        "connection_id": made.json()["data"]["id"],
        "object": "contacts",
        "filter": f"email == '{MARKERS['sync']}'",
        "enabled": False,
    }
    sync_id = tenant.post("/syncs", json=sync).json()["data"]["id"]
    tenant.run(_failed_sync_run, tenant.account_id, sync_id)
    flow = {
        "name": MARKERS["flow"],
        "enabled": False,
        "trigger": {"event": "webhook_endpoint.ping"},
        "actions": [
            {
                "connection_id": made.json()["data"]["id"],
                "operation": "contacts.create",
                "mapping": {"first_name": "data.id"},
            }
        ],
    }
    flow_made = tenant.post("/flows", json=flow)
    assert flow_made.status_code == 201, flow_made.text
    tenant.run(_failed_run, tenant.account_id, flow_made.json()["data"]["id"])
    events = tenant.get("/events", params={"per_page": 100}).json()["data"]
    first: dict[str, str] = {}
    for event in events:
        first.setdefault(event["type"].partition(".")[0], event["id"])
    assert set(first) == FAMILIES == {name.partition(".")[0] for name in EVENT_TYPES}
    return first


async def _failed_sync_run(session: Any, account_id: str, sync_id: str) -> None:
    """A failed run of a sync, as a worker ends one: it makes a ``sync.run_failed``."""
    from rolodex.runs.service import finish_run, start_run

    run = await start_run(session, account_id, "sync", owner_id=sync_id)
    await finish_run(session, run, "failed", error=MARKERS["sync"])


async def _failed_run(session: Any, account_id: str, flow_id: str) -> None:
    """A failed run of the flow, as a worker records one: it announces flow.run_failed."""
    from rolodex.runs.service import finish_run, start_run

    run = await start_run(session, account_id, "flow", owner_id=flow_id, job_kind="flow")
    await finish_run(session, run, "failed", error=MARKERS["flow"])


def _credentials(client: Any, tenant: Tenant) -> list[Credential]:
    """Narrow OAuth tokens of the owner (each grantable scope alone, with the feed's scope,
    and with the scope of webhooks), and a member's keys."""
    grantable = sorted(client.app.state.oauth_scopes)
    sets = {frozenset({scope}) for scope in grantable}
    sets |= {frozenset({scope, "events.readonly"}) for scope in grantable}
    sets |= {frozenset({scope, "webhooks.write"}) for scope in grantable}
    found = [
        Credential(
            " ".join(sorted(scopes)),
            {"Authorization": f"Bearer {oauth_token(client, tenant, sorted(scopes))}"},
            scopes,
            manager=True,
        )
        for scopes in sorted(sets, key=sorted)
    ]
    _, member_key = tenant.add_user(role="member")
    found.append(Credential("member key", {"X-API-Key": member_key}, None, manager=False))
    read_only = tenant.new_key("read_only")
    readonly_scopes = frozenset(s for s in grantable if s.endswith(".readonly"))
    found.append(Credential("read_only key", {"X-API-Key": read_only}, readonly_scopes, True))
    return found


def _feed_text(client: Any, credential: Credential) -> str | None:
    """Every page of the feed as one text; None when the credential may not list it."""
    pages: list[str] = []
    query: dict[str, Any] = {"order": "asc", "per_page": 3}
    while True:
        response = client.get(f"{API}/events", params=query, headers=credential.headers)
        if response.status_code == 403:
            return None
        assert response.status_code == 200, (credential.name, response.text)
        pages.append(response.text)
        cursor = response.json()["meta"]["next_cursor"]
        if cursor is None:
            return "".join(pages)
        query = {"after": cursor, "per_page": 3}


def _audit_text(client: Any, credential: Credential) -> str | None:
    """Every page of the audit log as one text; None when the credential may not read it."""
    pages: list[str] = []
    for page in range(1, 100):
        response = client.get(
            f"{API}{BY_NAME['audit_entry'].path}",
            params={"per_page": 100, "page": page},
            headers=credential.headers,
        )
        if response.status_code == 403:
            return None
        assert response.status_code == 200, (credential.name, response.text)
        if not response.json()["data"]:
            break
        pages.append(response.text)
    return "".join(pages)


def test_no_credential_sees_data_of_a_kind_it_may_not_read(client, tenant) -> None:
    event_of = _seed(tenant)
    credentials = _credentials(client, tenant)
    assert len(credentials) >= 20
    subscribed: list[tuple[str, tuple[str, ...]]] = []
    for credential in credentials:
        name = credential.name
        readable = {family for family in FAMILIES if credential.may_read(family)}
        # Its own routes: the list of each kind answers as the rule says.
        for family in sorted(FAMILIES):
            own = client.get(f"{API}{BY_NAME[family].path}", headers=credential.headers)
            assert own.status_code == (200 if family in readable else 403), (name, family)
            if family not in readable:
                assert MARKERS[family] not in own.text, (name, family)
        # The feed: the markers of exactly the readable kinds.
        feed = _feed_text(client, credential)
        assert (feed is not None) == credential.grants("events"), name
        for family in sorted(FAMILIES):
            one = client.get(f"{API}/events/{event_of[family]}", headers=credential.headers)
            if feed is None:
                assert one.status_code == 403, (name, family)
            elif family in readable:
                assert MARKERS[family] in feed, (name, family)
                assert one.status_code == 200, (name, family)
            else:
                assert MARKERS[family] not in feed, (name, family)
                assert one.status_code == 404, (name, family, one.text)
                assert MARKERS[family] not in one.text, (name, family)
        # The audit log: entries hold a resource's values, so the same rule applies.
        audit = _audit_text(client, credential)
        assert (audit is not None) == credential.may_read("audit_entry"), name
        for family in sorted(FAMILIES) if audit is not None else ():
            assert (MARKERS[family] in audit) == (family in readable), (name, family)
        # Webhooks: subscribing to a kind's events needs to be allowed to read the kind.
        scopes = credential.scopes
        may_manage = credential.manager and (scopes is None or "webhooks.write" in scopes)
        patterns = [[f"{family}.*"] for family in sorted(FAMILIES)]
        patterns += [["*"], ["task.completed"], ["contact.created", "company.updated"]]
        for events in patterns:
            body = {"url": "https://hooks.example.com/attacker", "events": events}
            made = client.post(f"{API}/webhooks", json=body, headers=credential.headers)
            selected = {e.partition(".")[0] for e in events} if events != ["*"] else FAMILIES
            if may_manage and selected <= readable:
                assert made.status_code == 201, (name, events, made.text)
                subscribed.append((name, tuple(events)))
            else:
                assert made.status_code == 403, (name, events, made.text)
                assert made.json()["error"]["code"] == "FORBIDDEN"
    # The walk proved something: narrow credentials could subscribe to what they may read.
    assert ("contacts.readonly webhooks.write", ("task.completed",)) in subscribed
    assert ("webhooks.write", ("webhook_endpoint.*",)) in subscribed


def test_every_scope_a_client_may_register_is_documented(client) -> None:
    """docs/identity.md lists, in its scope table, exactly the scopes registration accepts."""
    text = (Path(__file__).parents[2] / "docs" / "identity.md").read_text()
    section = text.split("### Scopes", 1)[1].split("\n### ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+\.(?:readonly|write))` \|", section, re.M))
    assert documented == set(client.app.state.oauth_scopes)
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert set(metadata["scopes_supported"]) == documented
