"""Typed objects of the API. Unknown fields a newer server sends are kept, not dropped."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RolodexObject(BaseModel):
    """An object as the API shows it; ``to_dict()`` gives the JSON form back."""

    model_config = ConfigDict(extra="allow")

    id: str
    object: str
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The object as JSON-ready values, every field included."""
        return self.model_dump(mode="json")


class Address(BaseModel):
    """A postal address."""

    model_config = ConfigDict(extra="allow")

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Contact(RolodexObject):
    """A person."""

    object: str = "contact"
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile_phone: str | None = None
    title: str | None = None
    job_title: str | None = None
    gender: str | None = None
    birthday: date | None = None
    website: str | None = None
    address: Address | None = None
    company_id: str | None = None
    owner_id: str | None = None
    source: str | None = None
    timezone: str | None = None
    do_not_contact: bool = False
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    deleted_at: datetime | None = None


class Company(RolodexObject):
    """An organisation."""

    object: str = "company"
    name: str
    type: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    address: Address | None = None
    owner_id: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    deleted_at: datetime | None = None


class Task(RolodexObject):
    """A task about a contact."""

    object: str = "task"
    contact_id: str
    title: str
    body: str | None = None
    due_at: datetime | None = None
    completed: bool = False
    completed_at: datetime | None = None
    assignee_id: str | None = None
    deleted_at: datetime | None = None


class Note(RolodexObject):
    """A note about a contact."""

    object: str = "note"
    contact_id: str
    body: str
    author_id: str | None = None
    pinned: bool = False
    deleted_at: datetime | None = None


class Appointment(RolodexObject):
    """An appointment with a contact."""

    object: str = "appointment"
    contact_id: str
    title: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    location: str | None = None
    status: str = "scheduled"
    assignee_id: str | None = None
    description: str | None = None
    deleted_at: datetime | None = None


class Tag(RolodexObject):
    """A tag."""

    object: str = "tag"
    name: str
    color: str | None = None
    description: str | None = None
    deleted_at: datetime | None = None


class User(RolodexObject):
    """A user of the account."""

    object: str = "user"
    email: str
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None
    staff: bool = False
    active: bool = True


class ApiKey(RolodexObject):
    """An API key; ``key`` is set only in the answer that created it. An account key
    (``kind`` ``"account"``) has no ``user_id``."""

    object: str = "api_key"
    name: str | None = None
    scope: str | None = None
    kind: str | None = None
    user_id: str | None = None
    created_by_id: str | None = None
    prefix: str | None = None
    key: str | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    rate_limit: str | None = None


class AuditEntry(RolodexObject):
    """A row of the audit log."""

    object: str = "audit_entry"
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    changes: dict[str, Any] = Field(default_factory=dict)


class ItemError(BaseModel):
    """Why one batch item was not written."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class BatchItemResult(BaseModel):
    """What happened to one item of a batch."""

    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    id: str | None = None
    data: dict[str, Any] | None = None
    error: ItemError | None = None


class BatchResult(BaseModel):
    """The answer to a batch: one result per item, and counts."""

    data: list[BatchItemResult]
    meta: dict[str, int]

    @property
    def failed(self) -> list[BatchItemResult]:
        """The items that were not written."""
        return [r for r in self.data if r.status == "error"]
