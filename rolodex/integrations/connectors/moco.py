"""The ``moco`` connector: MOCO's API (``https://<account>.mocoapp.com/api/v1``).

An API key sent as ``Authorization: Token token=…``; 120 requests per 120 s; lists of 100
per page with ``Link`` headers; errors as ``{"message": …}``; web hooks signed with
``X-Moco-Signature``. Its operations (people, companies, comments, taggings, tags, users)
are declared in :mod:`.moco_operations`.
"""

from __future__ import annotations

from rolodex.integrations.connector import (
    ApiKeyAuth,
    Connector,
    Operation,
    Pagination,
    RateLimit,
    error_from_json,
)
from rolodex.integrations.connectors import signatures
from rolodex.integrations.connectors.headers import next_link, x_ratelimit
from rolodex.integrations.connectors.moco_operations import MOCO_OPERATIONS

MOCO = Connector(
    kind="moco",
    title="MOCO",
    auth=(ApiKeyAuth(header="Authorization", template="Token token={api_key}"),),
    rate_limit=RateLimit(requests=120, per_seconds=120),
    check=Operation(
        key="session.get",
        kind="action",
        title="The session",
        description="The user the API key belongs to (`GET /session`).",
        method="GET",
        path="/session",
    ),
    pagination=Pagination(style="page", max_size=100, next=next_link),
    error_message=error_from_json(("message",)),
    rate_headers=x_ratelimit,
    verify_webhook=signatures.moco,
    operations=MOCO_OPERATIONS,
)
