"""The HighLevel surface: its errors, its ``Version`` header and its rate-limit headers.

Errors are HighLevel's ``{"statusCode", "message", "error"}``, ``error`` being the
status's reason phrase. A ``422`` says ``message`` as a list of strings, one per problem,
with the field named as HighLevel names it (``assignedTo``, not ``owner_id``); a body or
parameter that breaks its schema is a ``422`` (HighLevel validates with class-validator,
which answers so), malformed JSON and a missing or unknown ``Version`` a ``400``, and a
``401`` always says ``Invalid token: access token is invalid``. Every answer of the
surface carries a ``traceId`` header, the request's id.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rolodex.errors import ValidationFailed
from rolodex.http.errors import Failure
from rolodex.http.ratelimit import Usage
from rolodex.http.surface import Surface

PREFIX = "/highlevel"
VERSION = "2021-07-28"
"""The one API version Rolodex speaks; every request names it in ``Version``."""
TRACE_HEADER = "traceId"
UNAUTHORIZED_MESSAGE = "Invalid token: access token is invalid"

FIELD_NAMES: dict[str, str] = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "email",
    "phone": "phone",
    "mobile_phone": "phone",
    "website": "website",
    "timezone": "timezone",
    "source": "source",
    "do_not_contact": "dnd",
    "birthday": "dateOfBirth",
    "company_id": "businessId",
    "owner_id": "assignedTo",
    "assignee_id": "assignedTo",
    "author_id": "userId",
    "due_at": "dueDate",
    "custom_fields": "customFields",
    "address": "address1",
    "address.line1": "address1",
    "address.city": "city",
    "address.state": "state",
    "address.postal_code": "postalCode",
    "address.country": "country",
    "starts_at": "startTime",
    "ends_at": "endTime",
}
"""Native field names as HighLevel names them, for the messages of errors."""


class HighLevelError(BaseModel):
    """An error as HighLevel answers it (``message`` is a list in a 422)."""

    statusCode: int
    message: str | list[str]
    error: str


def field_name(native: str | None) -> str | None:
    """A field of a native error as HighLevel calls it (unknown names stay as they are)."""
    if native is None:
        return None
    return FIELD_NAMES.get(native, FIELD_NAMES.get(native.split(".")[0], native))


def _messages(failure: Failure) -> list[str]:
    if not failure.details:
        return [failure.message]
    out = []
    for detail in failure.details:
        name = field_name(detail["field"])
        out.append(f"{name} {detail['message']}" if name else detail["message"])
    return out


def status_of(failure: Failure) -> int:
    """The status HighLevel answers a failure with: a validation error that names fields
    is 422, one that does not (malformed JSON, the ``Version`` header) stays 400."""
    if failure.code == "VALIDATION_ERROR" and any(d["field"] for d in failure.details or ()):
        return 422
    return failure.status


def _phrase(status: int) -> str:
    """The reason phrase of a status (``Unprocessable Entity``)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def render_error(failure: Failure, request_id: str | None) -> Response:
    """``{"statusCode", "message", "error"}``, with the ``traceId`` header."""
    status = status_of(failure)
    message: str | list[str]
    if status == 422:
        message = _messages(failure)
    elif status == 401:
        message = UNAUTHORIZED_MESSAGE
    else:
        message = failure.message
    body: dict[str, Any] = {
        "statusCode": status,
        "message": message,
        "error": _phrase(status),
    }
    headers = {TRACE_HEADER: request_id} if request_id else None
    return JSONResponse(body, status_code=status, headers=headers)


def check_version(request: Request) -> None:
    """Every request names the API version it was written for: ``Version: 2021-07-28``."""
    version = request.headers.get("version")
    if version is None or not version.strip():
        raise ValidationFailed("The Version header is required: send Version: 2021-07-28")
    if version.strip() != VERSION:
        raise ValidationFailed(
            f"Version {version.strip()[:40]!r} is not supported: send Version: {VERSION}"
        )


def rate_headers(usage: Usage) -> dict[str, str]:
    """HighLevel's rate-limit headers. ``X-RateLimit-Max`` and ``-Remaining`` report the
    credential's first window (its native limit) and ``-Interval-Milliseconds`` that
    window's length; ``-Limit-Daily`` and ``-Daily-Remaining`` report its longest other
    window (``200000/86400`` for a key given HighLevel's own limits), and are left out for
    a credential that has a single window."""
    headers = {
        "X-RateLimit-Max": str(usage.quota.amount),
        "X-RateLimit-Remaining": str(usage.remaining),
        "X-RateLimit-Interval-Milliseconds": str(usage.quota.seconds * 1000),
    }
    if usage.others:
        daily = max(usage.others, key=lambda other: other.quota.seconds)
        headers["X-RateLimit-Limit-Daily"] = str(daily.quota.amount)
        headers["X-RateLimit-Daily-Remaining"] = str(daily.remaining)
    return headers


_COUNT = {"type": "string", "pattern": "^[0-9]+$"}
RATE_HEADER_DOCS: dict[str, Any] = {
    "X-RateLimit-Max": {
        "description": "Requests allowed per window for this credential (its first window).",
        "schema": _COUNT,
        "required": True,
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the window, after this one.",
        "schema": _COUNT,
        "required": True,
    },
    "X-RateLimit-Interval-Milliseconds": {
        "description": "The window's length, in milliseconds.",
        "schema": _COUNT,
        "required": True,
    },
    "X-RateLimit-Limit-Daily": {
        "description": "Requests allowed in the credential's longest further window (a "
        "day, for a key with HighLevel's limits); absent for a single window.",
        "schema": _COUNT,
    },
    "X-RateLimit-Daily-Remaining": {
        "description": "Requests left in that window, after this one.",
        "schema": _COUNT,
    },
    TRACE_HEADER: {"description": "The request's id.", "schema": {"type": "string"}},
}

HIGHLEVEL = Surface(
    name="highlevel",
    prefix=PREFIX,
    render_error=render_error,
    rate_headers=rate_headers,
    check_request=check_version,
    title="Rolodex — HighLevel-compatible API",
    description=(
        "HighLevel's (LeadConnector v2) Contacts API over Rolodex: send "
        f"`Version: {VERSION}` and `Authorization: Bearer <API key or OAuth token>`; "
        "`locationId` is the account id."
    ),
    security_schemes={
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A Rolodex API key or OAuth access token.",
        }
    },
    error_model=HighLevelError,
    rate_header_docs=RATE_HEADER_DOCS,
)
