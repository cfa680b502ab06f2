"""HighLevel's OAuth on Rolodex's OAuth server: the authorization URL leads to the native
consent page, the token endpoint answers in HighLevel's form (and its errors in
HighLevel's error body), and the tokens are Rolodex's own."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import httpx
import pytest

from rolodex.dialects.highlevel.scopes import TO_HIGHLEVEL, TO_ROLODEX, untranslated
from tests.conftest import PASSWORD
from tests.oauth.helpers import BASE, REDIRECT_URI, Registered, redirect_params, register

HL = f"{BASE}/highlevel/oauth"


def choose_location(client: Any, registered: Registered, scope: str, **extra: str) -> Any:
    params = {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        **extra,
    }
    return client.get(f"{HL}/chooselocation", params=params, follow_redirects=False)


def consent_and_allow(client: Any, tenant: Any, registered: Registered, scope: str) -> str:
    """Be the user: HighLevel's URL, on to the consent page, sign in, allow; the code."""
    page = client.get(
        f"{HL}/chooselocation",
        params={
            "response_type": "code",
            "client_id": registered.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": scope,
            "state": "hl-state",
        },
    )
    assert page.status_code == 200, page.text
    assert page.url.path == "/oauth/authorize"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post(
        str(page.url),
        data={
            "csrf_token": csrf.group(1),
            "email": tenant.email,
            "password": PASSWORD,
            "decision": "allow",
        },
        follow_redirects=False,
    )
    params = redirect_params(answer)
    assert params["state"] == "hl-state"
    return params["code"]


def token_form(registered: Registered, **fields: str) -> dict[str, str]:
    form = {
        "client_id": registered.client_id,
        "client_secret": registered.client_secret or "",
        "user_type": "Location",
        "redirect_uri": REDIRECT_URI,
        **fields,
    }
    return {name: value for name, value in form.items() if value is not None}


def assert_highlevel_error(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "message", "error"}, body
    assert body["statusCode"] == status
    assert body["error"] == httpx.codes.get_reason_phrase(status)
    assert "access_token" not in response.text
    return body["message"]


def test_every_scope_of_the_table_is_one_rolodex_grants(client) -> None:
    assert untranslated(client.app.state.oauth_scopes) == []
    # the way back names each Rolodex scope by a HighLevel scope that maps onto it
    for native, highlevel in TO_HIGHLEVEL.items():
        assert TO_ROLODEX[highlevel] == native


def test_the_authorization_url_leads_to_the_native_consent_page(client, tenant) -> None:
    registered = register(tenant, scopes=["contacts.readonly", "contacts.write", "tags.readonly"])
    response = choose_location(
        client,
        registered,
        "contacts.readonly contacts.write locations/tags.readonly locations/customFields.readonly",
        state="s1",
        loginWindowOpenMode="self",
    )
    assert response.status_code == 302
    target = urllib.parse.urlsplit(response.headers["location"])
    assert target.path == "/oauth/authorize"
    query = dict(urllib.parse.parse_qsl(target.query))
    assert query == {
        "response_type": "code",
        "client_id": registered.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "contacts.readonly contacts.write tags.readonly",
        "state": "s1",
    }
    page = client.get(BASE + response.headers["location"])
    assert page.status_code == 200 and "tags.readonly" in page.text


def test_a_scope_rolodex_has_no_counterpart_for_is_refused_not_dropped(client, tenant) -> None:
    registered = register(tenant, scopes=["contacts.readonly"])
    response = choose_location(client, registered, "contacts.readonly conversations.readonly")
    consent = client.get(BASE + response.headers["location"], follow_redirects=False)
    assert redirect_params(consent)["error"] == "invalid_scope"


def test_code_refresh_rotation_and_reuse_in_highlevel_form(client, tenant) -> None:
    registered = register(tenant, scopes=["contacts.readonly", "contacts.write", "tags.write"])
    code = consent_and_allow(
        client, tenant, registered, "contacts.readonly contacts.write locations/tags.write"
    )
    first = client.post(
        f"{HL}/token", data=token_form(registered, grant_type="authorization_code", code=code)
    )
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.headers["traceid"] == first.headers["x-request-id"]
    body = first.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "userType",
        "locationId",
        "userId",
    }
    assert body["token_type"] == "Bearer" and body["userType"] == "Location"
    assert body["locationId"] == tenant.account_id and body["userId"] == tenant.user_id
    assert body["expires_in"] == tenant.settings.oauth_access_token_seconds
    assert set(body["scope"].split()) == {
        "contacts.readonly",
        "contacts.write",
        "locations/tags.write",
    }
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    made = client.post("/api/v1/contacts", json={"first_name": "Ada"}, headers=bearer)
    assert made.status_code == 201, made.text
    assert client.get("/api/v1/companies", headers=bearer).status_code == 403

    # refresh rotates; a narrower scope may be asked for in HighLevel's names
    second = client.post(
        f"{HL}/token",
        data=token_form(
            registered,
            grant_type="refresh_token",
            refresh_token=body["refresh_token"],
            scope="contacts.readonly",
        ),
    )
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != body["refresh_token"]
    assert rotated["scope"] == "contacts.readonly" and rotated["userId"] == tenant.user_id

    # presenting the spent refresh token again revokes the family
    reused = client.post(
        f"{HL}/token",
        data=token_form(
            registered, grant_type="refresh_token", refresh_token=body["refresh_token"]
        ),
    )
    assert assert_highlevel_error(reused, 400).startswith("invalid_grant")
    for token in (body["access_token"], rotated["access_token"]):
        revoked = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 401

    # the code is spent
    again = client.post(
        f"{HL}/token", data=token_form(registered, grant_type="authorization_code", code=code)
    )
    assert assert_highlevel_error(again, 400).startswith("invalid_grant")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"client_id": None}, ["client_id should not be empty"]),
        ({"client_secret": ""}, ["client_secret should not be empty"]),
        ({"grant_type": None}, ["grant_type should not be empty"]),
        (
            {"grant_type": "password"},
            [
                "grant_type must be one of the following values: "
                "authorization_code, refresh_token, client_credentials"
            ],
        ),
        (
            {"user_type": "Agency"},
            ["user_type must be one of the following values: Company, Location"],
        ),
    ],
    ids=[
        "no-client-id",
        "empty-secret",
        "no-grant-type",
        "unknown-grant-type",
        "unknown-user-type",
    ],
)
def test_a_form_outside_highlevels_schema_is_422_with_a_list(
    client, tenant, change: dict[str, str | None], expected: list[str]
) -> None:
    registered = register(tenant)
    form: dict[str, Any] = token_form(registered, grant_type="authorization_code", code="x")
    for name, value in change.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    assert assert_highlevel_error(client.post(f"{HL}/token", data=form), 422) == expected


def test_oauth_refusals_keep_rfc_6749s_status_in_highlevels_body(client, tenant) -> None:
    registered = register(tenant)
    wrong_secret = token_form(registered, grant_type="authorization_code", code="abc")
    wrong_secret["client_secret"] = "rdx_cs_wrong"
    message = assert_highlevel_error(client.post(f"{HL}/token", data=wrong_secret), 401)
    assert message.startswith("invalid_client")
    bad_code = token_form(registered, grant_type="authorization_code", code="no-such-code")
    message = assert_highlevel_error(client.post(f"{HL}/token", data=bad_code), 400)
    assert message.startswith("invalid_grant")
    company = token_form(registered, grant_type="authorization_code", code="x", user_type="Company")
    assert "Location" in assert_highlevel_error(client.post(f"{HL}/token", data=company), 400)
    as_json = client.post(f"{HL}/token", json=token_form(registered, grant_type="refresh_token"))
    assert assert_highlevel_error(as_json, 400).startswith("invalid_request")
    twice = client.post(
        f"{HL}/token",
        content="grant_type=refresh_token&grant_type=refresh_token&client_id=a&client_secret=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert assert_highlevel_error(twice, 400).startswith("invalid_request")


def test_unknown_paths_and_methods_answer_in_highlevels_form(client) -> None:
    assert_highlevel_error(client.get(f"{HL}/nothing-here"), 404)
    wrong = client.get(f"{HL}/token")
    assert_highlevel_error(wrong, 405)
    assert wrong.headers["allow"] == "POST"
