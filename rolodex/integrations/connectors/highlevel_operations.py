"""The operations of the ``highlevel`` connector, in HighLevel's own paths and fields
(API v2, ``Version: 2021-07-28``, which the connector sends with every request).

``locationId`` is never an input: it is the connection's own ``location_id``, put into
the body, the query or the path where HighLevel wants it.

Actions: ``contacts.*`` (``create``, ``get``, ``update``, ``delete``, ``upsert``,
``list``, ``search``, ``list_by_business``, ``find_duplicate``), ``tasks.*`` (with
``complete`` and the location's ``search``), ``notes.*``, ``tags.add`` and
``tags.remove`` (a contact's tags) and the location's tags (``tags.list`` …),
``appointments.list`` (a contact's), ``custom_fields.*``. Each answers HighLevel's body
as it is (``{"contact": …}``, ``{"tasks": […]}`` …).

Triggers: HighLevel's webhook types (``ContactCreate`` … ``AppointmentDelete``), which
HighLevel pushes; run on their own they answer samples of what a delivery carries (the
newest contacts from ``POST /contacts/search``, or a contact's tasks, notes or
appointments). And the polled ``contacts.new_or_updated``: a search on ``dateUpdated``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rolodex.integrations.connector import (
    Operation,
    RemoteRequest,
    default_build,
    operations,
)

Where = Literal["body", "query", "path", "none"]
HLId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
Short = Annotated[str, Field(max_length=255)]
Text = Annotated[str, Field(max_length=50_000)]
TagNames = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]], Field(min_length=1, max_length=100)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- what HighLevel answers ---------------------------------------------------------


class HLCustomFieldValue(_Open):
    """A custom field of a contact."""

    id: str
    value: Any = None


class HLContact(_Open):
    """A HighLevel contact (fields without a value are left out)."""

    id: str
    locationId: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    companyName: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    website: str | None = None
    timezone: str | None = None
    source: str | None = None
    dnd: bool | None = None
    tags: list[str] = []
    customFields: list[HLCustomFieldValue] = []
    assignedTo: str | None = None
    dateOfBirth: str | None = None
    dateAdded: str | None = None
    dateUpdated: str | None = None


class HLTask(_Open):
    """A task of a contact."""

    id: str
    title: str | None = None
    body: str | None = None
    dueDate: str | None = None
    completed: bool | None = None
    assignedTo: str | None = None
    contactId: str | None = None


class HLNote(_Open):
    """A note of a contact."""

    id: str
    body: str | None = None
    userId: str | None = None
    dateAdded: str | None = None
    contactId: str | None = None


class HLAppointment(_Open):
    """An appointment (a calendar event) of a contact."""

    id: str
    title: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    appointmentStatus: str | None = None
    assignedUserId: str | None = None


class HLCustomField(_Open):
    """A custom field's definition."""

    id: str
    name: str | None = None
    fieldKey: str | None = None
    dataType: str | None = None
    model: str | None = None


class HLTag(_Open):
    """A tag of the location."""

    id: str
    name: str
    locationId: str | None = None


class ContactAnswer(_Open):
    """``{"contact": …}``."""

    contact: HLContact


class UpdatedContactAnswer(_Open):
    """``{"succeded": true, "contact": …}``."""

    succeded: bool | None = None
    contact: HLContact


class UpsertAnswer(_Open):
    """``{"new": bool, "contact": …}``."""

    new: bool
    contact: HLContact


class ContactsAnswer(_Open):
    """A page of contacts: ``{"contacts": […], "count" or "total", "meta"}``."""

    contacts: list[HLContact]
    count: int | None = None
    total: int | None = None
    meta: dict[str, Any] | None = None


class Succeeded(_Open):
    """``{"succeded": true}`` (HighLevel's spelling)."""

    succeded: bool | None = None


class TasksAnswer(_Open):
    """``{"tasks": […]}``."""

    tasks: list[HLTask]


class TaskAnswer(_Open):
    """``{"task": …}``."""

    task: HLTask


class NotesAnswer(_Open):
    """``{"notes": […]}``."""

    notes: list[HLNote]


class NoteAnswer(_Open):
    """``{"note": …}``."""

    note: HLNote


class AppointmentsAnswer(_Open):
    """``{"events": […]}``."""

    events: list[HLAppointment]


class ContactTagsAnswer(_Open):
    """A contact's tags after the change."""

    tags: list[str]
    tagsAdded: list[str] | None = None
    tagsRemoved: list[str] | None = None


class LocationTagsAnswer(_Open):
    """``{"tags": […]}``."""

    tags: list[HLTag]


class LocationTagAnswer(_Open):
    """``{"tag": …}``."""

    tag: HLTag


class CustomFieldsAnswer(_Open):
    """``{"customFields": […]}``."""

    customFields: list[HLCustomField]


class CustomFieldAnswer(_Open):
    """``{"customField": …}``."""

    customField: HLCustomField


class CustomFieldsByObjectAnswer(_Open):
    """Custom Fields V2: ``{"fields": […], "folders": […]}``."""

    fields: list[HLCustomField]
    folders: list[dict[str, Any]] = []


# --- what HighLevel takes -----------------------------------------------------------


class CustomFieldInput(_Strict):
    """One custom field to set, by ``id`` (or ``key``)."""

    id: Short | None = None
    key: Short | None = None
    field_value: Any = None


class _ContactFields(_Strict):
    firstName: Short | None = None
    lastName: Short | None = None
    name: Short | None = None
    email: Short | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    address1: Short | None = None
    city: Short | None = None
    state: Short | None = None
    postalCode: Annotated[str, Field(max_length=32)] | None = None
    country: Annotated[str, Field(max_length=64)] | None = None
    website: Short | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    dnd: bool | None = None
    dndSettings: dict[str, Any] | None = None
    inboundDndSettings: dict[str, Any] | None = None
    tags: Annotated[list[Short], Field(max_length=100)] | None = None
    customFields: Annotated[list[CustomFieldInput], Field(max_length=200)] | None = None
    source: Short | None = None
    dateOfBirth: Annotated[str, Field(max_length=32)] | None = None
    assignedTo: HLId | None = None


class ContactCreateInput(_ContactFields):
    """A new contact of the connection's location."""

    gender: Annotated[str, Field(max_length=32)] | None = None
    companyName: Short | None = None


class ContactUpdateInput(_ContactFields):
    """Only the fields given change."""

    contactId: HLId


class ContactUpsertInput(ContactCreateInput):
    """Found by email, then phone (per the location's duplicate settings), else made."""

    createNewIfDuplicateAllowed: bool | None = None


class ContactRef(_Strict):
    """One contact."""

    contactId: HLId


class ContactsListInput(_Strict):
    """A page of the location's contacts (``startAfterId`` / ``startAfter`` continue)."""

    query: Short | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    startAfterId: HLId | None = None
    startAfter: Annotated[int, Field(ge=0)] | None = None


class SearchSort(_Strict):
    """One sort key."""

    field: Annotated[str, Field(max_length=64)]
    direction: Literal["asc", "desc"] = "asc"


class ContactsSearchInput(_Strict):
    """``POST /contacts/search``: filters ``{"field", "operator", "value"}`` (or
    ``{"group", "filters"}``), up to two sort keys, ``page`` or ``searchAfter``."""

    query: Short | None = None
    pageLimit: Annotated[int, Field(ge=1, le=500)] = 20
    page: Annotated[int, Field(ge=1)] | None = None
    searchAfter: Annotated[list[Any], Field(max_length=3)] | None = None
    filters: Annotated[list[dict[str, Any]], Field(max_length=50)] | None = None
    sort: Annotated[list[SearchSort], Field(max_length=2)] | None = None


class ContactsByBusinessInput(_Strict):
    """The contacts of one business (a company)."""

    businessId: HLId
    limit: Annotated[int, Field(ge=1, le=100)] | None = None
    skip: Annotated[int, Field(ge=0)] | None = None
    query: Short | None = None


class DuplicateInput(_Strict):
    """A contact the location's duplicate rules would match: by ``email`` or ``number``."""

    email: Short | None = None
    number: Annotated[str, Field(max_length=64)] | None = None


class TaskCreateInput(ContactRef):
    """A new task of a contact."""

    title: Annotated[str, Field(min_length=1, max_length=500)]
    body: Text | None = None
    dueDate: datetime
    completed: bool
    assignedTo: HLId | None = None


class TaskRef(ContactRef):
    """One task of a contact."""

    taskId: HLId


class TaskUpdateInput(TaskRef):
    """Only the fields given change."""

    title: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    body: Text | None = None
    dueDate: datetime | None = None
    completed: bool | None = None
    assignedTo: HLId | None = None


class TaskCompleteInput(TaskRef):
    """Mark a task completed (or not)."""

    completed: bool


class TasksSearchInput(_Strict):
    """The location's tasks: by contacts, assignees, state or text."""

    contactId: Annotated[list[HLId], Field(max_length=100)] | None = None
    completed: bool | None = None
    assignedTo: Annotated[list[HLId], Field(max_length=100)] | None = None
    query: Short | None = None
    limit: Annotated[int, Field(ge=1, le=100)] | None = None
    skip: Annotated[int, Field(ge=0)] | None = None
    businessId: HLId | None = None


class NoteCreateInput(ContactRef):
    """A new note of a contact."""

    body: Annotated[str, Field(min_length=1, max_length=50_000)]
    userId: HLId | None = None
    title: Short | None = None
    color: Annotated[str, Field(max_length=32)] | None = None
    pinned: bool | None = None


class NoteRef(ContactRef):
    """One note of a contact."""

    noteId: HLId


class NoteUpdateInput(NoteRef):
    """Only the fields given change."""

    body: Annotated[str, Field(min_length=1, max_length=50_000)] | None = None
    userId: HLId | None = None
    title: Short | None = None
    color: Annotated[str, Field(max_length=32)] | None = None
    pinned: bool | None = None


class ContactTagsInput(ContactRef):
    """Tag names to add to (or remove from) a contact."""

    tags: TagNames


class NoInput(_Strict):
    """No input."""


class LocationTagRef(_Strict):
    """One tag of the location."""

    tagId: HLId


class LocationTagInput(_Strict):
    """A tag's name."""

    name: Annotated[str, Field(min_length=1, max_length=100)]


class LocationTagUpdateInput(LocationTagRef, LocationTagInput):
    """A tag's new name."""


CustomFieldModel = Literal["contact", "opportunity", "all"]
DataType = Literal[
    "TEXT",
    "LARGE_TEXT",
    "NUMERICAL",
    "PHONE",
    "MONETORY",
    "CHECKBOX",
    "SINGLE_OPTIONS",
    "MULTIPLE_OPTIONS",
    "FLOAT",
    "TIME",
    "DATE",
    "TEXTBOX_LIST",
    "FILE_UPLOAD",
    "SIGNATURE",
    "RADIO",
    "EMAIL",
]


class CustomFieldsListInput(_Strict):
    """The location's custom fields of one model."""

    model: CustomFieldModel | None = None


class CustomFieldRef(_Strict):
    """One custom field."""

    fieldId: HLId


class _CustomFieldBody(_Strict):
    placeholder: Short | None = None
    acceptedFormat: Annotated[list[Short], Field(max_length=50)] | None = None
    isMultipleFile: bool | None = None
    maxNumberOfFiles: Annotated[int, Field(ge=1, le=100)] | None = None
    textBoxListOptions: Annotated[list[dict[str, Any]], Field(max_length=200)] | None = None
    position: Annotated[int, Field(ge=0)] | None = None
    model: Literal["contact", "opportunity"] | None = None


class CustomFieldCreateInput(_CustomFieldBody):
    """A new custom field of the location."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    dataType: DataType


class CustomFieldUpdateInput(CustomFieldRef, _CustomFieldBody):
    """A custom field's new name and settings."""

    name: Annotated[str, Field(min_length=1, max_length=255)]


class CustomFieldsByObjectInput(_Strict):
    """Custom Fields V2: the fields and folders of one object."""

    objectKey: Annotated[
        str, Field(min_length=1, max_length=64, pattern=r"^[a-z_.]+$", examples=["contact"])
    ]


class ChangedAfterInput(_Strict):
    """Contacts changed after a moment, oldest change first."""

    updated_after: datetime
    pageLimit: Annotated[int, Field(ge=1, le=500)] = 100
    searchAfter: Annotated[list[Any], Field(max_length=3)] | None = None


class SamplesInput(_Strict):
    """The newest contacts, as samples of what a webhook delivers."""

    pageLimit: Annotated[int, Field(ge=1, le=100)] = 10


# --- how requests are built ---------------------------------------------------------


def _location(context: Mapping[str, Any]) -> str:
    location = context.get("location_id")
    if not location:
        raise ValueError("the connection has no location_id")
    return str(location)


def located(
    where: Where,
) -> Callable[[Operation, dict[str, Any], Mapping[str, Any]], RemoteRequest]:
    """A build that adds the connection's ``locationId`` where HighLevel wants it: in
    the JSON ``body``, the ``query``, or the ``path`` (``{locationId}``)."""

    def build(
        operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
    ) -> RemoteRequest:
        if where == "path":
            return default_build(operation, {**values, "locationId": _location(context)}, context)
        request = default_build(operation, values, context)
        if where == "body":
            return RemoteRequest(
                request.method,
                request.path,
                json={"locationId": _location(context), **(request.json or {})},
            )
        if where == "query":
            return RemoteRequest(
                request.method,
                request.path,
                params={"locationId": _location(context), **request.params},
            )
        return request

    return build


def _search(values: dict[str, Any], context: Mapping[str, Any], sort: str) -> RemoteRequest:
    return RemoteRequest(
        "POST",
        "/contacts/search",
        json={
            "locationId": _location(context),
            "pageLimit": values.get("pageLimit", 10),
            "sort": [{"field": sort, "direction": "desc"}],
        },
    )


def _changed_after(
    operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
) -> RemoteRequest:
    body: dict[str, Any] = {
        "locationId": _location(context),
        "pageLimit": values.get("pageLimit", 100),
        "filters": [
            {"field": "dateUpdated", "operator": "range", "value": {"gt": values["updated_after"]}}
        ],
        "sort": [{"field": "dateUpdated", "direction": "asc"}],
    }
    if values.get("searchAfter"):
        body["searchAfter"] = values["searchAfter"]
    return RemoteRequest("POST", "/contacts/search", json=body)


# --- the declarations ---------------------------------------------------------------


def action(
    key: str,
    title: str,
    method: str,
    path: str,
    input: type[BaseModel],
    output: Any,
    where: Where = "none",
) -> Operation:
    """One HighLevel action; ``where`` the connection's ``locationId`` goes."""
    return Operation(
        key=key,
        kind="action",
        title=title,
        description=f"`{method} {path}`"
        + ("" if where == "none" else f", the connection's `locationId` in the {where}")
        + ".",
        method=method,
        path=path,
        input=input,
        output=output,
        build=located(where),
        writes=method != "GET" and not key.endswith((".search", ".search_tasks")),
    )


CONTACT_WEBHOOKS: dict[str, str] = {
    "ContactCreate": "dateAdded",
    "ContactUpdate": "dateUpdated",
    "ContactDelete": "dateUpdated",
    "ContactDndUpdate": "dateUpdated",
    "ContactTagUpdate": "dateUpdated",
}
"""HighLevel's contact webhooks, and the field their samples are sorted by."""

CONTACT_RECORD_WEBHOOKS: dict[str, tuple[str, type[BaseModel]]] = {
    "TaskCreate": ("/contacts/{contactId}/tasks", TasksAnswer),
    "TaskComplete": ("/contacts/{contactId}/tasks", TasksAnswer),
    "TaskDelete": ("/contacts/{contactId}/tasks", TasksAnswer),
    "NoteCreate": ("/contacts/{contactId}/notes", NotesAnswer),
    "NoteUpdate": ("/contacts/{contactId}/notes", NotesAnswer),
    "NoteDelete": ("/contacts/{contactId}/notes", NotesAnswer),
    "AppointmentCreate": ("/contacts/{contactId}/appointments", AppointmentsAnswer),
    "AppointmentUpdate": ("/contacts/{contactId}/appointments", AppointmentsAnswer),
    "AppointmentDelete": ("/contacts/{contactId}/appointments", AppointmentsAnswer),
}
"""HighLevel's webhooks of a contact's records, and the list their samples come from."""


def _words(name: str) -> str:
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


def contact_webhook(name: str) -> Operation:
    """A trigger of HighLevel's contact webhook ``name``."""
    sort = CONTACT_WEBHOOKS[name]

    def build(
        operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
    ) -> RemoteRequest:
        return _search(values, context, sort)

    return Operation(
        key=name,
        kind="trigger",
        title=f"HighLevel: {_words(name)}",
        description=f"HighLevel's `{name}` webhook delivers the contact's fields with "
        f"`type` and `locationId`. Run on its own: samples, the newest contacts from "
        f"`POST /contacts/search` (by `{sort}`).",
        method="POST",
        path="/contacts/search",
        input=SamplesInput,
        output=ContactsAnswer,
        build=build,
    )


def record_webhook(name: str) -> Operation:
    """A trigger of HighLevel's webhook ``name`` of a contact's task, note or appointment."""
    path, answer = CONTACT_RECORD_WEBHOOKS[name]
    return Operation(
        key=name,
        kind="trigger",
        title=f"HighLevel: {_words(name)}",
        description=f"HighLevel's `{name}` webhook. Run on its own: samples, `GET {path}`.",
        method="GET",
        path=path,
        input=ContactRef,
        output=answer,
    )


HIGHLEVEL_OPERATIONS = operations(
    action(
        "contacts.create",
        "Create a contact",
        "POST",
        "/contacts/",
        ContactCreateInput,
        ContactAnswer,
        "body",
    ),
    action(
        "contacts.get", "Get a contact", "GET", "/contacts/{contactId}", ContactRef, ContactAnswer
    ),
    action(
        "contacts.update",
        "Update a contact",
        "PUT",
        "/contacts/{contactId}",
        ContactUpdateInput,
        UpdatedContactAnswer,
    ),
    action(
        "contacts.delete",
        "Delete a contact",
        "DELETE",
        "/contacts/{contactId}",
        ContactRef,
        Succeeded,
    ),
    action(
        "contacts.upsert",
        "Create or update a contact",
        "POST",
        "/contacts/upsert",
        ContactUpsertInput,
        UpsertAnswer,
        "body",
    ),
    action(
        "contacts.list",
        "List contacts",
        "GET",
        "/contacts/",
        ContactsListInput,
        ContactsAnswer,
        "query",
    ),
    action(
        "contacts.search",
        "Search contacts",
        "POST",
        "/contacts/search",
        ContactsSearchInput,
        ContactsAnswer,
        "body",
    ),
    action(
        "contacts.list_by_business",
        "Contacts of a business",
        "GET",
        "/contacts/business/{businessId}",
        ContactsByBusinessInput,
        ContactsAnswer,
        "query",
    ),
    action(
        "contacts.find_duplicate",
        "Find a duplicate contact",
        "GET",
        "/contacts/search/duplicate",
        DuplicateInput,
        ContactAnswer,
        "query",
    ),
    action(
        "tasks.list",
        "A contact's tasks",
        "GET",
        "/contacts/{contactId}/tasks",
        ContactRef,
        TasksAnswer,
    ),
    action(
        "tasks.get",
        "Get a task",
        "GET",
        "/contacts/{contactId}/tasks/{taskId}",
        TaskRef,
        TaskAnswer,
    ),
    action(
        "tasks.create",
        "Create a task",
        "POST",
        "/contacts/{contactId}/tasks",
        TaskCreateInput,
        TaskAnswer,
    ),
    action(
        "tasks.update",
        "Update a task",
        "PUT",
        "/contacts/{contactId}/tasks/{taskId}",
        TaskUpdateInput,
        TaskAnswer,
    ),
    action(
        "tasks.delete",
        "Delete a task",
        "DELETE",
        "/contacts/{contactId}/tasks/{taskId}",
        TaskRef,
        Succeeded,
    ),
    action(
        "tasks.complete",
        "Complete a task",
        "PUT",
        "/contacts/{contactId}/tasks/{taskId}/completed",
        TaskCompleteInput,
        TaskAnswer,
    ),
    action(
        "tasks.search",
        "Search the location's tasks",
        "POST",
        "/locations/{locationId}/tasks/search",
        TasksSearchInput,
        TasksAnswer,
        "path",
    ),
    action(
        "notes.list",
        "A contact's notes",
        "GET",
        "/contacts/{contactId}/notes",
        ContactRef,
        NotesAnswer,
    ),
    action(
        "notes.get",
        "Get a note",
        "GET",
        "/contacts/{contactId}/notes/{noteId}",
        NoteRef,
        NoteAnswer,
    ),
    action(
        "notes.create",
        "Create a note",
        "POST",
        "/contacts/{contactId}/notes",
        NoteCreateInput,
        NoteAnswer,
    ),
    action(
        "notes.update",
        "Update a note",
        "PUT",
        "/contacts/{contactId}/notes/{noteId}",
        NoteUpdateInput,
        NoteAnswer,
    ),
    action(
        "notes.delete",
        "Delete a note",
        "DELETE",
        "/contacts/{contactId}/notes/{noteId}",
        NoteRef,
        Succeeded,
    ),
    action(
        "tags.add",
        "Add tags to a contact",
        "POST",
        "/contacts/{contactId}/tags",
        ContactTagsInput,
        ContactTagsAnswer,
    ),
    action(
        "tags.remove",
        "Remove tags from a contact",
        "DELETE",
        "/contacts/{contactId}/tags",
        ContactTagsInput,
        ContactTagsAnswer,
    ),
    action(
        "tags.list",
        "The location's tags",
        "GET",
        "/locations/{locationId}/tags",
        NoInput,
        LocationTagsAnswer,
        "path",
    ),
    action(
        "tags.get",
        "Get a tag of the location",
        "GET",
        "/locations/{locationId}/tags/{tagId}",
        LocationTagRef,
        LocationTagAnswer,
        "path",
    ),
    action(
        "tags.create",
        "Create a tag of the location",
        "POST",
        "/locations/{locationId}/tags",
        LocationTagInput,
        LocationTagAnswer,
        "path",
    ),
    action(
        "tags.update",
        "Rename a tag of the location",
        "PUT",
        "/locations/{locationId}/tags/{tagId}",
        LocationTagUpdateInput,
        LocationTagAnswer,
        "path",
    ),
    action(
        "tags.delete",
        "Delete a tag of the location",
        "DELETE",
        "/locations/{locationId}/tags/{tagId}",
        LocationTagRef,
        Succeeded,
        "path",
    ),
    action(
        "appointments.list",
        "A contact's appointments",
        "GET",
        "/contacts/{contactId}/appointments",
        ContactRef,
        AppointmentsAnswer,
    ),
    action(
        "custom_fields.list",
        "The location's custom fields",
        "GET",
        "/locations/{locationId}/customFields",
        CustomFieldsListInput,
        CustomFieldsAnswer,
        "path",
    ),
    action(
        "custom_fields.get",
        "Get a custom field",
        "GET",
        "/locations/{locationId}/customFields/{fieldId}",
        CustomFieldRef,
        CustomFieldAnswer,
        "path",
    ),
    action(
        "custom_fields.create",
        "Create a custom field",
        "POST",
        "/locations/{locationId}/customFields",
        CustomFieldCreateInput,
        CustomFieldAnswer,
        "path",
    ),
    action(
        "custom_fields.update",
        "Update a custom field",
        "PUT",
        "/locations/{locationId}/customFields/{fieldId}",
        CustomFieldUpdateInput,
        CustomFieldAnswer,
        "path",
    ),
    action(
        "custom_fields.delete",
        "Delete a custom field",
        "DELETE",
        "/locations/{locationId}/customFields/{fieldId}",
        CustomFieldRef,
        Succeeded,
        "path",
    ),
    action(
        "custom_fields.list_by_object",
        "Custom fields of an object (V2)",
        "GET",
        "/custom-fields/object-key/{objectKey}",
        CustomFieldsByObjectInput,
        CustomFieldsByObjectAnswer,
        "query",
    ),
    *(contact_webhook(name) for name in CONTACT_WEBHOOKS),
    *(record_webhook(name) for name in CONTACT_RECORD_WEBHOOKS),
    Operation(
        key="contacts.new_or_updated",
        kind="trigger",
        title="New or updated HighLevel contacts",
        description="Polled: `POST /contacts/search` for `dateUpdated` after "
        "`updated_after`, oldest change first; continue with the last contact's "
        "`searchAfter`.",
        method="POST",
        path="/contacts/search",
        input=ChangedAfterInput,
        output=ContactsAnswer,
        build=_changed_after,
    ),
)
"""Every operation of the ``highlevel`` connector, by key."""
