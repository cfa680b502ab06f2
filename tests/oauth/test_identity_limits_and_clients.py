"""Login and token rate limits, the /oauth-clients API, and impersonation through OAuth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rolodex.app import create_app
from rolodex.config import Settings
from rolodex.oauth.models import OAuthToken
from tests.api.test_rate_limits import app_client
from tests.oauth.helpers import BASE, REDIRECT_URI, authorize, code_for, exchange_code, register

TOKEN = f"{BASE}/oauth/token"
WINDOW = 60  # seconds: every limit below is "N/60"


def assert_retry_after(response: Any) -> None:
    """A 429 tells when its window lets the next request through: within the window, as
    the rate-limit reset says."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= WINDOW
    assert response.headers["x-ratelimit-reset"] == str(retry_after)


def test_sign_in_attempts_are_limited_per_ip_and_email(settings: Settings, tenant) -> None:
    registered = register(tenant)
    with app_client(settings, login_rate_limit="3/60") as client:
        params = {
            "response_type": "code",
            "client_id": registered.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "contacts.readonly",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
        statuses = [
            authorize(client, BASE, params, email=tenant.email, password="wrong").status_code
            for _ in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        # even the right password is refused until the window passes
        blocked = authorize(client, BASE, params, email=tenant.email)
        assert_retry_after(blocked)
        assert "code=" not in blocked.headers.get("location", "")
        # another email from the same address has its own budget
        other = authorize(client, BASE, params, email="someone@example.com", password="x")
        assert other.status_code == 401


def test_token_requests_are_limited_per_client_in_the_oauth_error_form(
    settings: Settings, tenant
) -> None:
    registered = register(tenant)
    auth = (registered.client_id, registered.client_secret)
    with app_client(settings, token_rate_limit="2/60") as client:
        answers = [
            client.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"}, auth=auth)
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [400, 400, 429]
        limited = answers[-1]
        assert limited.json()["error"] == "temporarily_unavailable"
        assert "error_description" in limited.json()
        assert_retry_after(limited)
        other = register(tenant)
        fine = client.post(
            TOKEN,
            data={"grant_type": "authorization_code", "code": "x"},
            auth=(other.client_id, other.client_secret),
        )
        assert fine.status_code == 400  # its own budget


PEER_HEADER = b"x-test-peer-address"


@contextmanager
def from_two_addresses(
    settings: Settings, **changes: object
) -> Iterator[tuple[Callable[..., Any], Callable[..., Any]]]:
    """``post`` functions of one app (so one set of counters) calling from two addresses.

    A test client always calls from the same address; here a header of the test's own
    sets the address the app sees, as a proxy the app trusts would."""
    app = create_app(settings.model_copy(update=changes))

    async def peer_from_header(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == PEER_HEADER:
                    scope = {**scope, "client": (value.decode(), 40000)}
        await app(scope, receive, send)

    with TestClient(peer_from_header, raise_server_exceptions=False) as client:

        def poster(address: str) -> Callable[..., Any]:
            def post(url: str, **kwargs: Any) -> Any:
                return client.post(url, headers={PEER_HEADER.decode(): address}, **kwargs)

            return post

        yield poster("203.0.113.7"), poster("198.51.100.2")


def test_failed_client_authentications_count_per_address_not_against_the_client(
    settings: Settings, tenant
) -> None:
    registered = register(tenant)
    right = (registered.client_id, registered.client_secret)
    wrong = (registered.client_id, "rdx_cs_wrong")
    body = {"grant_type": "authorization_code", "code": "x"}
    with from_two_addresses(settings, token_rate_limit="3/60") as (guesser, owner):
        guesses = [guesser(TOKEN, data=body, auth=wrong) for _ in range(4)]
        assert [g.status_code for g in guesses] == [401, 401, 401, 429]
        assert guesses[0].json()["error"] == "invalid_client"
        assert guesses[-1].json()["error"] == "temporarily_unavailable"
        assert_retry_after(guesses[-1])
        # an address past its budget is refused even the right secret: guessing stays slow
        assert guesser(TOKEN, data=body, auth=right).status_code == 429
        unknown = guesser(TOKEN, data={**body, "client_id": "ocl_x", "client_secret": "y"})
        assert unknown.status_code == 429
        # the client itself, from its own address, has its whole budget: nobody spent it
        answers = [owner(TOKEN, data=body, auth=right) for _ in range(4)]
        assert [a.status_code for a in answers] == [400, 400, 400, 429]
        assert answers[0].json()["error"] == "invalid_grant"  # authenticated, then refused


def test_a_client_over_its_limit_gets_429_and_nothing_is_issued(settings: Settings, tenant) -> None:
    registered = register(
        tenant, grant_types=["client_credentials"], redirect_uris=[], scopes=["contacts.readonly"]
    )
    auth = (registered.client_id, registered.client_secret)
    with app_client(settings, token_rate_limit="2/60") as client:
        answers = [
            client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 429]
        limited = answers[-1]
        assert limited.json()["error"] == "temporarily_unavailable"
        assert_retry_after(limited)
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert limited.headers["cache-control"] == "no-store"
    assert tokens_of(tenant, registered.client_id) == 2  # the refused one issued nothing


def test_a_refused_refresh_does_not_spend_the_refresh_token(settings: Settings, tenant) -> None:
    registered = register(tenant)
    auth = (registered.client_id, registered.client_secret)
    with app_client(settings, token_rate_limit="2/60") as client:
        code, verifier = code_for(client, BASE, tenant, registered)
        first = exchange_code(client, registered, code, verifier).json()
        refresh = {"grant_type": "refresh_token"}
        second = client.post(
            TOKEN, data={**refresh, "refresh_token": first["refresh_token"]}, auth=auth
        )
        assert second.status_code == 200, second.text
        refused = client.post(
            TOKEN, data={**refresh, "refresh_token": second.json()["refresh_token"]}, auth=auth
        )
        assert refused.status_code == 429
    # a later window (here: a fresh process) takes the same refresh token as if never sent
    with app_client(settings, token_rate_limit="2/60") as client:
        third = client.post(
            TOKEN, data={**refresh, "refresh_token": second.json()["refresh_token"]}, auth=auth
        )
        assert third.status_code == 200, third.text
        access = third.json()["access_token"]
        listed = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {access}"})
        assert listed.status_code == 200


def tokens_of(tenant, client_id: str) -> int:
    async def work(session: Any) -> int:
        count = await session.scalar(
            select(func.count()).select_from(OAuthToken).where(OAuthToken.client_id == client_id)
        )
        return int(count)

    result: int = tenant.run(work)
    return result


def test_login_and_token_limit_settings_are_validated() -> None:
    assert Settings().login_rate_limit == "10/300"
    assert Settings().oauth_access_token_seconds == 3600
    with pytest.raises(ValueError):
        Settings(token_rate_limit="often")


# --- /oauth-clients ----------------------------------------------------------------------


def test_client_secret_is_shown_once_and_never_stored_or_audited(tenant) -> None:
    registered = register(tenant)
    assert registered.client_secret and registered.client_secret.startswith("rdx_cs_")
    listed = tenant.get("/oauth-clients").json()["data"]
    assert [c["id"] for c in listed] == [registered.client_id]
    shown = tenant.get(f"/oauth-clients/{registered.client_id}")
    for text in (str(listed), shown.text):
        assert registered.client_secret not in text and "secret" not in text
    audit = tenant.get("/audit-log", params={"resource_id": registered.client_id}).json()["data"]
    assert audit and "secret" not in str(audit)


def test_members_cannot_register_or_delete_clients(tenant) -> None:
    registered = register(tenant)
    _, member_key = tenant.add_user()
    body = {"name": "x", "redirect_uris": [REDIRECT_URI], "scopes": ["contacts.readonly"]}
    assert tenant.post("/oauth-clients", json=body, key=member_key).status_code == 403
    response = tenant.delete(f"/oauth-clients/{registered.client_id}", key=member_key)
    assert response.status_code == 403
    assert tenant.get(f"/oauth-clients/{registered.client_id}").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uris": ["http://example.com/cb"]},
        {"redirect_uris": ["https://example.com/cb#frag"]},
        {"redirect_uris": ["javascript:alert(1)"]},
        {"redirect_uris": ["/relative"]},
        {"redirect_uris": ["https://user:pass@example.com/cb"]},
        {"redirect_uris": ["https://user@example.com/cb"]},
        {"redirect_uris": ["http://user:pass@127.0.0.1:9/cb"]},
        {"redirect_uris": []},
        {"scopes": []},
        {"scopes": ["contacts.admin"]},
        {"scopes": ["api_keys.write"]},
        {"client_type": "public", "grant_types": ["client_credentials"]},
        {"grant_types": ["implicit"]},
    ],
)
def test_invalid_client_registrations_are_400(tenant, change) -> None:
    body = {
        "name": "x",
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["contacts.readonly"],
        **change,
    }
    response = tenant.post("/oauth-clients", json=body)
    assert response.status_code == 400, response.text
    fields = {d.get("field") for d in response.json()["error"].get("details") or []}
    if change.get("redirect_uris"):
        assert fields == {"redirect_uris.0"}, response.text


def test_an_oauth_token_cannot_manage_credentials(client, tenant) -> None:
    registered = register(tenant, scopes=["contacts.write", "users.write"])
    code, verifier = code_for(client, BASE, tenant, registered, scope="contacts.write users.write")
    token = exchange_code(client, registered, code, verifier).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.post("/api/v1/api-keys", json={"name": "x"}, headers=headers).status_code == 403
    assert client.get("/api/v1/oauth-clients", headers=headers).status_code == 403


# --- impersonation through an OAuth token -------------------------------------------------


def _token(client, tenant, scope: str) -> str:
    registered = register(tenant, scopes=[scope])
    code, verifier = code_for(client, BASE, tenant, registered, scope=scope)
    response = exchange_code(client, registered, code, verifier)
    token: str = response.json()["access_token"]
    return token


def test_impersonation_with_a_token_is_recorded_as_such(client, tenant, make_tenant) -> None:
    member_id, _ = tenant.add_user()
    token = _token(client, tenant, "contacts.write")  # the owner is staff
    headers = {"Authorization": f"Bearer {token}", "X-IMPERSONATE-USER-ID": member_id}
    contact = tenant.post("/contacts", json={"first_name": "Ada"}).json()["data"]
    as_owner = client.post(
        f"/api/v1/contacts/{contact['id']}/notes",
        json={"body": "as someone else", "author_id": tenant.user_id},
        headers=headers,
    )
    assert as_owner.status_code == 403  # "as oneself" fields: only by impersonating them
    note = client.post(
        f"/api/v1/contacts/{contact['id']}/notes", json={"body": "as the member"}, headers=headers
    )
    assert note.status_code == 201, note.text
    assert note.json()["data"]["author_id"] == member_id  # author only by impersonating
    row = tenant.get("/audit-log", params={"resource_id": note.json()["data"]["id"]}).json()
    entry = row["data"][0]
    assert entry["user_id"] == member_id and entry["impersonator_id"] == tenant.user_id
    assert entry["credential_kind"] == "oauth"
    other = make_tenant()
    headers["X-IMPERSONATE-USER-ID"] = other.user_id
    assert client.get("/api/v1/contacts", headers=headers).status_code == 404


def test_impersonation_needs_staff_also_with_a_token(client, tenant) -> None:
    _, admin_key = tenant.add_user(role="admin", staff=False)
    admin_email = tenant.get("/users", params={"role": "admin"}).json()["data"][0]["email"]
    assert (
        tenant.patch(
            f"/users/{tenant.get('/users', params={'role': 'admin'}).json()['data'][0]['id']}",
            json={"password": "admin-password-1"},
        ).status_code
        == 200
    )
    registered = register(tenant, scopes=["contacts.readonly"])
    from tests.oauth.helpers import pkce_pair, redirect_params

    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "contacts.readonly",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = redirect_params(
        authorize(client, BASE, params, email=admin_email, password="admin-password-1")
    )
    token = client.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(registered.client_id, registered.client_secret),
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-IMPERSONATE-USER-ID": tenant.user_id}
    response = client.get("/api/v1/contacts", headers=headers)
    assert response.status_code == 403
    assert admin_key
