"""The success envelope: ``{"data": …}`` and ``{"data": […], "meta": {…}}``."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, get_origin

from pydantic import BaseModel, Field
from pydantic_core import to_json
from starlette.responses import Response

from rolodex.preconditions import etag_of

T = TypeVar("T")


class DataEnvelope(BaseModel, Generic[T]):
    """One resource."""

    data: T


def is_single_resource(response_model: Any) -> bool:
    """Whether a route answers with one resource (``{"data": {…}}``), which has an ETag."""
    return (
        isinstance(response_model, type)
        and issubclass(response_model, DataEnvelope)
        and get_origin(response_model.model_fields["data"].annotation) is not list
    )


class ListMeta(BaseModel):
    """Where a page stands in its collection."""

    page: int | None = Field(description="The page number; null when walking with a cursor.")
    per_page: int
    total: int = Field(description="Rows matching the filters, across all pages.")
    total_pages: int
    next_cursor: str | None = Field(
        description="Send as `after` for the next slice; null on the last page."
    )


class ListEnvelope(BaseModel, Generic[T]):
    """A page of a collection."""

    data: list[T]
    meta: ListMeta


class DeletedEnvelope(BaseModel):
    """What a deletion answers."""

    data: None = None


class JsonResponse(Response):
    """A JSON response rendered by pydantic-core (UTC datetimes end in ``Z``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


def one(
    schema: type[BaseModel],
    obj: Any,
    *,
    status_code: int = 200,
    location: str | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """``{"data": {…}}`` with the object's ``ETag``; with ``location``, the ``Location``
    header of a creation."""
    all_headers = dict(headers or {})
    if getattr(obj, "updated_at", None) is not None and getattr(obj, "id", None) is not None:
        all_headers.setdefault("ETag", etag_of(obj))
    if location:
        all_headers["Location"] = location
    # The validated model is rendered straight to JSON (the same bytes as its dump).
    shown = schema.model_validate(obj, from_attributes=True)
    return JsonResponse({"data": shown}, status_code=status_code, headers=all_headers)


def deleted() -> JsonResponse:
    """``{"data": null}``."""
    return JsonResponse({"data": None})
