"""Request and response bodies of tasks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.validation import Bool, LongText, RequiredText, UtcDatetime


class TaskWrite(WriteModel):
    """A task as a client writes it; ``title`` is required. ``completed_at`` is kept by
    the server when ``completed`` changes."""

    read_only: ClassVar[frozenset[str]] = frozenset({"contact_id", "completed_at"})

    title: RequiredText = Field(examples=["Send the proposal"])
    body: LongText | None = None
    due_at: UtcDatetime | None = Field(default=None, examples=["2026-12-01T09:00:00Z"])
    completed: Bool = False
    assignee_id: str | None = Field(
        default=None, description="A user; defaults to the acting user (null for an account key)."
    )


if TYPE_CHECKING:  # the checker sees the fields; at run time every one is optional
    TaskPatch = TaskWrite
else:
    TaskPatch = partial(TaskWrite, "TaskPatch")


class TaskCompletion(WriteModel):
    """Mark a task done or not done."""

    completed: Bool


class TaskOut(OutModel):
    """A task as the API shows it."""

    object: Literal["task"] = "task"
    contact_id: str
    title: str
    body: str | None
    due_at: datetime | None
    completed: bool
    completed_at: datetime | None
    assignee_id: str | None
    deleted_at: datetime | None
