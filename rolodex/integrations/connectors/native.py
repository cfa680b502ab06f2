"""The ``rolodex`` connector: another Rolodex server, through its native API (``/api/v1``).

An API key (sent as ``X-API-Key``) or OAuth 2.0 against that server's own authorization
server (``/oauth/authorize`` and ``/oauth/token`` beside ``/api/v1``, PKCE with S256).
Its operations are those of the native resources (:mod:`.native_operations`).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from rolodex.integrations.connector import (
    ApiKeyAuth,
    Connector,
    OAuth2Auth,
    Operation,
    Pagination,
    RateLimit,
    error_from_json,
)
from rolodex.integrations.connectors import signatures
from rolodex.integrations.connectors.headers import next_link, x_ratelimit
from rolodex.integrations.connectors.native_operations import NATIVE_OPERATIONS


def oauth_endpoints(base_url: str) -> tuple[str, str]:
    """A Rolodex server's authorize and token URLs, from the base URL of its API."""
    parts = urlsplit(base_url)
    root = parts.path.removesuffix("/").removesuffix("/api/v1")
    origin = urlunsplit((parts.scheme, parts.netloc, root, "", ""))
    return f"{origin}/oauth/authorize", f"{origin}/oauth/token"


ROLODEX = Connector(
    kind="rolodex",
    title="Rolodex",
    auth=(
        ApiKeyAuth(header="X-API-Key", template="{api_key}"),
        OAuth2Auth(pkce=True, endpoints=oauth_endpoints),
    ),
    rate_limit=RateLimit(requests=120, per_seconds=120),
    check=Operation(
        key="users.me",
        kind="action",
        title="Who am I",
        description="The user the credential acts as (`GET /users/me`).",
        method="GET",
        path="/users/me",
    ),
    pagination=Pagination(style="page", max_size=250, next=next_link),
    error_message=error_from_json(("error", "message")),
    rate_headers=x_ratelimit,
    verify_webhook=signatures.standard_webhooks,
    idempotency_header="Idempotency-Key",
    operations=NATIVE_OPERATIONS,
)
