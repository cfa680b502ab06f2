"""The dashboard's integration pages: adding a connection (its key never drawn back),
checking it against a real HTTP server, starting an OAuth authorization."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Tenant, free_port
from tests.dashboard.conftest import Browser, add_flow, add_run

KEY = "remote-key-f00d-7c1e"


def created_id(response: Any) -> str:
    assert response.status_code == 303, response.text
    return str(response.headers["location"].split("/")[-1].split("?")[0])


@pytest.fixture
def peer() -> Iterator[str]:
    """A remote Rolodex's ``GET /api/v1/users/me``: 200 for :data:`KEY`, else 401."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/api/v1/users/me" and self.headers.get("X-API-Key") == KEY
            body = {"data": {"id": "usr_1"}} if ok else {"error": {"message": "Bad key"}}
            raw = json.dumps(body).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_a_connection_is_added_and_its_key_never_shown(tenant: Tenant, owner: Browser) -> None:
    form = {"kind": "rolodex", "name": "Head office", "base_url": "https://remote.invalid/api/v1"}
    connection_id = created_id(owner.post("/dashboard/connections", {**form, "api_key": KEY}))
    made = tenant.get(f"/connections/{connection_id}").json()["data"]
    assert (made["name"], made["kind"], made["status"]) == ("Head office", "rolodex", "active")
    assert made["auth"]["credentials"] == ["api_key"]
    events = tenant.get("/events", params={"type": "connection.created"}).json()["data"]
    mine = [e for e in events if e["data"]["id"] == connection_id]
    assert mine and mine[0]["origin"]["kind"] == "dashboard"
    page = owner.get(f"/dashboard/connections/{connection_id}")
    assert page.status_code == 200 and "Head office" in page.text
    assert KEY not in page.text and KEY not in owner.get("/dashboard/connections").text
    assert "Connect with OAuth" not in page.text  # an API key connection

    # refused: the API's own field messages, the form kept — but never the key
    refused = owner.post(
        "/dashboard/connections", {**form, "base_url": "not a url", "api_key": KEY}
    )
    assert refused.status_code == 400
    assert "base_url" in refused.text and "was not created" in refused.text
    assert KEY not in refused.text
    assert 'value="Head office"' in refused.text
    missing = owner.post("/dashboard/connections", {**form, "kind": "nothing"})
    assert missing.status_code == 400 and "kind" in missing.text
    listed = tenant.get("/connections").json()["data"]
    assert [c["id"] for c in listed] == [connection_id]


def test_check_shows_what_the_remote_answered(tenant: Tenant, owner: Browser, peer: str) -> None:
    good = created_id(
        owner.post("/dashboard/connections", {"kind": "rolodex", "base_url": peer, "api_key": KEY})
    )
    page = owner.post(f"/dashboard/connections/{good}/check")
    assert page.status_code == 200
    assert "Check passed" in page.text and "OK" in page.text
    assert tenant.get(f"/connections/{good}").json()["data"]["checked_at"] is not None

    bad = created_id(
        owner.post(
            "/dashboard/connections", {"kind": "rolodex", "base_url": peer, "api_key": "wrong"}
        )
    )
    page = owner.post(f"/dashboard/connections/{bad}/check")
    assert page.status_code == 200
    assert "Check failed" in page.text and "HTTP 401" in page.text and "Bad key" in page.text
    assert tenant.get(f"/connections/{bad}").json()["data"]["status"] == "failing"

    closed = f"http://127.0.0.1:{free_port()}/api/v1"
    gone = created_id(
        owner.post(
            "/dashboard/connections", {"kind": "rolodex", "base_url": closed, "api_key": KEY}
        )
    )
    page = owner.post(f"/dashboard/connections/{gone}/check")
    assert page.status_code == 200 and "Check failed" in page.text


def test_an_oauth_connection_is_connected_through_the_authorize_flow(
    tenant: Tenant, owner: Browser
) -> None:
    connection_id = created_id(
        owner.post(
            "/dashboard/connections",
            {
                "kind": "rolodex",
                "name": "Partner",
                "base_url": "https://partner.invalid/api/v1",
                "client_id": "rolodex-client",
                "client_secret": "client-secret-123",
            },
        )
    )
    made = tenant.get(f"/connections/{connection_id}").json()["data"]
    assert made["status"] == "needs_auth"
    page = owner.get(f"/dashboard/connections/{connection_id}").text
    assert "Connect with OAuth" in page and "client-secret-123" not in page
    start = owner.post(f"/dashboard/connections/{connection_id}/authorize")
    assert start.status_code == 200
    link = start.text.split('id="authorize-link" href="')[1].split('"')[0].replace("&amp;", "&")
    url = urlsplit(link)
    assert (url.scheme, url.hostname, url.path) == ("https", "partner.invalid", "/oauth/authorize")
    query = parse_qs(url.query)
    assert query["client_id"] == ["rolodex-client"] and query["state"][0]
    assert query["redirect_uri"][0].endswith("/integrations/oauth/callback")
    audit = tenant.get("/audit-log", params={"resource_id": connection_id}).json()["data"]
    assert "connection.authorization_started" in [a["action"] for a in audit]
    # an API key connection has nothing to authorize: the service's 422, as a page
    keyed = created_id(
        owner.post(
            "/dashboard/connections",
            {"kind": "rolodex", "base_url": "https://remote.invalid/api/v1", "api_key": KEY},
        )
    )
    refused = owner.post(f"/dashboard/connections/{keyed}/authorize")
    assert refused.status_code == 422 and "only OAuth connections" in refused.text


def highlevel(owner: Browser, name: str = "Agency") -> str:
    """A HighLevel connection (an API key; never called by these tests)."""
    return created_id(
        owner.post(
            "/dashboard/connections",
            {"kind": "highlevel", "name": name, "location_id": "loc-1", "api_key": KEY},
        )
    )


def flow_from_template(owner: Browser, connection_id: str, **form: str) -> str:
    response = owner.post(
        "/dashboard/flows",
        {"template": "contact-to-highlevel", "highlevel": connection_id, **form},
    )
    return created_id(response)


EVENT = {
    "type": "contact.created",
    "data": {"first_name": "Ada", "last_name": "Lovelace", "email": "ADA@example.com"},
}


def test_a_flow_from_a_template_and_its_dry_run(tenant: Tenant, owner: Browser) -> None:
    assert "No flows yet" in owner.get("/dashboard/flows").text
    connection_id = highlevel(owner)
    flow_id = flow_from_template(owner, connection_id)
    made = tenant.get(f"/flows/{flow_id}").json()["data"]
    assert made["template"] == "contact-to-highlevel" and made["enabled"] is False
    assert made["actions"][0]["connection_id"] == connection_id
    page = owner.get(f"/dashboard/flows/{flow_id}").text
    assert "contacts.upsert" in page and "data.first_name" in page and "Agency" in page
    assert "Contact created or updated" in owner.get("/dashboard/flows").text

    result = owner.post(f"/dashboard/flows/{flow_id}/test", {"event": json.dumps(EVENT)})
    assert result.status_code == 200, result.text
    text = result.text
    assert "would run" in text
    assert "<strong>POST</strong> https://services.leadconnectorhq.com/contacts/upsert" in text
    assert "ada@example.com" in text  # the mapped value, normalised
    assert "from: expr" in text and "expr: data.email" in text  # each field's source
    assert KEY not in text  # the credential redacted
    assert "<code>Authorization</code></td><td><code>***</code>" in text
    assert "&#34;locationId&#34;: &#34;loc-1&#34;" in text  # the body, as JSON
    runs = tenant.get("/runs", params={"flow_id": flow_id}).json()["data"]
    assert runs == []  # a dry run writes nothing

    skipped = owner.post(
        f"/dashboard/flows/{flow_id}/test", {"event": json.dumps({**EVENT, "data": {}})}
    )
    assert skipped.status_code == 200 and "skipped" in skipped.text
    bad = owner.post(f"/dashboard/flows/{flow_id}/test", {"event": "{not json"})
    assert bad.status_code == 400 and "event: is not JSON" in bad.text
    assert "{not json" in bad.text  # kept in the form
    assert owner.post(f"/dashboard/flows/{flow_id}/test", {"event": "[]"}).status_code == 400

    assert owner.post(f"/dashboard/flows/{flow_id}/delete").status_code == 303
    assert tenant.get(f"/flows/{flow_id}").status_code == 404


def test_the_mapping_editor_saves_or_shows_each_problem(tenant: Tenant, owner: Browser) -> None:
    connection_id = highlevel(owner)
    flow_id = flow_from_template(owner, connection_id, name="Edited")
    actions = [
        {
            "connection_id": connection_id,
            "operation": "contacts.upsert",
            "mapping": {"email": {"expr": "data.email", "type": "email"}, "firstName": "data.x"},
        }
    ]
    saved = owner.post(f"/dashboard/flows/{flow_id}/actions", {"actions": json.dumps(actions)})
    assert saved.status_code == 303
    made = tenant.get(f"/flows/{flow_id}").json()["data"]
    assert made["version"] == 2 and made["actions"][0]["mapping"]["firstName"] == "data.x"

    wrong = [
        {**actions[0], "operation": "no.such.operation"},
        {**actions[0], "mapping": {"email": "data.[broken"}},
    ]
    refused = owner.post(f"/dashboard/flows/{flow_id}/actions", {"actions": json.dumps(wrong)})
    assert refused.status_code == 400
    assert "actions.0.operation" in refused.text and "actions.1.mapping.email" in refused.text
    assert "no.such.operation" in refused.text  # the text sent, kept
    assert tenant.get(f"/flows/{flow_id}").json()["data"]["version"] == 2
    broken = owner.post(f"/dashboard/flows/{flow_id}/actions", {"actions": "[{"})
    assert broken.status_code == 400 and "actions: is not JSON" in broken.text

    # refused template choices: no such template, no connection of the kind it needs
    no_template = owner.post("/dashboard/flows", {"template": "nothing"})
    assert no_template.status_code == 400 and "names no template" in no_template.text
    no_connection = owner.post("/dashboard/flows", {"template": "contact-to-highlevel"})
    assert no_connection.status_code == 400 and "actions.0.connection_id" in no_connection.text

    assert owner.post(f"/dashboard/flows/{flow_id}/enabled", {"enabled": "1"}).status_code == 303
    assert tenant.get(f"/flows/{flow_id}").json()["data"]["enabled"] is True
    assert owner.post(f"/dashboard/flows/{flow_id}/enabled", {"enabled": "0"}).status_code == 303
    assert tenant.get(f"/flows/{flow_id}").json()["data"]["enabled"] is False
    assert owner.post(f"/dashboard/flows/{flow_id}/delete").status_code == 303


def test_the_run_history_and_a_run_with_its_steps(tenant: Tenant, owner: Browser) -> None:
    assert "No runs" in owner.get("/dashboard/runs").text
    connection_id = created_id(
        owner.post(
            "/dashboard/connections",
            {"kind": "rolodex", "name": "Peer", "base_url": "https://r.invalid/a", "api_key": KEY},
        )
    )
    flow_id = add_flow(tenant, connection_id, name="To the peer")
    other_flow = add_flow(tenant, connection_id, name="Another")
    good = add_run(tenant, flow_id, connection_id)
    bad = add_run(tenant, flow_id, connection_id, error="The remote answered 422: email taken")
    elsewhere = add_run(tenant, other_flow, connection_id)

    listed = owner.get("/dashboard/runs").text
    assert all(run in listed for run in (good, bad, elsewhere))
    assert "To the peer" in listed and "email taken" in listed
    only = owner.get(f"/dashboard/runs?flow_id={flow_id}").text
    assert good in only and bad in only and elsewhere not in only
    failed = owner.get("/dashboard/runs?status=failed").text
    assert bad in failed and good not in failed
    assert good in owner.get("/dashboard/runs?status=nonsense").text  # unknown: no filter

    page = owner.get(f"/dashboard/runs/{bad}")
    assert page.status_code == 200
    text = page.text
    assert "failed" in text and "email taken" in text and "To the peer" in text
    assert "POST https://remote.invalid/api/v1/contacts" in text and "HTTP 201" in text
    assert "contacts.create" in text and "Peer" in text
    flow_page = owner.get(f"/dashboard/flows/{flow_id}").text
    assert f'href="/dashboard/runs?flow_id={flow_id}"' in flow_page
    assert owner.get("/dashboard/runs/run_00000000000000000000000000").status_code == 404
