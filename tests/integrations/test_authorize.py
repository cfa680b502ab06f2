"""The authorization code flow's own rules, before any token endpoint is reached: what
``POST /connections/{id}/authorize`` answers, and how the callback treats a state that is
unknown, spent, expired, or bound to a user who may no longer finish it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update

from rolodex.accounts.models import User
from rolodex.integrations.models import ConnectionOAuthState
from tests.conftest import API, Tenant
from tests.integrations.conftest import connect

BASE = "http://localhost"
OAUTH = {
    "client_id": "ocl_remote",
    "client_secret": "remote-client-secret-1234",
    "scopes": ["contacts.write"],
}


def start(tenant: Tenant, connection_id: str, key: str | None = None) -> str:
    response = tenant.client.post(
        f"{BASE}{API}/connections/{connection_id}/authorize",
        headers={"X-API-Key": key or tenant.key},
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    url: str = response.json()["data"]["authorize_url"]
    return url


def callback(tenant: Tenant, state: str, **params: str) -> Any:
    return tenant.client.get(
        f"{BASE}/integrations/oauth/callback", params={"state": state, **params}
    )


def test_authorize_answers_the_remotes_url_with_state_and_pkce(tenant: Tenant) -> None:
    made = connect(tenant, base_url="https://crm.invalid/api/v1", oauth=OAUTH, credentials=None)
    url = start(tenant, made["id"])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://crm.invalid/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == "ocl_remote"
    assert query["redirect_uri"] == f"{BASE}/integrations/oauth/callback"
    assert query["scope"] == "contacts.write"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 40
    assert query["state"] not in tenant.get("/audit-log").text

    # an API-key connection has nothing to authorize
    keyed = connect(tenant, base_url="https://crm.invalid/api/v1", credentials={"api_key": "k"})
    refused = tenant.post(f"/connections/{keyed['id']}/authorize")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "UNPROCESSABLE"


def test_a_state_is_used_once_and_only_while_it_lasts(tenant: Tenant) -> None:
    made = connect(tenant, base_url="https://crm.invalid/api/v1", oauth=OAUTH, credentials=None)
    state = parse_qs(urlsplit(start(tenant, made["id"])).query)["state"][0]
    first = callback(tenant, state, code="abc")
    # the state was good; the remote's token endpoint does not resolve
    assert first.status_code == 400 and "token endpoint could not be used" in first.text
    again = callback(tenant, state, code="abc")
    assert again.status_code == 400 and "used already" in again.text
    assert "no-store" in again.headers["Cache-Control"]
    assert callback(tenant, "made-up-state", code="abc").status_code == 400
    assert "unknown" in callback(tenant, "made-up-state", code="abc").text
    assert tenant.client.get(f"{BASE}/integrations/oauth/callback").status_code == 400

    expiring = parse_qs(urlsplit(start(tenant, made["id"])).query)["state"][0]

    async def expire(session: Any) -> None:
        await session.execute(
            update(ConnectionOAuthState)
            .where(ConnectionOAuthState.connection_id == made["id"])
            .values(expires_at=ConnectionOAuthState.created_at)
        )

    tenant.run(expire)
    assert "expired" in callback(tenant, expiring, code="abc").text
    denied = parse_qs(urlsplit(start(tenant, made["id"])).query)["state"][0]
    answer = callback(tenant, denied, error="access_denied")
    assert answer.status_code == 400 and "access_denied" in answer.text
    shown = tenant.get(f"/connections/{made['id']}").json()["data"]
    assert shown["status"] == "needs_auth"


def test_the_state_is_bound_to_its_user_and_connection(tenant: Tenant) -> None:
    admin_id, admin_key = tenant.add_user(role="admin")
    made = connect(tenant, base_url="https://crm.invalid/api/v1", oauth=OAUTH, credentials=None)
    state = parse_qs(urlsplit(start(tenant, made["id"], key=admin_key)).query)["state"][0]

    async def demote(session: Any) -> None:
        await session.execute(update(User).where(User.id == admin_id).values(role="member"))

    tenant.run(demote)
    answer = callback(tenant, state, code="abc")
    assert answer.status_code == 400 and "may no longer" in answer.text

    # a new OAuth client for the connection voids the flows begun with the old one
    other = parse_qs(urlsplit(start(tenant, made["id"])).query)["state"][0]
    changed = tenant.patch(
        f"/connections/{made['id']}", json={"oauth": {**OAUTH, "client_id": "new"}}
    )
    assert changed.status_code == 200
    answer = callback(tenant, other, code="abc")
    assert answer.status_code == 400 and "client changed" in answer.text
