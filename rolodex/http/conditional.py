"""Conditional requests (RFC 9110 §13) on HTTP: ``ETag``, ``If-None-Match`` and ``If-Match``.

Versions and their comparison are the domain's (:mod:`rolodex.preconditions`); this
module reads them from the headers and answers reads. Responses built by
:func:`rolodex.http.envelope.one` carry the ETag of their record.

- Reads: :func:`with_etag` answers ``304 Not Modified`` when ``If-None-Match`` names the
  current tag (weak comparison; ``*`` matches), and ``412`` when ``If-Match`` does not.
- Writes: the pipeline reads the request's conditions (:func:`precondition_of`) into the
  request context; routes pass them to the service, which checks them on its target as
  it loads it ``FOR UPDATE`` (``get_record(..., precondition=…)``). On SQLite every
  transaction begins with ``BEGIN IMMEDIATE``, which serialises writers anyway.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rolodex.errors import PreconditionFailed
from rolodex.http.errors import ErrorEnvelope
from rolodex.preconditions import Precondition, matches

READ_METHODS = frozenset({"GET", "HEAD"})
CONDITIONAL_WRITES = frozenset({"PUT", "PATCH", "DELETE"})
# Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
_KEPT_ON_304 = ("etag", "cache-control", "content-location", "expires", "vary")


def _header(request: Request, name: str) -> str | None:
    """A header's value, repeated fields joined by commas; ``None`` when absent or empty."""
    values = [v.strip() for v in request.headers.getlist(name) if v.strip()]
    return ", ".join(values) if values else None


def precondition_of(request: Request) -> Precondition | None:
    """A write's ``If-Match`` / ``If-None-Match``, for the service to check on its target;
    none for reads (:func:`with_etag` answers those) or without the headers."""
    if request.method in READ_METHODS:
        return None
    if_match, if_none_match = _header(request, "if-match"), _header(request, "if-none-match")
    if if_match is None and if_none_match is None:
        return None
    return Precondition(if_match, if_none_match)


def with_etag(request: Request, response: Response) -> Response:
    """Evaluate a read's conditions against the ETag of its response: ``412`` when
    ``If-Match`` does not match, ``304 Not Modified`` (no body) when ``If-None-Match``
    does. Responses without an ETag (lists, errors) pass through unchanged."""
    if request.method not in READ_METHODS or response.status_code != 200:
        return response
    etag = response.headers.get("etag")
    if etag is None:
        return response
    if_match = _header(request, "if-match")
    if if_match is not None and not matches(if_match, etag, weak=False):
        raise PreconditionFailed("If-Match does not match the current ETag of this resource")
    if_none_match = _header(request, "if-none-match")
    if if_none_match is not None and matches(if_none_match, etag, weak=True):
        kept = {k: v for k, v in response.headers.items() if k in _KEPT_ON_304}
        return Response(status_code=304, headers=kept)
    return response


def conditional_responses(methods: set[str], single_resource: bool) -> dict[int, Any]:
    """The OpenAPI responses conditional requests add to a route: ``304`` and ``412`` for
    a single-resource GET, ``412`` for ``PUT``, ``PATCH`` and ``DELETE``."""
    failed = {
        "model": ErrorEnvelope,
        "description": "`If-Match` does not name the resource's current ETag "
        "(`PRECONDITION_FAILED`); nothing was changed.",
    }
    if "GET" in methods and single_resource:
        return {
            304: {"description": "Not Modified: `If-None-Match` names the current ETag. No body."},
            412: failed,
        }
    if methods & CONDITIONAL_WRITES:
        return {412: failed}
    return {}
