"""How the API's guarantees appear in the OpenAPI document: the request headers
(``Idempotency-Key``, ``If-Match``, ``If-None-Match``) and response headers
(rate limits, ``Retry-After``, ``ETag``, ``Idempotent-Replayed``) of each route.

:class:`rolodex.http.pipeline.ApiRoute` applies them, so that every route documents what
the pipeline does to it, in one place.
"""

from __future__ import annotations

from typing import Any

from rolodex.http.conditional import CONDITIONAL_WRITES
from rolodex.idempotency.service import (
    HEADER,
    KEY_CHARACTERS,
    KEYED_METHODS,
    MAX_KEY_LENGTH,
    REPLAYED_HEADER,
)

_TEXT = {"type": "string"}
_SECONDS = {"type": "string", "pattern": "^[0-9]+$"}

RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "X-RateLimit-Limit": {
        "description": "Requests allowed per window for this credential.",
        "schema": _SECONDS,
        "required": True,
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window, after this one.",
        "schema": _SECONDS,
        "required": True,
    },
    "X-RateLimit-Reset": {
        "description": "Seconds until the window resets.",
        "schema": _SECONDS,
        "required": True,
    },
    "RateLimit-Policy": {
        "description": 'The IETF draft\'s policy field, e.g. `"default";q=120;w=120`.',
        "schema": _TEXT,
        "required": True,
    },
    "RateLimit": {
        "description": 'The IETF draft\'s state field, e.g. `"default";r=119;t=57`.',
        "schema": _TEXT,
        "required": True,
    },
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the credential is served again.",
        "schema": _SECONDS,
        "required": True,
    }
}

REPLAYED = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored response of an earlier request with "
        "the same `Idempotency-Key`; nothing was done again.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}

ETAG = {
    "ETag": {
        "description": "The resource's current entity tag; send it back in `If-None-Match` "
        "(304 while unchanged) or `If-Match` (writes).",
        "schema": _TEXT,
    }
}


def request_headers(methods: set[str], single_resource: bool) -> list[dict[str, Any]]:
    """The optional request headers a route with these methods honours."""
    parameters: list[dict[str, Any]] = []
    if methods & KEYED_METHODS:
        parameters.append(
            {
                "name": HEADER,
                "in": "header",
                "required": False,
                "description": "Makes the request safe to retry: the same key with the same "
                "request returns the first response (`Idempotent-Replayed: true`); with "
                "another request it is 422; while the first still runs, 409. Kept at least "
                "24 hours.",
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_KEY_LENGTH,
                    "pattern": f"^{KEY_CHARACTERS}+$",
                },
                "example": "sync-2026-11-23-0001",
            }
        )
    if methods & CONDITIONAL_WRITES:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The `ETag` you read; a stale one is 412 and nothing changes.",
                "schema": _TEXT,
            }
        )
    if "GET" in methods and single_resource:
        parameters.append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The `ETag` you hold; 304 without a body while it is current.",
                "schema": _TEXT,
            }
        )
    return parameters


def response_headers(status: int, methods: set[str], single_resource: bool) -> dict[str, Any]:
    """The headers a response of ``status`` carries on a route with these methods.

    Every answer to a request with a valid credential carries the rate-limit headers;
    they are declared on the successful responses and on 429, the answers that always
    come after the credential was counted.
    """
    if status == 429:
        return {**RATE_LIMIT_HEADERS, **RETRY_AFTER}
    if not 200 <= status < 300:
        return {}
    headers: dict[str, Any] = dict(RATE_LIMIT_HEADERS)
    if methods & KEYED_METHODS:
        headers.update(REPLAYED)
    if single_resource and status != 204:
        headers.update(ETAG)
    return headers
