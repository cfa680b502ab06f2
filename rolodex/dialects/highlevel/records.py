"""HighLevel's routes of records under a contact — tasks, notes, appointments — and of a
contact's tags, over the native services (:mod:`rolodex.contacts.children`, the task
service's completion, the contact service's tags)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.appointments.schemas import AppointmentOut
from rolodex.contacts import children
from rolodex.contacts import service as contacts
from rolodex.dialects.highlevel import bodies, shapes
from rolodex.dialects.highlevel.answers import TraceId, answer, native
from rolodex.dialects.highlevel.surface import HIGHLEVEL
from rolodex.http.envelope import JsonResponse
from rolodex.http.pipeline import CurrentPrincipal, Session, WritePrecondition, api_router
from rolodex.kinds import APPOINTMENT, CONTACT, NOTE, TASK, ResourceKind
from rolodex.notes import service as notes
from rolodex.notes.schemas import NoteOut, NotePatch, NoteWrite
from rolodex.schemas import dump
from rolodex.tags.schemas import TagNamesBody
from rolodex.tasks import service as tasks
from rolodex.tasks.schemas import TaskOut, TaskPatch, TaskWrite

router = api_router(
    CONTACT.scope, surface=HIGHLEVEL, prefix="/contacts/{contactId}", tags=["Contacts"]
)


def _id(alias: str, kind: ResourceKind) -> Any:
    return Path(
        alias=alias,
        max_length=64,
        description=f"A {kind.title} id.",
        json_schema_extra={"pattern": kind.id_pattern},
    )


ContactId = Annotated[str, _id("contactId", CONTACT)]
TaskId = Annotated[str, _id("taskId", TASK)]
NoteId = Annotated[str, _id("id", NOTE)]
DELETED = {"succeded": True, "succeeded": True}


async def _all(
    session: AsyncSession, principal: Principal, kind: ResourceKind, contact_id: str
) -> list[Any]:
    """Every live record of a kind under a live contact, oldest first."""
    stmt = await children.of_contact(session, principal, kind, contact_id)
    model = kind.model
    stmt = stmt.where(model.deleted_at.is_(None)).order_by(model.created_at, model.id)
    return list((await session.scalars(stmt)).all())


# --- tasks ---------------------------------------------------------------------------


@router.get("/tasks", response_model=bodies.TaskList, summary="List a contact's tasks")
async def list_tasks(
    contact_id: ContactId, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    rows = await _all(session, principal, TASK, contact_id)
    return answer(trace, {"tasks": [shapes.task_of(dump(TaskOut, task)) for task in rows]})


@router.post("/tasks", status_code=201, response_model=bodies.TaskAnswer, summary="Create a task")
async def create_task(
    contact_id: ContactId,
    body: bodies.TaskCreate,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
) -> JsonResponse:
    write = native(TaskWrite, shapes.task_values_of(body.sent()))
    task = await children.create_child(session, principal, TASK, tasks.RULES, contact_id, write)
    return answer(trace, {"task": shapes.task_of(dump(TaskOut, task))}, status_code=201)


@router.get("/tasks/{taskId}", response_model=bodies.TaskAnswer, summary="Get a task")
async def get_task(
    contact_id: ContactId,
    task_id: TaskId,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
) -> JsonResponse:
    task = await children.get_child(session, principal, TASK, contact_id, task_id)
    return answer(trace, {"task": shapes.task_of(dump(TaskOut, task))})


@router.put(
    "/tasks/{taskId}",
    response_model=bodies.TaskAnswer,
    summary="Update a task",
    description="Only the fields sent change.",
)
async def update_task(
    contact_id: ContactId,
    task_id: TaskId,
    body: bodies.TaskUpdate,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    patch = native(TaskPatch, shapes.task_values_of(body.sent()))
    task = await children.update_child(
        session,
        principal,
        TASK,
        tasks.RULES,
        contact_id,
        task_id,
        patch,
        replace=False,
        precondition=precondition,
    )
    return answer(trace, {"task": shapes.task_of(dump(TaskOut, task))})


@router.put(
    "/tasks/{taskId}/completed",
    response_model=bodies.TaskAnswer,
    summary="Mark a task completed or not",
)
async def complete_task(
    contact_id: ContactId,
    task_id: TaskId,
    body: bodies.TaskCompleted,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    task = await tasks.set_completed(
        session, principal, contact_id, task_id, body.completed, precondition=precondition
    )
    return answer(trace, {"task": shapes.task_of(dump(TaskOut, task))})


@router.delete("/tasks/{taskId}", response_model=bodies.Deleted, summary="Delete a task")
async def delete_task(
    contact_id: ContactId,
    task_id: TaskId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    await children.delete_child(
        session, principal, TASK, contact_id, task_id, precondition=precondition
    )
    return answer(trace, DELETED)


# --- notes ---------------------------------------------------------------------------


@router.get("/notes", response_model=bodies.NoteList, summary="List a contact's notes")
async def list_notes(
    contact_id: ContactId, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    rows = await _all(session, principal, NOTE, contact_id)
    return answer(trace, {"notes": [shapes.note_of(dump(NoteOut, note)) for note in rows]})


@router.post(
    "/notes",
    status_code=201,
    response_model=bodies.NoteAnswer,
    summary="Create a note",
    description="Written as the acting user: a `userId` of another user is 403; `title` "
    "and `color` are not kept.",
)
async def create_note(
    contact_id: ContactId,
    body: bodies.NoteCreate,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
) -> JsonResponse:
    write = native(NoteWrite, shapes.note_values_of(body.sent()))
    note = await children.create_child(session, principal, NOTE, notes.RULES, contact_id, write)
    return answer(trace, {"note": shapes.note_of(dump(NoteOut, note))}, status_code=201)


@router.get("/notes/{id}", response_model=bodies.NoteAnswer, summary="Get a note")
async def get_note(
    contact_id: ContactId,
    note_id: NoteId,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
) -> JsonResponse:
    note = await children.get_child(session, principal, NOTE, contact_id, note_id)
    return answer(trace, {"note": shapes.note_of(dump(NoteOut, note))})


@router.put(
    "/notes/{id}",
    response_model=bodies.NoteAnswer,
    summary="Update a note",
    description="Only the fields sent change.",
)
async def update_note(
    contact_id: ContactId,
    note_id: NoteId,
    body: bodies.NoteFields,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    patch = native(NotePatch, shapes.note_values_of(body.sent()))
    note = await children.update_child(
        session,
        principal,
        NOTE,
        notes.RULES,
        contact_id,
        note_id,
        patch,
        replace=False,
        precondition=precondition,
    )
    return answer(trace, {"note": shapes.note_of(dump(NoteOut, note))})


@router.delete("/notes/{id}", response_model=bodies.Deleted, summary="Delete a note")
async def delete_note(
    contact_id: ContactId,
    note_id: NoteId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    await children.delete_child(
        session, principal, NOTE, contact_id, note_id, precondition=precondition
    )
    return answer(trace, DELETED)


# --- appointments and tags -----------------------------------------------------------


@router.get(
    "/appointments",
    response_model=bodies.EventList,
    summary="A contact's appointments",
    description="Its appointments as calendar events, oldest first.",
)
async def list_appointments(
    contact_id: ContactId, session: Session, principal: CurrentPrincipal, trace: TraceId
) -> JsonResponse:
    rows = await _all(session, principal, APPOINTMENT, contact_id)
    events = [
        shapes.appointment_of(dump(AppointmentOut, row), location_id=principal.account_id)
        for row in rows
    ]
    return answer(trace, {"events": events})


@router.post(
    "/tags",
    status_code=201,
    response_model=bodies.TagsAnswer,
    summary="Add tags",
    description="Unknown tag names are created. Answers the contact's tags now, and "
    "`tagsAdded`: those it did not have.",
)
async def add_tags(
    contact_id: ContactId,
    body: bodies.TagNames,
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
) -> JsonResponse:
    before = (await contacts.get_contact(session, principal, contact_id)).tag_names
    names = native(TagNamesBody, {"tags": body.tags}).tags
    contact = await contacts.add_tags(session, principal, contact_id, names)
    had = {name.casefold() for name in before}
    added = [name for name in contact.tag_names if name.casefold() not in had]
    return answer(trace, {"tags": contact.tag_names, "tagsAdded": added}, status_code=201)


@router.delete(
    "/tags",
    response_model=bodies.TagsAnswer,
    summary="Remove tags",
    description="Names the contact does not have are ignored. Answers its tags now, and "
    "`tagsRemoved`: those it had.",
)
async def remove_tags(
    contact_id: ContactId,
    body: bodies.TagNames,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    trace: TraceId,
) -> JsonResponse:
    before = (await contacts.get_contact(session, principal, contact_id)).tag_names
    names = native(TagNamesBody, {"tags": body.tags}).tags
    contact = await contacts.remove_tags(
        session, principal, contact_id, names, precondition=precondition
    )
    now = {name.casefold() for name in contact.tag_names}
    removed = [name for name in before if name.casefold() not in now]
    return answer(trace, {"tags": contact.tag_names, "tagsRemoved": removed})
