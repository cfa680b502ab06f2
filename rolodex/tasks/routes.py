"""Routes of tasks: nested under a contact, completion, and the account-wide ``/tasks``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.contacts.subresources import account_wide, nested_routes
from rolodex.http.envelope import DataEnvelope, JsonResponse, ListEnvelope, one
from rolodex.http.pagination import (
    ListParams,
    QueryText,
    QueryTime,
    list_params,
    list_response,
    paginate,
)
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.ids import id_pattern
from rolodex.tasks import service
from rolodex.tasks.models import Task
from rolodex.tasks.schemas import TaskCompletion, TaskOut

router = api_router("contacts", tags=["Tasks"])
nested_routes(service.SPEC, router)


@router.put(
    "/contacts/{contact_id}/tasks/{task_id}/completed",
    response_model=DataEnvelope[TaskOut],
    summary="Mark a task completed or not",
)
async def complete_task(
    contact_id: Annotated[str, Path(json_schema_extra={"pattern": id_pattern("cnt")})],
    task_id: Annotated[str, Path(json_schema_extra={"pattern": id_pattern("tsk")})],
    body: TaskCompletion,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    task = await service.set_completed(
        session, principal, contact_id, task_id, body.completed, precondition=precondition
    )
    return one(TaskOut, task)


@router.get("/tasks", response_model=ListEnvelope[TaskOut], summary="List the account's tasks")
async def list_tasks(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(list_params(list(service.SPEC.sorts), "tsk"))],
    contact_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    assignee_id: Annotated[QueryText | None, Query(max_length=64)] = None,
    completed: Annotated[bool | None, Query()] = None,
    due_before: Annotated[
        QueryTime | None, Query(description="Due strictly before this time.")
    ] = None,
    due_after: Annotated[
        QueryTime | None, Query(description="Due strictly after this time.")
    ] = None,
) -> JsonResponse:
    stmt = account_wide(service.SPEC, principal)
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
    page = await paginate(
        session,
        stmt,
        model=Task,
        collection="tasks",
        sortable=service.SPEC.sorts,
        params=params,
        secret=secret,
    )
    return list_response(request, page, TaskOut)
