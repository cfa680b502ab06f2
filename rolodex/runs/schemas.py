"""How a run is shown: ``{"id": "run_…", "object": "run", "kind", "status", "dry_run",
"trigger", "steps": [...], "started_at", "finished_at"}``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from rolodex.schemas import OutModel


class StepRequest(BaseModel):
    """The HTTP request a step sent: never a header, every secret as ``***``."""

    method: str
    url: str
    status: int | None = Field(default=None, description="The remote's HTTP status.")
    duration_ms: int | None = None


class StepOut(BaseModel):
    """One step of a run: an operation, the request it sent, and its result or error."""

    index: int
    action: int | None = Field(default=None, description="The flow action it ran.")
    operation: str
    connection_id: str | None = None
    status: Literal["succeeded", "failed", "skipped"]
    request: StepRequest | None = None
    result: Any = None
    error: str | None = None
    at: datetime | None = None


class RunOut(OutModel):
    """A run of a sync, a flow or an operation."""

    object: Literal["run"] = "run"
    kind: Literal["sync", "flow", "operation"]
    status: Literal["queued", "running", "succeeded", "failed", "skipped", "waiting"]
    dry_run: bool
    trigger: dict[str, Any] = Field(description="What started it: an event, a poll, a client.")
    flow_id: str | None = None
    sync_id: str | None = None
    version: int | None = Field(default=None, description="The version of the flow or sync.")
    connection_id: str | None = None
    retry_of: str | None = Field(default=None, description="The run this one retried.")
    attempts: int
    steps: list[StepOut]
    result: Any = None
    error: str | None = None
    started_at: datetime | None
    finished_at: datetime | None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if isinstance(value, dict) or not hasattr(value, "job_kind"):
            return value
        return {
            "id": value.id,
            "created_at": value.created_at,
            "updated_at": value.updated_at,
            "kind": value.kind,
            "status": value.status,
            "dry_run": value.dry_run,
            "trigger": value.trigger or {},
            "flow_id": value.owner_id if value.kind == "flow" else None,
            "sync_id": value.owner_id if value.kind == "sync" else None,
            "version": value.owner_version,
            "connection_id": value.connection_id,
            "retry_of": value.retry_of,
            "attempts": value.attempts,
            "steps": list(value.steps or []),
            "result": value.result,
            "error": value.error,
            "started_at": value.started_at,
            "finished_at": value.finished_at,
        }
