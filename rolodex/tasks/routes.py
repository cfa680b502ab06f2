"""Routes of tasks: nested under a contact, completion, and the account-wide ``/tasks``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.contacts.child_routes import nested_routes
from rolodex.http.envelope import DataEnvelope, JsonResponse, ListEnvelope, one
from rolodex.http.pagination import (
    ListParams,
    QueryText,
    QueryTime,
    kind_params,
    list_response,
    paginate_kind,
)
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.kinds import CONTACT, TASK
from rolodex.tasks import service
from rolodex.tasks.schemas import TaskCompletion, TaskOut

router = api_router(TASK.scope, tags=["Tasks"])
nested_routes(TASK, service.RULES, router)


@router.put(
    f"{TASK.nested_path}/{{{TASK.id_param}}}/completed",
    response_model=DataEnvelope[TaskOut],
    summary="Mark a task completed or not",
)
async def complete_task(
    contact_id: Annotated[str, Path(json_schema_extra={"pattern": CONTACT.id_pattern})],
    task_id: Annotated[str, Path(json_schema_extra={"pattern": TASK.id_pattern})],
    body: TaskCompletion,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    task = await service.set_completed(
        session, principal, contact_id, task_id, body.completed, precondition=precondition
    )
    return one(TaskOut, task)


@router.get(TASK.path, response_model=ListEnvelope[TaskOut], summary="List the account's tasks")
async def list_tasks(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Annotated[ListParams, Depends(kind_params(TASK))],
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
    stmt = service.search(
        principal,
        contact_id=contact_id,
        assignee_id=assignee_id,
        completed=completed,
        due_before=due_before,
        due_after=due_after,
    )
    page = await paginate_kind(
        session,
        stmt,
        TASK,
        params=params,
        secret=secret,
    )
    return list_response(request, page, TaskOut)
