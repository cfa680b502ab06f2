"""HighLevel's request bodies and answers, as the surface validates and documents them.

Bodies check JSON types only, by HighLevel's field names (a string where HighLevel
wants one, a boolean for ``dnd``…); what a value may be (an email address, a time zone,
a user of the account) is checked by the native schemas once the body is translated
(:mod:`.shapes`), and reported under HighLevel's names. A field HighLevel knows but
Rolodex keeps nothing of (``dndSettings``, ``type``, a note's ``title``…) is accepted and
not stored; a field HighLevel does not know is refused, as HighLevel refuses it.

The answers are documented here for the surface's own OpenAPI document
(``/highlevel/openapi.json``); routes build them with :mod:`.shapes`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

Text = StrictStr | None


class Body(BaseModel):
    """A HighLevel request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    def sent(self) -> dict[str, Any]:
        """The fields the client sent, nested items included, by HighLevel's names."""
        return self.model_dump(exclude_unset=True)


class CustomFieldValue(Body):
    """One custom field to set: by ``id`` or ``key``; its value in ``field_value``
    (``fieldValue`` and ``value`` are taken too). A null value removes the field."""

    id: Text = None
    key: Text = None
    field_value: Any = None
    fieldValue: Any = None
    value: Any = None


class ContactFields(Body):
    """The fields of a contact HighLevel writes."""

    firstName: Text = Field(default=None, examples=["Rosan"])
    lastName: Text = None
    name: Text = None
    email: Text = None
    phone: Text = None
    gender: Text = None
    address1: Text = None
    city: Text = None
    state: Text = None
    postalCode: Text = None
    country: Text = None
    website: Text = None
    timezone: Text = None
    dnd: StrictBool | None = None
    tags: list[StrictStr] | None = None
    customFields: list[CustomFieldValue] | None = None
    source: Text = None
    dateOfBirth: Any = None
    companyName: Text = None
    businessId: Text = Field(default=None, description="A company id of the account.")
    assignedTo: Text = Field(default=None, description="A user id of the account.")
    # Known to HighLevel, kept by Rolodex nowhere: accepted, not stored.
    dndSettings: dict[str, Any] | None = None
    inboundDndSettings: dict[str, Any] | None = None
    type: Text = None


class ContactCreate(ContactFields):
    """``POST /contacts/``: ``locationId`` is the account id."""

    locationId: StrictStr = Field(description="The account id.", examples=["acc_01…"])


class ContactUpdate(ContactFields):
    """``PUT /contacts/{contactId}``: only the fields sent change."""


class ContactUpsert(ContactCreate):
    """``POST /contacts/upsert``: matched by email, then by phone."""

    createNewIfDuplicateAllowed: StrictBool | None = None


FilterOperator = Literal[
    "eq", "not_eq", "contains", "not_contains", "exists", "not_exists", "range"
]


class SearchFilter(Body):
    """One condition: ``{"field": "email", "operator": "eq", "value": …}``."""

    field: StrictStr
    operator: FilterOperator
    value: Any = None


class SearchGroup(Body):
    """Conditions joined by ``AND`` or ``OR``."""

    group: Literal["AND", "OR"]
    filters: list[SearchFilter | SearchGroup] = Field(max_length=50)


class SearchSort(Body):
    """One sort key."""

    field: StrictStr
    direction: Literal["asc", "desc"] = "asc"


class SearchBody(Body):
    """``POST /contacts/search``."""

    locationId: StrictStr = Field(description="The account id.")
    query: Text = None
    page: Annotated[int, Field(ge=1, strict=True)] | None = None
    pageLimit: Annotated[int, Field(ge=1, le=500, strict=True)] = 20
    searchAfter: list[Any] | None = Field(default=None, max_length=2)
    filters: list[SearchFilter | SearchGroup] = Field(default_factory=list, max_length=50)
    sort: list[SearchSort] = Field(default_factory=list, max_length=2)


class TaskCreate(Body):
    """``POST /contacts/{contactId}/tasks``."""

    title: StrictStr = Field(examples=["Send the proposal"])
    body: Text = None
    dueDate: StrictStr = Field(examples=["2026-12-01T09:00:00Z"])
    completed: StrictBool = Field(examples=[False])
    assignedTo: Text = None


class TaskUpdate(Body):
    """``PUT /contacts/{contactId}/tasks/{taskId}``: only the fields sent change."""

    title: StrictStr | None = None
    body: Text = None
    dueDate: Text = None
    completed: StrictBool | None = None
    assignedTo: Text = None


class TaskCompleted(Body):
    """``PUT /contacts/{contactId}/tasks/{taskId}/completed``."""

    completed: StrictBool


class NoteFields(Body):
    """A note: ``title`` and ``color`` are accepted and not stored."""

    userId: Text = None
    body: StrictStr | None = None
    title: Text = None
    color: Text = None
    pinned: StrictBool | None = None


class NoteCreate(NoteFields):
    """``POST /contacts/{contactId}/notes``."""

    body: StrictStr = Field(examples=["Called; wants a quote by Friday."])


class TagNames(Body):
    """``POST`` and ``DELETE /contacts/{contactId}/tags``."""

    tags: list[StrictStr] = Field(max_length=100, examples=[["vip"]])


# --- answers (documentation) ---------------------------------------------------------


class Answer(BaseModel):
    """Every answer carries the request's ``traceId``."""

    model_config = ConfigDict(extra="allow")

    traceId: str | None = None


class CustomFieldShown(BaseModel):
    """A custom field's value on a contact; its id is its key."""

    id: str
    value: Any = None


class ContactShown(BaseModel):
    """A contact as this surface shows it; fields without a value are left out."""

    id: str
    locationId: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    email: str | None = None
    emailLowerCase: str | None = None
    phone: str | None = None
    companyName: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    postalCode: str | None = None
    website: str | None = None
    timezone: str | None = None
    dnd: bool
    source: str | None = None
    assignedTo: str | None = None
    tags: list[str]
    dateOfBirth: str | None = None
    dateAdded: str
    dateUpdated: str
    customFields: list[CustomFieldShown]
    businessId: str | None = None


class SearchedContact(ContactShown):
    """A contact found by a search, with the ``searchAfter`` of its position."""

    searchAfter: list[Any]


class ContactAnswer(Answer):
    contact: ContactShown


class UpdatedContact(Answer):
    succeded: bool
    succeeded: bool
    contact: ContactShown


class UpsertedContact(Answer):
    new: bool
    contact: ContactShown


class Deleted(Answer):
    succeded: bool
    succeeded: bool


class ListMeta(BaseModel):
    total: int
    nextPageUrl: str | None
    startAfterId: str | None
    startAfter: float | None
    currentPage: int
    nextPage: int | None
    prevPage: int | None


class ContactList(Answer):
    contacts: list[ContactShown]
    count: int
    meta: ListMeta


class BusinessContacts(Answer):
    contacts: list[ContactShown]
    count: int


class SearchAnswer(Answer):
    contacts: list[SearchedContact]
    total: int


class TaskShown(BaseModel):
    id: str
    title: str
    body: str | None = None
    assignedTo: str | None = None
    dueDate: str | None = None
    completed: bool
    contactId: str


class TaskAnswer(Answer):
    task: TaskShown


class TaskList(Answer):
    tasks: list[TaskShown]


class NoteShown(BaseModel):
    id: str
    body: str
    userId: str | None = None
    dateAdded: str
    contactId: str
    pinned: bool


class NoteAnswer(Answer):
    note: NoteShown


class NoteList(Answer):
    notes: list[NoteShown]


class EventShown(BaseModel):
    id: str
    status: str
    appointmentStatus: str
    title: str
    assignedUserId: str | None = None
    users: list[str]
    notes: str | None = None
    startTime: str | None = None
    endTime: str | None = None
    address: str | None = None
    locationId: str
    contactId: str
    dateAdded: str
    dateUpdated: str


class EventList(Answer):
    events: list[EventShown]


class TagsAnswer(Answer):
    tags: list[str]
    tagsAdded: list[str] | None = None
    tagsRemoved: list[str] | None = None


class CustomFieldDefinition(BaseModel):
    """A custom field of the account's contacts, as ``/locations/{id}/customFields``
    lists it."""

    id: str
    name: str
    fieldKey: str
    dataType: str
    placeholder: str
    position: int
    model: str
    locationId: str


class CustomFieldList(Answer):
    customFields: list[CustomFieldDefinition]


class ObjectField(BaseModel):
    """A custom field as Custom Fields V2 lists it."""

    id: str
    name: str
    fieldKey: str
    dataType: str
    objectKey: str
    locationId: str
    parentId: str
    showInForms: bool
    dateAdded: str
    dateUpdated: str


class ObjectFields(Answer):
    fields: list[ObjectField]
    folders: list[Any]
