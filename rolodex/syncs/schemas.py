"""Request and response bodies of syncs, their runs and links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from rolodex.schemas import SERVER_FIELDS, OutModel, WriteModel
from rolodex.validation import Bool

Object = Literal["contacts", "companies", "tasks", "notes"]
Direction = Literal["push", "pull", "both"]
Conflict = Literal["newest_wins", "rolodex_wins", "remote_wins"]
Deletes = Literal["propagate", "ignore"]
FieldMapping = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=100)], Any],
    Field(
        max_length=100,
        description='`{"<rolodex field>": "<remote field>"}`; dotted paths reach into '
        "nested objects. Default: the connector's mapping of the object.",
        examples=[{"first_name": "firstName", "email": "email", "tags": "tags"}],
    ),
]
Filter = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1000,
        description="A JMESPath expression over the record (in Rolodex's fields); only "
        "records it is true for sync.",
        examples=["contains(tags, 'customer')"],
    ),
]
PollSeconds = Annotated[int, Field(ge=30, le=86400)]


class SyncCreate(WriteModel):
    """A new sync of one record type with a connection."""

    read_only = frozenset({"record_type", "last_run_at", "next_poll_at", "remote_type"})

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, value: Any) -> Any:
        # ``object`` is the contract's name of the object synced, not the type marker
        # every other body may repeat.
        if isinstance(value, dict):
            ignored = (SERVER_FIELDS - {"object"}) | cls.read_only
            return {k: v for k, v in value.items() if k not in ignored}
        return value

    connection_id: Annotated[str, Field(min_length=1, max_length=40)]
    object: Object
    direction: Direction = "both"
    mapping: FieldMapping | None = None
    conflict: Conflict = "newest_wins"
    deletes: Deletes = "propagate"
    filter: Filter | None = None
    poll_seconds: PollSeconds = 300
    enabled: Bool = True


class SyncPatch(WriteModel):
    """Fields of a sync to change; only those sent apply. Its connection and object do
    not change (make another sync instead)."""

    read_only = frozenset(
        {"connection_id", "object", "record_type", "last_run_at", "next_poll_at", "remote_type"}
    )

    direction: Direction | None = None
    mapping: FieldMapping | None = None
    conflict: Conflict | None = None
    deletes: Deletes | None = None
    filter: Filter | None = None
    poll_seconds: PollSeconds | None = None
    enabled: Bool | None = None


class SyncOut(OutModel):
    """A sync as the API shows it."""

    object: Literal["sync"] = "sync"
    connection_id: str
    record_type: Object = Field(description="The object synced (`object` when a sync is created).")
    remote_type: str = Field(description="What the remote calls it (`people` at MOCO).")
    direction: Direction
    mapping: dict[str, str]
    conflict: Conflict
    deletes: Deletes
    filter: str | None
    poll_seconds: int
    enabled: bool
    last_run_at: datetime | None
    next_poll_at: datetime | None


class RunRequest(WriteModel):
    """How to run a sync now."""

    dry_run: Bool = Field(default=False, description="Answer what would be written; write nothing.")
    full: Bool = Field(
        default=False, description="Look at every record on both sides, not just the changed."
    )


class LinkOut(OutModel):
    """One Rolodex record and the remote record it is kept the same as."""

    object: Literal["link"] = "link"
    connection_id: str
    sync_id: str | None
    record_type: str
    record_id: str
    remote_type: str
    remote_id: str
    synced_at: datetime
    record_hash: str | None = Field(description="SHA-256 of the mapped fields Rolodex last held.")
    remote_hash: str | None = Field(description="SHA-256 of what the remote last held (mapped).")
    record_deleted: bool
    remote_deleted: bool
