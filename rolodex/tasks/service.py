"""Tasks: their rules on top of the records-under-a-contact mechanism."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.contacts.subresources import SubresourceSpec, get_child
from rolodex.db import utcnow
from rolodex.preconditions import Precondition
from rolodex.tasks.models import Task
from rolodex.tasks.schemas import TaskOut, TaskPatch, TaskWrite


def _prepare(
    values: dict[str, Any], record: Task | None, principal: Principal, sent: set[str]
) -> None:
    """Assign new tasks to their creator by default; keep ``completed_at`` in step."""
    if record is None and "assignee_id" not in sent:
        values["assignee_id"] = principal.user_id
    if "completed" in values:
        was_completed = record is not None and record.completed
        if values["completed"] and not was_completed:
            values["completed_at"] = utcnow()
        elif not values["completed"]:
            values["completed_at"] = None


SPEC = SubresourceSpec(
    label="task",
    plural="tasks",
    prefix="tsk",
    model=Task,
    write=TaskWrite,
    patch=TaskPatch,
    out=TaskOut,
    sorts={
        "created_at": Task.created_at,
        "updated_at": Task.updated_at,
        "due_at": Task.due_at,
        "title": Task.title,
    },
    required=("title", "completed"),
    user_fields=("assignee_id",),
    prepare=_prepare,
)


async def set_completed(
    session: AsyncSession,
    principal: Principal,
    contact_id: str,
    task_id: str,
    completed: bool,
    *,
    precondition: Precondition | None,
) -> Task:
    """Mark a task done (stamping ``completed_at``) or not done (clearing it)."""
    task: Task = await get_child(
        session, principal, SPEC, contact_id, task_id, for_update=True, precondition=precondition
    )
    if task.completed != completed:
        task.completed = completed
        task.completed_at = utcnow() if completed else None
        task.updated_at = utcnow()
    await session.flush()
    return task
