"""HighLevel's OAuth end to end against a real `rolodex serve`: an app sends the user to
HighLevel's authorization URL, the user signs in on Rolodex's consent page, the app trades
the code at HighLevel's token endpoint (Authlib's client, posting the form HighLevel's
docs describe) and calls the API with the token; refreshes rotate."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from gohighlevel_api import AuthenticatedClient
from gohighlevel_api.api.contacts import get_contact
from gohighlevel_api.models.get_contact_version import GetContactVersion

from tests.conftest import PASSWORD, LiveServer, Tenant, start_server
from tests.oauth.helpers import REDIRECT_URI, register

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(database_url, tmp_path_factory.mktemp("hl-oauth-live")) as live:
        yield live


def sign_in_and_allow(url: str, tenant: Tenant) -> str:
    """Be the user's browser: HighLevel's URL, on to the consent page, sign in, allow;
    the URL the browser is sent back to."""
    with httpx.Client(timeout=10, follow_redirects=True) as browser:
        page = browser.get(url)
        assert page.status_code == 200, page.text
        assert page.url.path == "/oauth/authorize"
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        answer = browser.post(
            str(page.url),
            data={
                "csrf_token": csrf.group(1),
                "email": tenant.email,
                "password": PASSWORD,
                "decision": "allow",
            },
            follow_redirects=False,
        )
    assert answer.status_code == 302, answer.text
    location: str = answer.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return location


def test_highlevel_authorization_code_flow(
    server: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    tenant = make_tenant()
    registered = register(tenant, scopes=["contacts.readonly", "contacts.write", "tags.readonly"])
    app = OAuth2Client(
        registered.client_id,
        registered.client_secret,
        token_endpoint_auth_method="client_secret_post",
        scope="contacts.readonly contacts.write locations/tags.readonly",
        redirect_uri=REDIRECT_URI,
        timeout=10,
    )
    url, state = app.create_authorization_url(f"{server.url}/highlevel/oauth/chooselocation")
    assert urllib.parse.urlsplit(url).path == "/highlevel/oauth/chooselocation"
    callback = sign_in_and_allow(url, tenant)
    token_url = f"{server.url}/highlevel/oauth/token"
    token = app.fetch_token(
        token_url, authorization_response=callback, state=state, user_type="Location"
    )
    assert token["userType"] == "Location"
    assert token["locationId"] == tenant.account_id and token["userId"] == tenant.user_id
    assert set(token["scope"].split()) == {
        "contacts.readonly",
        "contacts.write",
        "locations/tags.readonly",
    }

    # the token is a Rolodex token: it works on the API within its scopes
    created = app.post(f"{server.url}/api/v1/contacts", json={"first_name": "Hana"})
    assert created.status_code == 201, created.text
    assert app.get(f"{server.url}/api/v1/tags").status_code == 200
    assert app.get(f"{server.url}/api/v1/companies").status_code == 403

    # ... and on the HighLevel surface, through HighLevel's own client
    highlevel = AuthenticatedClient(base_url=f"{server.url}/highlevel", token=token["access_token"])
    shown = get_contact.sync_detailed(
        created.json()["data"]["id"], client=highlevel, version=GetContactVersion.VALUE_0
    )
    assert shown.status_code == 200, shown.content
    assert shown.parsed is not None and shown.parsed.contact.first_name == "Hana"
    assert shown.parsed.contact.location_id == token["locationId"]

    # a refresh as HighLevel's docs show it: the form, client credentials in it
    form = {
        "client_id": registered.client_id,
        "client_secret": registered.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "user_type": "Location",
        "redirect_uri": REDIRECT_URI,
    }
    refreshed = httpx.post(token_url, data=form, timeout=10)
    assert refreshed.status_code == 200, refreshed.text
    rotated = refreshed.json()
    assert rotated["refresh_token"] != token["refresh_token"]
    assert rotated["locationId"] == tenant.account_id
    bearer = {"Authorization": f"Bearer {rotated['access_token']}"}
    listed = httpx.get(f"{server.url}/api/v1/contacts", headers=bearer, timeout=10)
    assert [c["id"] for c in listed.json()["data"]] == [created.json()["data"]["id"]]

    # the spent refresh token again: HighLevel's error body, and the family is revoked
    reused = httpx.post(token_url, data=form, timeout=10)
    assert reused.status_code == 400
    assert reused.json()["statusCode"] == 400
    assert reused.json()["message"].startswith("invalid_grant")
    after = httpx.get(f"{server.url}/api/v1/contacts", headers=bearer, timeout=10)
    assert after.status_code == 401
