"""A remote change as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from rolodex.schemas import OutModel


class RemoteChangeOut(OutModel):
    """One change of a remote record, in its connection's stream."""

    object: Literal["remote_change"] = "remote_change"
    connection_id: str
    sequence: int = Field(description="Its number in the connection's stream, increasing.")
    remote_type: str = Field(description="`contact`, `company`, `task`, `note`, `comment` …")
    remote_id: str = Field(description="The record's id at the remote.")
    remote_updated_at: datetime = Field(description="When the remote says it changed.")
    action: Literal["created", "updated", "deleted", "restored"]
    source: Literal["webhook", "poll"] = Field(description="Which route saw it first.")
    event: str | None = Field(description="The remote's own name of the event, if it gave one.")
    received_at: datetime
    stale: bool = Field(
        description="A newer change of the same record was already in the stream when this "
        "one arrived (an out-of-order delivery)."
    )
    payload: Any = Field(description="The record as the remote sent it.")
