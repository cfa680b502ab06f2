"""Token endpoint errors in a remote's own form read as the OAuth errors they mean:
HighLevel's ``{"statusCode", "message", "error"}`` (``error`` the HTTP reason phrase)
becomes RFC 6749's ``{"error": code}`` before Authlib reads it, so a refused refresh is
``invalid_grant`` (the connection needs authorizing again), not a failure to retry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.client import OAuth2Client

from rolodex.integrations.connectors.highlevel import token_error
from rolodex.integrations.tokens import standard_error


def highlevel(status: int, message: Any) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "error": httpx.codes(status).phrase}


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, highlevel(400, "invalid_grant: the refresh token was used already"), "invalid_grant"),
        (400, highlevel(400, "Invalid grant: refresh token is invalid"), "invalid_grant"),
        (401, highlevel(401, "invalid_client: unknown client"), "invalid_client"),
        (401, highlevel(401, "Unauthorized"), "invalid_client"),
        (400, highlevel(400, "invalid_scope: not granted"), "invalid_scope"),
        (429, highlevel(429, "temporarily_unavailable: slow down"), "temporarily_unavailable"),
        (422, highlevel(422, ["client_secret should not be empty"]), None),
        (400, highlevel(400, "something else"), None),
        (400, {"error": "invalid_grant", "error_description": "spent"}, None),  # RFC's form
        (400, ["not", "an", "object"], None),
    ],
)
def test_highlevel_token_errors_name_their_oauth_code(status: int, body: Any, code: str) -> None:
    assert token_error(status, body) == code


def parse(response: httpx.Response) -> Any:
    client = OAuth2Client(session=None, client_id="c")
    return client.parse_response_token(standard_error(token_error)(response))


def test_the_hook_makes_authlib_raise_the_code_the_remote_meant() -> None:
    request = httpx.Request("POST", "https://remote.example/oauth/token")
    refused = httpx.Response(400, json=highlevel(400, "invalid_grant: spent"), request=request)
    with pytest.raises(OAuth2Error) as raised:
        parse(refused)
    assert raised.value.error == "invalid_grant"
    # left as they are: an answer whose code cannot be told, and a success
    unknown = httpx.Response(422, json=highlevel(422, ["grant_type should not be empty"]))
    with pytest.raises(OAuth2Error) as raised:
        parse(unknown)
    assert raised.value.error == "Unprocessable Entity"
    token = {"access_token": "a", "token_type": "Bearer", "userType": "Location"}
    assert parse(httpx.Response(200, json=token, request=request))["userType"] == "Location"
