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
from tests.dashboard.conftest import Browser

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
