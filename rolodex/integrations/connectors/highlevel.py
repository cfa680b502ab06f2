"""The ``highlevel`` connector: HighLevel's API v2 (``https://services.leadconnectorhq.com``).

OAuth 2.0 (the marketplace's ``chooselocation`` page and ``/oauth/token``, client secret
in the form, ``user_type=Location``; no PKCE) or a private integration token as a bearer
key; every request carries ``Version: 2021-07-28``; a connection names its
``location_id``. 100 requests per 10 s and 200,000 a day, with HighLevel's own
``X-RateLimit-*`` headers; errors as ``{"statusCode", "message", "error"}``; webhooks
signed in ``x-wh-signature`` (RSA). Its operations are declared in
:mod:`.highlevel_operations`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rolodex.integrations.connector import (
    ApiKeyAuth,
    Connector,
    OAuth2Auth,
    Operation,
    Pagination,
    RateLimit,
    RemoteRequest,
    error_from_json,
)
from rolodex.integrations.connectors import signatures
from rolodex.integrations.connectors.headers import highlevel_ratelimit
from rolodex.integrations.connectors.highlevel_operations import HIGHLEVEL_OPERATIONS

VERSION = "2021-07-28"

OAUTH_ERRORS = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "temporarily_unavailable",
    "server_error",
)
"""RFC 6749's error codes of a token endpoint."""


def token_error(status: int, body: Any) -> str | None:
    """The OAuth error of a HighLevel token endpoint's error answer.

    HighLevel answers ``{"statusCode", "message", "error"}``, ``error`` being the HTTP
    reason phrase (``Bad Request``), so the code is read from the start of ``message`` (a
    text or a list of them): ``invalid_grant: …`` or, in words, ``Invalid grant: …``. A
    ``401`` whose message names none is a client HighLevel does not accept
    (``invalid_client``). An answer already in RFC 6749's form, or whose code cannot be
    told, gives None: it is taken as it is."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    if body["error"] in OAUTH_ERRORS:
        return None
    message = body.get("message")
    for text in message if isinstance(message, list) else [message]:
        if isinstance(text, str):
            words = re.sub(r"[\s-]+", "_", text.strip().lower())
            for code in OAUTH_ERRORS:
                if words.startswith(code):
                    return code
    return "invalid_client" if status == 401 else None


def _check_request(
    operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
) -> RemoteRequest:
    return RemoteRequest(
        "GET", "/contacts/", params={"locationId": context.get("location_id") or "", "limit": 1}
    )


HIGHLEVEL = Connector(
    kind="highlevel",
    title="HighLevel",
    auth=(
        OAuth2Auth(
            authorize_url="https://marketplace.gohighlevel.com/oauth/chooselocation",
            token_url="https://services.leadconnectorhq.com/oauth/token",  # noqa: S106 - a URL
            scopes=("contacts.readonly", "contacts.write"),
            pkce=False,
            token_params={"user_type": "Location"},
            client_auth="client_secret_post",
            token_error=token_error,
        ),
        ApiKeyAuth(header="Authorization", template="Bearer {api_key}"),
    ),
    default_base_url="https://services.leadconnectorhq.com",
    rate_limit=RateLimit(requests=100, per_seconds=10, daily=200_000),
    check=Operation(
        key="contacts.peek",
        kind="action",
        title="One contact of the location",
        description="`GET /contacts/?locationId=…&limit=1`.",
        method="GET",
        path="/contacts/",
        build=_check_request,
    ),
    pagination=Pagination(style="cursor", size_param="limit", max_size=100),
    error_message=error_from_json(("message",)),
    rate_headers=highlevel_ratelimit,
    verify_webhook=signatures.highlevel,
    needs_location=True,
    default_headers={"Version": VERSION, "Accept": "application/json"},
    operations=HIGHLEVEL_OPERATIONS,
)
