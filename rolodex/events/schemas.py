"""Events as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rolodex.http.envelope import ListMeta


class Origin(BaseModel):
    """Where a change came from, so that a consumer can tell its own writes from others'."""

    kind: Literal["api", "dashboard", "import", "sync", "flow", "system"]
    surface: Literal["native", "moco", "highlevel"] | None = Field(
        default=None,
        description="For `api` changes, the API they were made through: the native one or "
        "a dialect (`/moco/api/v1`, `/highlevel`).",
    )
    request_id: str | None = Field(description="The `X-Request-Id` of the request.")
    user_id: str | None = Field(description="The user the change was made as.")
    impersonator_id: str | None = Field(description="The staff user impersonating, if any.")
    credential_id: str | None = Field(description="The API key (or OAuth client) used.")
    connection_id: str | None = Field(
        default=None,
        description="For `sync` changes, the connection the sync keeps Rolodex the same as.",
    )
    flow_id: str | None = Field(
        default=None,
        description="For `flow` changes, the flow whose run made the change (through a "
        "`rolodex` connection to this server and account).",
    )
    run_id: str | None = Field(default=None, description="For `flow` changes, that run.")


class EventOut(BaseModel):
    """One change of one resource."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    object: Literal["event"] = "event"
    type: str = Field(examples=["contact.updated"])
    created_at: datetime
    data: dict[str, Any] | None = Field(description="The resource as the API showed it then.")
    changes: dict[str, Any] | None = Field(
        description="Updates only: each changed field as `[old, new]`.",
        examples=[{"email": ["jane@old.example", "jane@example.com"]}],
    )
    origin: Origin


class EventListMeta(ListMeta):
    """Page information, and where to resume the feed from later."""

    resume_cursor: str | None = Field(
        description="Send as `after` to get only the events after this page, even when "
        "this was the last page; null when there is nothing to resume after."
    )


class EventListEnvelope(BaseModel):
    """A page of the event feed."""

    data: list[EventOut]
    meta: EventListMeta
