"""The exact request an operation would send, for dry runs: one place for every caller.

:func:`render_request` answers, for a connection, one of its connector's operations and
that operation's input, the request the shared transport would send — method, absolute
URL with its query, headers, JSON body — without sending anything. It builds the request
with the same code a live run uses (:meth:`Operation.request`, :func:`url_of`,
:func:`request_headers`), so what a dry run shows is what a live run sends; only the
credential is shown as ``***`` (and any secret of the connection wherever it appears).

It is the one dry-run renderer: ``POST /connections/{id}/operations/{key}`` with
``"dry_run": true`` answers it, and the flows engine's dry run calls it for each action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import ValidationError

from rolodex.errors import ValidationFailed, invalid
from rolodex.integrations.connector import Operation, RemoteRequest
from rolodex.integrations.target import MASK, Target
from rolodex.integrations.transport import RemoteFailure, request_headers, url_of, user_agent

IDEMPOTENCY_PLACEHOLDER = "rolodex-<a new key for each run>"
"""What a dry run shows as the idempotency key of a write: a live run makes its own."""


def input_of(operation: Operation, given: Mapping[str, Any]) -> dict[str, Any]:
    """An operation's input validated by its model (400 with a detail per problem), as the
    JSON-ready dict the operation builds from (fields not given left out)."""
    try:
        model = operation.input.model_validate(dict(given))
    except ValidationError as exc:
        raise invalid(exc.errors()) from None
    return model.model_dump(mode="json", exclude_unset=True)


def validated_input(operation: Operation, given: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`input_of` for a request body that holds the input under ``input``: each
    problem's field named as ``input.<field>``."""
    try:
        return input_of(operation, given)
    except ValidationFailed as failed:
        details = [
            {**detail, "field": f"input.{detail['field']}" if detail.get("field") else "input"}
            for detail in (failed.details or [])
        ]
        raise ValidationFailed(failed.message, details=details) from None  # type: ignore[arg-type]


def build_request(target: Target, operation: Operation, values: Mapping[str, Any]) -> RemoteRequest:
    """The operation's request for validated ``values`` through this connection; 400
    when the connection lacks what it needs (a HighLevel ``location_id``)."""
    try:
        return operation.request(dict(values), target.context)
    except ValueError as exc:
        raise ValidationFailed.field("input", str(exc)) from None


def absolute_url(target: Target, request: RemoteRequest) -> str:
    """The URL the transport sends ``request`` to, its query included, as httpx writes it."""
    try:
        url = httpx.URL(url_of(target, request.path))
    except RemoteFailure as exc:
        raise ValidationFailed.field("input", exc.message) from None
    if request.params:
        url = url.copy_merge_params(dict(request.params))
    return str(url)


def render(
    target: Target, operation: Operation, request: RemoteRequest, *, shown_key: str | None = None
) -> dict[str, Any]:
    """``request`` as it would leave: ``{"method", "url", "headers", "body"}``, every
    credential header ``***`` and every secret of the connection masked."""
    key = (shown_key or IDEMPOTENCY_PLACEHOLDER) if operation.writes else None
    headers = {"User-Agent": user_agent(), **request_headers(target, request, key)}
    secret_headers = {name.lower() for name in target.auth_headers()}
    shown = {
        name: MASK if name.lower() in secret_headers else target.mask(value)
        for name, value in headers.items()
    }
    return {
        "method": request.method,
        "url": target.mask(absolute_url(target, request)),
        "headers": shown,
        "body": _masked(target, request.json),
    }


def _masked(target: Target, value: Any) -> Any:
    if isinstance(value, str):
        return target.mask(value)
    if isinstance(value, list):
        return [_masked(target, item) for item in value]
    if isinstance(value, dict):
        return {key: _masked(target, item) for key, item in value.items()}
    return value


def render_request(
    target: Target, operation: Operation | str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """The exact request ``operation`` (an operation of the connection's connector, or
    its key) would send through the connection ``target`` for the input ``values``, sent
    nowhere: ``{"method", "url", "headers", "body"}`` with secrets as ``***``.

    ``values`` is validated by the operation's input model first (400, fields named
    ``input.<field>``); an unknown key is 400 too. Open a connection row as a target with
    :func:`rolodex.integrations.target.open_target`.
    """
    if isinstance(operation, str):
        try:
            operation = target.connector.operation(operation)
        except KeyError:
            raise ValidationFailed.field(
                "operation",
                f"{operation!r} is not an operation of the {target.connector.kind} connector",
            ) from None
    valid = validated_input(operation, values)
    return render(target, operation, build_request(target, operation, valid))
