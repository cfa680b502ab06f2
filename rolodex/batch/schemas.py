"""Request and response bodies of batch writes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rolodex.http.errors import ErrorDetail
from rolodex.validation import Bool

MAX_ITEMS = 250
MAX_TAG_NAMES = 1000
"""Distinct tag names (in any case) one batch may name across its items. Each item may
name up to 100 (as the single-item route); the bound keeps the tags one request may create,
and so the time it holds the database, small."""
Mode = Literal["create", "upsert"]
MatchOn = Literal["email", "id"]
ItemStatus = Literal["created", "updated", "unchanged", "error"]


class BatchRequest(BaseModel):
    """Up to 250 items, each written as its single-item route would write it."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Field(
        default="create",
        description="`create`: every item is a new record. `upsert`: an item that matches "
        "an existing record (see `match_on`) updates it, PATCH-style; others are created.",
    )
    match_on: MatchOn = Field(
        default="email",
        description="How `upsert` finds the existing record: by `email` (any case; the "
        "oldest live match) or by `id` (the item's `id`, which must exist).",
    )
    dry_run: Bool = Field(
        default=False,
        description="Validate and match every item, answer what would happen, write nothing "
        "(ids of records that would be created are null).",
    )
    items: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="The records, as the single-item POST (or PATCH, for updates) takes "
        f"them. Together they may name at most {MAX_TAG_NAMES} distinct tags.",
    )

    @field_validator("items")
    @classmethod
    def _bounded_tags(cls, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """At most :data:`MAX_TAG_NAMES` distinct tag names across the items."""
        names = {
            name.strip().lower()
            for item in items
            if isinstance(item.get("tags"), list)
            for name in item["tags"]
            if isinstance(name, str)
        }
        if len(names) > MAX_TAG_NAMES:
            raise ValueError(
                f"the items name {len(names)} distinct tags; one batch may name at most "
                f"{MAX_TAG_NAMES} (split it into smaller batches)"
            )
        return items


class ItemError(BaseModel):
    """Why one item was not written; the same code and details as the single-item route."""

    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ItemResult(BaseModel):
    """What happened to one item, at the same position as in the request."""

    index: int
    status: ItemStatus
    id: str | None = Field(description="The record written or matched; null on error.")
    data: dict[str, Any] | None = Field(description="The record as it is now; null on error.")
    error: ItemError | None = None


class BatchSummary(BaseModel):
    """How many items ended in each status."""

    created: int
    updated: int
    unchanged: int
    failed: int


class BatchResponse(BaseModel):
    """One result per item and the counts."""

    data: list[ItemResult]
    meta: BatchSummary
