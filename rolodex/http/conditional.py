"""Conditional requests (RFC 9110 §13): ``ETag``, ``If-None-Match`` and ``If-Match``.

The ETag of a single resource is a strong tag derived from its type, id and
``updated_at`` (:func:`etag_of`). Every change to what the API shows of a record moves
its ``updated_at`` (tag links and cascades included), so the tag changes exactly when
the representation does. Responses built by :func:`rolodex.http.envelope.one` carry it.

- Reads: :func:`with_etag` answers ``304 Not Modified`` when ``If-None-Match`` names the
  current tag (weak comparison; ``*`` matches), and ``412`` when ``If-Match`` does not.
- Writes: the pipeline binds the request's conditions (:func:`bind_preconditions`), and
  every mutating service path calls :func:`check_precondition` on its target right after
  loading it with ``SELECT … FOR UPDATE`` (``get_record(..., for_update=True)``). The
  row lock makes a second writer holding the same tag wait for the first to commit; it
  then reads the new version, whose tag no longer matches, and gets ``412``. On SQLite
  every transaction begins with ``BEGIN IMMEDIATE``, which serialises writers anyway.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from hashlib import sha256
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rolodex.http.errors import ErrorEnvelope, PreconditionFailed

READ_METHODS = frozenset({"GET", "HEAD"})
CONDITIONAL_WRITES = frozenset({"PUT", "PATCH", "DELETE"})
# Headers a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5).
_KEPT_ON_304 = ("etag", "cache-control", "content-location", "expires", "vary")


@dataclass(frozen=True)
class Preconditions:
    """The conditional headers of a write request, as sent."""

    if_match: str | None
    if_none_match: str | None


_CURRENT: ContextVar[Preconditions | None] = ContextVar("rolodex_preconditions", default=None)


def etag_of(record: Any) -> str:
    """The strong ETag of a record: ``"<32 hex digits>"`` from its type, id and
    ``updated_at``. The same for the response of a GET and for the check of a write."""
    kind = getattr(record, "__tablename__", type(record).__name__)
    stamp = record.updated_at.astimezone(UTC).isoformat(timespec="microseconds")
    digest = sha256(f"{kind}|{record.id}|{stamp}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def _header(request: Request, name: str) -> str | None:
    """A header's value, repeated fields joined by commas; ``None`` when absent or empty."""
    values = [v.strip() for v in request.headers.getlist(name) if v.strip()]
    return ", ".join(values) if values else None


def _opaque(tag: str) -> tuple[bool, str]:
    """(weak, opaque-tag) of one entity tag; an unquoted tag is taken as it is."""
    tag = tag.strip()
    weak = tag.startswith(("W/", "w/"))
    if weak:
        tag = tag[2:].strip()
    if len(tag) >= 2 and tag.startswith('"') and tag.endswith('"'):
        tag = tag[1:-1]
    return weak, tag


def matches(condition: str, current: str, *, weak: bool) -> bool:
    """Whether a list of entity tags (or ``*``) names ``current``.

    Strong comparison (``If-Match``) requires both tags to be strong and equal; weak
    comparison (``If-None-Match``) ignores the ``W/`` flags (RFC 9110 §8.8.3.2).
    """
    if condition.strip() == "*":
        return True
    current_weak, current_tag = _opaque(current)
    for item in condition.split(","):
        if not item.strip():
            continue
        item_weak, item_tag = _opaque(item)
        if item_tag != current_tag:
            continue
        if weak or not (item_weak or current_weak):
            return True
    return False


def bind_preconditions(request: Request) -> None:
    """Make a write's ``If-Match`` / ``If-None-Match`` available to the service layer
    for this request (reads get none: :func:`with_etag` handles them)."""
    conditions = None
    if request.method not in READ_METHODS:
        if_match, if_none_match = _header(request, "if-match"), _header(request, "if-none-match")
        if if_match is not None or if_none_match is not None:
            conditions = Preconditions(if_match, if_none_match)
    _CURRENT.set(conditions)


def ignore_preconditions() -> None:
    """For writes of many records at once (batches): no conditional header applies."""
    _CURRENT.set(None)


def check_precondition(record: Any, label: str = "resource") -> None:
    """Refuse the write (``412 PRECONDITION_FAILED``) when the request's ``If-Match`` does
    not name the record's current ETag, or its ``If-None-Match`` does.

    Call it on the target of a write right after loading it ``FOR UPDATE``, before
    changing anything. Without conditional headers it does nothing.
    """
    conditions = _CURRENT.get()
    if conditions is None:
        return
    current, name = etag_of(record), label
    if conditions.if_match is not None:
        if not matches(conditions.if_match, current, weak=False):
            raise PreconditionFailed(
                f"If-Match does not match the current ETag of this {name}: it has changed "
                "since you read it. Fetch it again, reapply your change and retry"
            )
    elif conditions.if_none_match is not None and matches(
        conditions.if_none_match, current, weak=True
    ):
        raise PreconditionFailed(f"If-None-Match matches the current ETag of this {name}")


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
