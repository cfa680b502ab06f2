"""The OAuth 2.0 server end to end: a real `rolodex serve` process, Authlib's httpx
client as the application, and an httpx client as the user's browser on the consent page.

Covers the authorization code grant with PKCE (confidential and public clients), token
refresh with rotation, reuse detection that revokes the whole family, revocation (RFC
7009), introspection (RFC 7662), the client credentials grant and the metadata (RFC 8414).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from tests.conftest import LiveServer, Tenant, start_server
from tests.oauth.helpers import REDIRECT_URI, authorize, register

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("oauth-live")) as live:
        yield live


def cli_client(server: LiveServer, tenant: Tenant, *args: str) -> dict[str, str]:
    """Register a client with `rolodex oauth-client create`."""
    result = server.cli(
        "oauth-client",
        "create",
        "--email",
        tenant.email,
        "--name",
        "Calendar sync",
        "--json",
        *args,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, str] = json.loads(result.stdout)
    return data


def sign_in_and_allow(server: LiveServer, tenant: Tenant, url: str) -> str:
    """Be the user: open the authorization URL, sign in, allow; the redirect's URL."""
    params = dict(httpx.URL(url).params)
    with httpx.Client(timeout=10) as browser:
        response = authorize(browser, server.url, params, email=tenant.email)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return location


def api(server: LiveServer, token: str, path: str = "/users/me") -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_metadata_is_valid_rfc_8414(server: LiveServer) -> None:
    document = httpx.get(f"{server.url}/.well-known/oauth-authorization-server").json()
    AuthorizationServerMetadata(document).validate()
    assert document["issuer"] == server.url
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "contacts.readonly" in document["scopes_supported"]


def test_code_flow_with_pkce_refresh_rotation_reuse_and_revocation(
    server: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    registered = cli_client(
        server,
        tenant,
        "--scope",
        "contacts.write",
        "--scope",
        "users.readonly",
        "--redirect-uri",
        REDIRECT_URI,
    )
    token_url = f"{server.url}/oauth/token"
    client = OAuth2Client(
        registered["client_id"],
        registered["client_secret"],
        scope="contacts.write users.readonly",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        timeout=10,
    )
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        f"{server.url}/oauth/authorize", code_verifier=verifier
    )
    location = sign_in_and_allow(server, tenant, url)
    first = client.fetch_token(
        token_url, authorization_response=location, state=state, code_verifier=verifier
    )
    assert first["token_type"].lower() == "bearer" and first["expires_in"] == 3600
    assert set(first["scope"].split()) == {"contacts.write", "users.readonly"}
    assert first["access_token"].startswith("rdx_at_")

    # the token works, as the user who signed in, within its scopes
    me = client.get(f"{server.url}/api/v1/users/me")
    assert me.status_code == 200 and me.json()["data"]["id"] == tenant.user_id
    created = client.post(f"{server.url}/api/v1/contacts", json={"first_name": "Ada"})
    assert created.status_code == 201
    assert client.get(f"{server.url}/api/v1/companies").status_code == 403

    # refresh: a new access token and a new refresh token (rotation)
    second = client.refresh_token(token_url)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert api(server, second["access_token"]).status_code == 200
    third = client.refresh_token(token_url)
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])

    # reuse of a rotated refresh token: refused, and the whole family is revoked
    with pytest.raises(OAuthError) as reuse:
        client.refresh_token(token_url, refresh_token=first["refresh_token"])
    assert reuse.value.error == "invalid_grant"
    for token in (first, second, third):
        assert api(server, token["access_token"]).status_code == 401
    with pytest.raises(OAuthError) as after:
        client.refresh_token(token_url, refresh_token=third["refresh_token"])
    assert after.value.error == "invalid_grant"

    # a new authorization: introspection, then revoking a refresh token (RFC 7009)
    fresh = authorized(server, tenant, client)
    introspect_url = f"{server.url}/oauth/introspect"
    active = client.introspect_token(introspect_url, token=fresh["access_token"]).json()
    assert active["active"] is True and active["sub"] == tenant.user_id
    assert active["client_id"] == registered["client_id"]
    newer = client.refresh_token(token_url, refresh_token=fresh["refresh_token"])
    revoke_url = f"{server.url}/oauth/revoke"
    revoked = client.revoke_token(
        revoke_url, token=newer["refresh_token"], token_type_hint="refresh_token"
    )
    assert revoked.status_code == 200
    for token in (fresh, newer):  # the family went with it
        assert api(server, token["access_token"]).status_code == 401
    inactive = client.introspect_token(introspect_url, token=newer["access_token"]).json()
    assert inactive == {"active": False}

    # revoking an access token ends it, and the refresh token issued with it
    another = authorized(server, tenant, client)
    revoked = client.revoke_token(
        revoke_url, token=another["access_token"], token_type_hint="access_token"
    )
    assert revoked.status_code == 200
    assert api(server, another["access_token"]).status_code == 401
    with pytest.raises(OAuthError) as refused:
        client.refresh_token(token_url, refresh_token=another["refresh_token"])
    assert refused.value.error == "invalid_grant"


def authorized(server: LiveServer, tenant: Tenant, client: OAuth2Client) -> dict[str, str]:
    """A token of a complete authorization-code flow with PKCE."""
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        f"{server.url}/oauth/authorize", code_verifier=verifier
    )
    location = sign_in_and_allow(server, tenant, url)
    token: dict[str, str] = client.fetch_token(
        f"{server.url}/oauth/token",
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    return token


def test_public_client_uses_pkce_without_a_secret(
    server: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    registered = register(tenant, client_type="public", scopes=["contacts.readonly"])
    assert registered.client_secret is None
    client = OAuth2Client(
        registered.client_id,
        token_endpoint_auth_method="none",
        scope="contacts.readonly",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        timeout=10,
    )
    verifier = secrets.token_urlsafe(48)
    url, state = client.create_authorization_url(
        f"{server.url}/oauth/authorize", code_verifier=verifier
    )
    location = sign_in_and_allow(server, tenant, url)
    token = client.fetch_token(
        f"{server.url}/oauth/token",
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    assert client.get(f"{server.url}/api/v1/contacts").status_code == 200
    assert client.post(f"{server.url}/api/v1/contacts", json={"first_name": "x"}).status_code == 403
    rotated = client.refresh_token(f"{server.url}/oauth/token")
    assert rotated["refresh_token"] != token["refresh_token"]


def test_client_credentials_grant(server: LiveServer, make_tenant: Callable[[], Tenant]) -> None:
    tenant = make_tenant()
    registered = cli_client(
        server, tenant, "--scope", "companies.write", "--grant-type", "client_credentials"
    )
    client = OAuth2Client(
        registered["client_id"], registered["client_secret"], scope="companies.write", timeout=10
    )
    token = client.fetch_token(f"{server.url}/oauth/token", grant_type="client_credentials")
    assert "refresh_token" not in token
    created = client.post(f"{server.url}/api/v1/companies", json={"name": "Acme"})
    assert created.status_code == 201, created.text
    audit = tenant.get("/audit-log", params={"resource_id": created.json()["data"]["id"]})
    row = audit.json()["data"][0]
    assert row["credential_id"] == registered["client_id"]
    assert row["user_id"] == tenant.user_id
