"""Helpers of the OAuth tests: registering clients and walking the consent page."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import PASSWORD

BASE = "http://localhost"
REDIRECT_URI = "http://127.0.0.1:9/callback"


@dataclass
class Registered:
    """A client as registered: its id and (confidential clients) secret."""

    client_id: str
    client_secret: str | None
    data: dict[str, Any]


def register(tenant, *, key: str | None = None, **body: Any) -> Registered:
    body = {
        "name": "Calendar sync",
        "client_type": "confidential",
        "redirect_uris": [REDIRECT_URI],
        "scopes": ["contacts.readonly", "contacts.write", "users.readonly"],
        **body,
    }
    response = tenant.post("/oauth-clients", json=body, key=key)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    return Registered(data["client_id"], data.get("client_secret"), data)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def consent_form(http: Any, base: str, params: dict[str, str]) -> tuple[httpx.Response, str]:
    """GET the consent page; returns the response and its CSRF token."""
    page = http.get(f"{base}/oauth/authorize", params=params)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return page, match.group(1) if match else ""


def authorize(
    http: Any,
    base: str,
    params: dict[str, str],
    *,
    email: str,
    password: str = PASSWORD,
    decision: str = "allow",
) -> httpx.Response:
    """Walk the page as a user: load it, sign in and decide. Returns the POST's answer."""
    page, csrf = consent_form(http, base, params)
    assert page.status_code == 200, page.text
    return http.post(
        f"{base}/oauth/authorize",
        params=params,
        data={"csrf_token": csrf, "email": email, "password": password, "decision": decision},
        follow_redirects=False,
    )


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """The query of the redirect to the client."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def code_for(http: Any, base: str, tenant, client: Registered, **extra: str) -> tuple[str, str]:
    """An authorization code for the tenant's owner, and its PKCE verifier."""
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "contacts.readonly",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    answer = redirect_params(authorize(http, base, params, email=tenant.email))
    assert answer["state"] == params["state"]
    return answer["code"], verifier


def exchange_code(http: Any, client: Registered, code: str, verifier: str) -> httpx.Response:
    """Trade an authorization code for tokens at ``/oauth/token`` as the client."""
    response: httpx.Response = http.post(
        f"{BASE}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(client.client_id, client.client_secret),
    )
    return response
