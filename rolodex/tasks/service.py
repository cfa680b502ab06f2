"""Tasks: their rules on top of the records-under-a-contact mechanism."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.contacts.children import ChildRules, account_wide, get_child
from rolodex.db import utcnow
from rolodex.kinds import TASK
from rolodex.preconditions import Precondition
from rolodex.tasks.models import Task


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


RULES = ChildRules(required=("title", "completed"), user_fields=("assignee_id",), prepare=_prepare)


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
        session, principal, TASK, contact_id, task_id, for_update=True, precondition=precondition
    )
    if task.completed != completed:
        task.completed = completed
        task.completed_at = utcnow() if completed else None
        task.updated_at = utcnow()
    await session.flush()
    return task


def search(
    principal: Principal,
    *,
    contact_id: str | None = None,
    assignee_id: str | None = None,
    completed: bool | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
) -> Select[Any]:
    """The account's tasks matching the filters; all filters must hold. ``due_before``
    and ``due_after`` are strict."""
    stmt = account_wide(TASK, principal)
    if contact_id is not None:
        stmt = stmt.where(Task.contact_id == contact_id)
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if completed is not None:
        stmt = stmt.where(Task.completed.is_(completed))
    if due_before is not None:
        stmt = stmt.where(Task.due_at < due_before)
    if due_after is not None:
        stmt = stmt.where(Task.due_at > due_after)
    return stmt
