"""A signed-in browser for the dashboard's tests, over the app's test client.

The suite's test client is shared, and so is its cookie jar: every helper here starts
from an empty jar and leaves it empty.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from rolodex.runs.service import add_step, finish_run, start_run, step_request
from tests.conftest import PASSWORD, Tenant

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of a page's forms."""
    found = TOKEN.search(html)
    assert found, "the page has no form token"
    return found.group(1)


@dataclass
class Browser:
    """One browser: its cookies, signed in as one user."""

    client: TestClient
    email: str
    cookies: httpx.Cookies
    token: str = ""

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.client.cookies = self.cookies
        try:
            response = self.client.request(method, path, follow_redirects=False, **kwargs)
        finally:
            self.cookies = httpx.Cookies(self.client.cookies)
            self.client.cookies.clear()
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token)
        return self.request("POST", path, data=form, **kwargs)

    def sign_in(self, password: str = PASSWORD) -> httpx.Response:
        page = self.get("/dashboard/login")
        response = self.post(
            "/dashboard/login",
            {"csrf_token": csrf_of(page.text), "email": self.email, "password": password},
            csrf=False,
        )
        if response.status_code == 303:
            self.token = csrf_of(self.get("/dashboard/contacts/new").text)
        return response

    def plant(self, value: str) -> None:
        """Make the browser send this session cookie, whatever it had."""
        self.cookies.delete("rdx_session")
        self.cookies.set("rdx_session", value, domain="testserver.local", path="/dashboard")

    @property
    def session_cookie(self) -> str | None:
        return self.cookies.get("rdx_session")


@pytest.fixture
def browser_for(client: TestClient) -> Iterator[Callable[[str], Browser]]:
    """Browsers signed in as the given email (with the suite's password)."""
    client.cookies.clear()

    def make(email: str, *, sign_in: bool = True) -> Browser:
        browser = Browser(client, email, httpx.Cookies())
        if sign_in:
            assert browser.sign_in().status_code == 303
        return browser

    yield make
    client.cookies.clear()


@pytest.fixture
def owner(tenant: Tenant, browser_for: Callable[..., Browser]) -> Browser:
    """The tenant's owner (staff), signed in."""
    return browser_for(tenant.email)


def add_user(tenant: Tenant, role: str = "member", staff: bool = False) -> tuple[str, str]:
    """A user of the tenant who can sign in; (id, email)."""
    email = f"{role}-{secrets.token_hex(5)}@example.com"
    response = tenant.post(
        "/users", json={"email": email, "password": PASSWORD, "role": role, "staff": staff}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"], email


def records_of(tenant: Tenant) -> dict[str, str]:
    """One record of every kind a dashboard path names, made through the API; the path
    parameter's name → the id."""
    company = tenant.post("/companies", json={"name": "Walk GmbH"}).json()["data"]
    endpoint = tenant.post(
        "/webhooks", json={"url": "https://example.com/walk", "events": ["*"]}
    ).json()["data"]
    contact = tenant.post(
        "/contacts", json={"first_name": "Walk", "company_id": company["id"], "tags": ["w"]}
    ).json()["data"]
    task = tenant.post(f"/contacts/{contact['id']}/tasks", json={"title": "Walk"}).json()["data"]
    deliveries = tenant.get(f"/webhooks/{endpoint['id']}/deliveries").json()["data"]
    user_id, _ = add_user(tenant)
    key = tenant.post("/api-keys", json={"name": "walk"}).json()["data"]
    connection_id = add_connection(tenant)
    flow_id = add_flow(tenant, connection_id)
    return {
        "connection_id": connection_id,
        "flow_id": flow_id,
        "run_id": add_run(tenant, flow_id, connection_id),
        "sync_id": add_sync(tenant, connection_id),
        "contact_id": contact["id"],
        "company_id": company["id"],
        "task_id": task["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": deliveries[0]["id"],
        "user_id": user_id,
        "key_id": key["id"],
    }


def add_connection(tenant: Tenant) -> str:
    """A connection of the tenant to another Rolodex (never called by these tests)."""
    remote = {
        "kind": "rolodex",
        "base_url": "https://remote.invalid/api/v1",
        "credentials": {"api_key": "remote-key"},
    }
    response = tenant.post("/connections", json=remote)
    assert response.status_code == 201, response.text
    connection_id: str = response.json()["data"]["id"]
    return connection_id


def add_sync(tenant: Tenant, connection_id: str, obj: str = "contacts") -> str:
    """A disabled sync of the tenant's connection (it never runs unless asked)."""
    body = {"connection_id": connection_id, "object": obj, "enabled": False}
    response = tenant.post("/syncs", json=body)
    assert response.status_code == 201, response.text
    sync_id: str = response.json()["data"]["id"]
    return sync_id


def add_flow(tenant: Tenant, connection_id: str, name: str = "Walk flow") -> str:
    """A disabled flow of the tenant (it never runs): new contacts to the connection."""
    flow = {
        "name": name,
        "enabled": False,
        "trigger": {"connection_id": None, "event": "contact.created"},
        "actions": [
            {
                "connection_id": connection_id,
                "operation": "contacts.create",
                "mapping": {"first_name": "data.first_name", "email": "data.email"},
            }
        ],
    }
    response = tenant.post("/flows", json=flow)
    assert response.status_code == 201, response.text
    flow_id: str = response.json()["data"]["id"]
    return flow_id


def add_run(tenant: Tenant, flow_id: str, connection_id: str, *, error: str | None = None) -> str:
    """A finished run of the flow with one step, as a worker would have written it (no
    job: nothing is queued)."""

    async def work(session: Any) -> str:
        run = await start_run(
            session,
            tenant.account_id,
            "flow",
            trigger={"event_id": "evt_walk", "type": "contact.created"},
            owner_id=flow_id,
            owner_version=1,
            connection_id=connection_id,
        )
        add_step(
            run,
            "contacts.create",
            action=0,
            connection_id=connection_id,
            status="failed" if error else "succeeded",
            request=step_request("POST", "https://remote.invalid/api/v1/contacts", 201, 12),
            result=None if error else {"id": "cnt_remote"},
            error=error,
        )
        await finish_run(session, run, "failed" if error else "succeeded", error=error)
        return str(run.id)

    run_id: str = tenant.run(work)
    return run_id
