"""Bad input to every OAuth endpoint gets the error RFC 6749 (and 7009, 7636, 7662)
specifies, and nothing is issued: no code, no token."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from rolodex.oauth.models import OAuthCode, OAuthToken
from tests.oauth.helpers import (
    BASE,
    REDIRECT_URI,
    Registered,
    authorize,
    code_for,
    consent_form,
    pkce_pair,
    redirect_params,
    register,
)

TOKEN = f"{BASE}/oauth/token"


def counts(tenant) -> tuple[int, int]:
    """(codes, tokens) of the tenant's account."""

    async def work(session: Any) -> tuple[int, int]:
        codes = await session.scalar(
            select(func.count()).where(OAuthCode.account_id == tenant.account_id)
        )
        tokens = await session.scalar(
            select(func.count()).where(OAuthToken.account_id == tenant.account_id)
        )
        return int(codes), int(tokens)

    result: tuple[int, int] = tenant.run(work)
    return result


def exchange(client, registered: Registered, code: str, verifier: str | None, **extra: Any):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    return client.post(TOKEN, data=data, auth=(registered.client_id, registered.client_secret))


def assert_oauth_error(response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "access_token" not in response.text


def params_for(registered: Registered, **extra: str) -> dict[str, str]:
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "contacts.readonly",
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v != ""}


# --- the authorization endpoint ----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": ""}, "invalid_client"),
        ({"client_id": "ocl_01jd6w3q0000000000000000aa"}, "invalid_client"),
        ({"client_id": "not-an-id"}, "invalid_client"),
        ({"redirect_uri": "http://127.0.0.1:9/other"}, "invalid_request"),
        ({"redirect_uri": "https://evil.example/callback"}, "invalid_request"),
        ({"redirect_uri": REDIRECT_URI + "/"}, "invalid_request"),
        ({"redirect_uri": "::not a uri::"}, "invalid_request"),
    ],
    ids=[
        "missing-client",
        "unknown-client",
        "malformed-client",
        "unregistered-redirect",
        "foreign-redirect",
        "redirect-not-exact",
        "malformed-redirect",
    ],
)
def test_no_redirect_when_the_client_or_redirect_uri_is_wrong(
    client, tenant, change, error
) -> None:
    registered = register(tenant)
    response = client.get(f"{BASE}/oauth/authorize", params=params_for(registered, **change))
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert error in response.text
    assert counts(tenant) == (0, 0)


def test_missing_redirect_uri_is_refused_when_several_are_registered(client, tenant) -> None:
    registered = register(tenant, redirect_uris=[REDIRECT_URI, "http://127.0.0.1:9/two"])
    response = client.get(f"{BASE}/oauth/authorize", params=params_for(registered, redirect_uri=""))
    assert response.status_code == 400 and "location" not in response.headers
    single = register(tenant)
    page = client.get(f"{BASE}/oauth/authorize", params=params_for(single, redirect_uri=""))
    assert page.status_code == 200  # the only one registered is the default


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "unsupported_response_type"),
        ({"scope": "contacts.readonly companies.write"}, "invalid_scope"),
        ({"scope": "no.such"}, "invalid_scope"),
        ({"scope": "api_keys.write"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
    ],
    ids=[
        "implicit",
        "no-response-type",
        "scope-not-registered",
        "unknown-scope",
        "ungrantable-scope",
        "plain-pkce",
        "malformed-challenge",
    ],
)
def test_errors_after_a_valid_redirect_uri_go_back_to_the_client(
    client, tenant, change, error
) -> None:
    registered = register(tenant, scopes=["contacts.readonly"])
    response = client.get(
        f"{BASE}/oauth/authorize",
        params=params_for(registered, **change),
        follow_redirects=False,
    )
    answer = redirect_params(response)
    assert answer["error"] == error
    assert answer["state"] == "st4te"
    assert "code" not in answer
    assert counts(tenant) == (0, 0)


def test_public_client_must_use_pkce(client, tenant) -> None:
    registered = register(tenant, client_type="public")
    params = params_for(registered, code_challenge="", code_challenge_method="")
    response = client.get(f"{BASE}/oauth/authorize", params=params, follow_redirects=False)
    assert redirect_params(response)["error"] == "invalid_request"


def test_denying_redirects_with_access_denied(client, tenant) -> None:
    registered = register(tenant)
    response = authorize(client, BASE, params_for(registered), email="", decision="deny")
    answer = redirect_params(response)
    assert answer == {"error": "access_denied", "state": "st4te"} | (
        {"error_description": answer["error_description"]} if "error_description" in answer else {}
    )
    assert counts(tenant) == (0, 0)


def test_wrong_password_or_other_account_issues_no_code(client, tenant, make_tenant) -> None:
    registered = register(tenant)
    params = params_for(registered)
    wrong = authorize(client, BASE, params, email=tenant.email, password="wrong-password")
    assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
    other = make_tenant()  # a real user with the right password, of another account
    foreign = authorize(client, BASE, params, email=other.email)
    assert foreign.status_code == 401
    assert counts(tenant) == (0, 0)


def test_the_form_needs_its_csrf_token(client, tenant) -> None:
    registered = register(tenant)
    params = params_for(registered)
    consent_form(client, BASE, params)
    for token in ("", "0" * 64):
        response = client.post(
            f"{BASE}/oauth/authorize",
            params=params,
            data={"csrf_token": token, "email": tenant.email, "password": "x", "decision": "allow"},
            follow_redirects=False,
        )
        assert response.status_code == 403
    assert counts(tenant) == (0, 0)


def test_the_consent_page_shows_the_client_and_scopes_and_cannot_be_framed(client, tenant) -> None:
    registered = register(tenant, name="Calendar <sync>")
    page, csrf = consent_form(client, BASE, params_for(registered))
    assert "Calendar &lt;sync&gt;" in page.text and "contacts.readonly" in page.text
    assert csrf and page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_the_consent_page_is_never_sniffed_cached_or_referred(client, tenant) -> None:
    page, _ = consent_form(client, BASE, params_for(register(tenant)))
    assert page.status_code == 200
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


# --- the token endpoint -----------------------------------------------------------------


@pytest.fixture
def issued(client, tenant) -> tuple[Registered, str, str]:
    """A confidential client and a fresh code for it, with its PKCE verifier."""
    registered = register(tenant)
    code, verifier = code_for(client, BASE, tenant, registered)
    return registered, code, verifier


def test_wrong_code_verifier_is_invalid_grant(client, tenant, issued) -> None:
    registered, code, verifier = issued
    assert_oauth_error(exchange(client, registered, code, "x" * 50), "invalid_grant")
    assert_oauth_error(exchange(client, registered, code, None), "invalid_request")
    assert_oauth_error(exchange(client, registered, code, "bad!"), "invalid_request")
    assert counts(tenant)[1] == 0
    assert exchange(client, registered, code, verifier).status_code == 200  # still usable


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"redirect_uri": "http://127.0.0.1:9/other"}, "invalid_grant"),
        ({"redirect_uri": ""}, "invalid_grant"),
        ({"code": "not-a-code"}, "invalid_grant"),
        ({"code": ""}, "invalid_grant"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": ""}, "invalid_request"),
    ],
    ids=[
        "wrong-redirect",
        "missing-redirect",
        "unknown-code",
        "empty-code",
        "password",
        "no-grant",
    ],
)
def test_bad_token_requests(client, tenant, issued, change, error) -> None:
    registered, code, verifier = issued
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **change,
    }
    data = {k: v for k, v in data.items() if v != "" or k == "code"}
    response = client.post(TOKEN, data=data, auth=(registered.client_id, registered.client_secret))
    assert_oauth_error(response, error)
    assert counts(tenant)[1] == 0


def test_a_code_exchange_cannot_widen_the_scope(client, tenant, issued) -> None:
    registered, code, verifier = issued
    response = exchange(client, registered, code, verifier, scope="contacts.write")
    assert response.status_code == 200
    assert response.json()["scope"] == "contacts.readonly"  # what the user granted


def test_a_refresh_cannot_widen_the_scope(client, tenant, issued) -> None:
    registered, code, verifier = issued
    token = exchange(client, registered, code, verifier).json()
    response = client.post(
        TOKEN,
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "scope": "contacts.readonly contacts.write",
        },
        auth=(registered.client_id, registered.client_secret),
    )
    assert_oauth_error(response, "invalid_scope")


def test_missing_code_is_invalid_request(client, tenant, issued) -> None:
    registered, _, verifier = issued
    response = client.post(
        TOKEN,
        data={
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(registered.client_id, registered.client_secret),
    )
    assert_oauth_error(response, "invalid_request")


@pytest.mark.parametrize(
    "how", ["wrong-secret", "no-auth", "other-client-secret", "unknown-client"]
)
def test_bad_client_authentication_is_invalid_client(client, tenant, issued, how) -> None:
    registered, code, verifier = issued
    other = register(tenant)
    auth = {
        "wrong-secret": (registered.client_id, "rdx_cs_wrong"),
        "no-auth": None,
        "other-client-secret": (registered.client_id, other.client_secret),
        "unknown-client": ("ocl_01jd6w3q0000000000000000aa", registered.client_secret),
    }[how]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    if how == "no-auth":
        data["client_id"] = registered.client_id
    response = client.post(TOKEN, data=data, auth=auth)
    # RFC 6749 5.2: 401 naming the scheme to authenticate with
    assert_oauth_error(response, "invalid_client", 401)
    assert response.headers["www-authenticate"].startswith('Basic error="invalid_client"')
    assert counts(tenant)[1] == 0


def test_code_of_another_client_is_invalid_grant(client, tenant, issued) -> None:
    _, code, verifier = issued
    other = register(tenant)
    assert_oauth_error(exchange(client, other, code, verifier), "invalid_grant")
    assert counts(tenant)[1] == 0


def test_replayed_code_is_refused_and_revokes_what_it_issued(client, tenant, issued) -> None:
    registered, code, verifier = issued
    first = exchange(client, registered, code, verifier)
    assert first.status_code == 200
    access = first.json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    assert_oauth_error(exchange(client, registered, code, verifier), "invalid_grant")
    assert client.get("/api/v1/contacts", headers=headers).status_code == 401
    refresh = client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]},
        auth=(registered.client_id, registered.client_secret),
    )
    assert_oauth_error(refresh, "invalid_grant")
    assert counts(tenant)[1] == 1


def test_expired_code_is_invalid_grant(client, tenant, issued) -> None:
    from sqlalchemy import update

    from rolodex.db import utcnow

    registered, code, verifier = issued

    async def expire(session: Any) -> None:
        await session.execute(
            update(OAuthCode)
            .where(OAuthCode.account_id == tenant.account_id)
            .values(expires_at=utcnow())
        )

    tenant.run(expire)
    assert_oauth_error(exchange(client, registered, code, verifier), "invalid_grant")


def test_form_rules_of_the_token_endpoint(client, tenant, issued) -> None:
    registered, code, verifier = issued
    auth = (registered.client_id, registered.client_secret)
    as_json = client.post(TOKEN, json={"grant_type": "authorization_code", "code": code}, auth=auth)
    assert_oauth_error(as_json, "invalid_request")
    twice = client.post(
        TOKEN,
        content=f"grant_type=authorization_code&code={code}&code={code}&code_verifier={verifier}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=auth,
    )
    assert_oauth_error(twice, "invalid_request")
    assert counts(tenant)[1] == 0


def test_client_credentials_rules(client, tenant) -> None:
    code_only = register(tenant)
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(code_only.client_id, code_only.client_secret),
    )
    assert_oauth_error(response, "unauthorized_client")
    machine = register(
        tenant, grant_types=["client_credentials"], redirect_uris=[], scopes=["contacts.readonly"]
    )
    response = client.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "contacts.write"},
        auth=(machine.client_id, machine.client_secret),
    )
    assert_oauth_error(response, "invalid_scope")
    public = register(tenant, client_type="public")
    response = client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": public.client_id}
    )
    assert_oauth_error(response, "invalid_client", 401)
    assert counts(tenant)[1] == 0


# --- revocation and introspection --------------------------------------------------------


def test_revocation_and_introspection_errors(client, tenant, issued) -> None:
    registered, code, verifier = issued
    token = exchange(client, registered, code, verifier).json()
    auth = (registered.client_id, registered.client_secret)
    missing = client.post(f"{BASE}/oauth/revoke", data={}, auth=auth)
    assert_oauth_error(missing, "invalid_request")
    hint = client.post(
        f"{BASE}/oauth/revoke", data={"token": "x", "token_type_hint": "id_token"}, auth=auth
    )
    assert_oauth_error(hint, "unsupported_token_type")
    unknown = client.post(f"{BASE}/oauth/revoke", data={"token": "rdx_at_unknown"}, auth=auth)
    assert unknown.status_code == 200  # RFC 7009 2.2: an unknown token is not an error
    other = register(tenant)
    other_auth = (other.client_id, other.client_secret)
    stolen = client.post(
        f"{BASE}/oauth/introspect", data={"token": token["access_token"]}, auth=other_auth
    )
    assert stolen.json() == {"active": False}  # another client learns nothing
    bad = client.post(
        f"{BASE}/oauth/introspect",
        data={"token": token["access_token"]},
        auth=(registered.client_id, "wrong"),
    )
    assert_oauth_error(bad, "invalid_client", 401)
    own = client.post(f"{BASE}/oauth/introspect", data={"token": token["access_token"]}, auth=auth)
    assert own.json()["active"] is True


def test_a_deleted_client_loses_its_tokens(client, tenant, issued) -> None:
    registered, code, verifier = issued
    token = exchange(client, registered, code, verifier).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert client.get("/api/v1/contacts", headers=headers).status_code == 200
    assert tenant.delete(f"/oauth-clients/{registered.client_id}").status_code == 200
    assert client.get("/api/v1/contacts", headers=headers).status_code == 401
    response = client.post(
        TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(registered.client_id, registered.client_secret),
    )
    assert_oauth_error(response, "invalid_client", 401)


def test_a_deactivated_user_loses_tokens(client, tenant, issued) -> None:
    registered, code, verifier = issued
    token = exchange(client, registered, code, verifier).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    second_owner, _ = tenant.add_user(role="owner")
    assert tenant.delete(f"/users/{tenant.user_id}").status_code == 200
    assert client.get("/api/v1/contacts", headers=headers).status_code == 401
    assert second_owner
