"""The MOCO surface: where it lives, how its errors look, how its JSON is sent.

MOCO answers errors with ``{"message": "…"}`` and the statuses 401, 403, 404, 422 and
429; its clients know no others (moco-wrapper fails on any status it has no exception
for). So a failure that the native API answers 400 (invalid input), 409 (a conflict) or
415 (no JSON media type) is 422 here, its message naming the fields at fault. The
statuses MOCO's clients never provoke keep their meaning (405, 412 for a stale
``If-Match``, 413, 500, 503). The rate-limit headers are the native ones: MOCO documents
none of its own.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_json
from starlette.responses import JSONResponse, Response

from rolodex.http.errors import Failure
from rolodex.http.surface import Surface

PREFIX = "/moco/api/v1"
UNPROCESSABLE = 422
AS_UNPROCESSABLE = frozenset({400, 409, 415, 422})
"""Native statuses MOCO answers as 422."""
MEDIA_TYPE = "application/json; charset=utf-8"


class MocoError(BaseModel):
    """A MOCO error: the message says what is wrong (for a 422, with the fields)."""

    message: str = Field(examples=["lastname: must not be blank"])


class MocoJson(JSONResponse):
    """A MOCO response: JSON as ``application/json; charset=utf-8``."""

    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return to_json(content)


def message_of(failure: Failure) -> str:
    """The message of a failure; for invalid input, every field at fault with its
    problem (``lastname: must not be blank; work_email: is not a valid email address``)."""
    if failure.status in AS_UNPROCESSABLE and failure.details:
        parts = [
            f"{d['field']}: {d['message']}" if d.get("field") else d["message"]
            for d in failure.details
        ]
        return "; ".join(parts)
    return failure.message


def render_moco(failure: Failure, request_id: str | None) -> Response:
    """A failure as MOCO draws it: ``{"message"}`` and one of MOCO's statuses."""
    status = UNPROCESSABLE if failure.status in AS_UNPROCESSABLE else failure.status
    return MocoJson({"message": message_of(failure)}, status_code=status)


SECURITY_SCHEMES: dict[str, Any] = {
    "TokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token token=<key>`: a Rolodex API key (or OAuth access token).",
    },
    "BearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Bearer <key>`: a Rolodex API key (or OAuth access token).",
    },
}

MOCO = Surface(
    name="moco",
    prefix=PREFIX,
    render_error=render_moco,
    title="Rolodex — MOCO-compatible API",
    description=(
        "MOCO's API (people, companies, comments, taggings, tags, users, session, web hooks) "
        'over Rolodex\'s own data: integer ids, `{"message"}` errors, 100 records a page '
        "with `X-Page`, `X-Per-Page`, `X-Total` and `Link`. See docs/dialects-moco.md."
    ),
    security_schemes=SECURITY_SCHEMES,
    error_model=MocoError,
)
"""The ``/moco/api/v1`` surface."""

ERROR_DOCS: dict[int | str, dict[str, Any]] = {
    422: {"model": MocoError, "description": "Invalid input; the message names the fields."},
    412: {"model": MocoError, "description": "`If-Match` names a stale version."},
}
"""Responses every MOCO route may give beyond the pipeline's (a GET with a bad filter is
422 too), documented with MOCO's error body."""
