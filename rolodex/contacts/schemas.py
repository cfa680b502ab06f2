"""Request and response bodies of contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.validation import (
    Address,
    Bool,
    CustomFields,
    Day,
    Email,
    Gender,
    LongText,
    Phone,
    ShortText,
    TagNames,
    Timezone,
    Url,
)

IDENTIFYING_FIELDS = ("first_name", "last_name", "email", "phone")


class ContactWrite(WriteModel):
    """A contact as a client writes it. At least one of first_name, last_name, email or
    phone is required. Omitted fields are null on create and PUT."""

    read_only: ClassVar[frozenset[str]] = frozenset({"name"})

    first_name: ShortText | None = Field(default=None, examples=["Jane"])
    last_name: ShortText | None = Field(default=None, examples=["Smith"])
    email: Email | None = Field(default=None, examples=["jane@example.com"])
    phone: Phone | None = Field(default=None, examples=["+49 30 1234567"])
    mobile_phone: Phone | None = None
    title: ShortText | None = Field(default=None, description="Salutation or honorific, e.g. Dr.")
    job_title: ShortText | None = None
    gender: Gender | None = None
    birthday: Day | None = None
    website: Url | None = None
    address: Address | None = None
    company_id: str | None = Field(default=None, description="A company of this account.")
    owner_id: str | None = Field(
        default=None, description="A user; defaults to the acting user (null for an account key)."
    )
    source: ShortText | None = None
    timezone: Timezone | None = Field(default=None, examples=["Europe/Berlin"])
    do_not_contact: Bool = False
    description: LongText | None = None
    tags: TagNames = Field(default_factory=list, description="Tag names; unknown ones are created.")
    custom_fields: CustomFields = Field(default_factory=dict)


if TYPE_CHECKING:  # the checker sees the fields; at run time every one is optional
    ContactPatch = ContactWrite
else:
    ContactPatch = partial(ContactWrite, "ContactPatch")


class ContactOut(OutModel):
    """A contact as the API shows it."""

    object: Literal["contact"] = "contact"
    first_name: str | None
    last_name: str | None
    name: str | None = Field(description="First and last name; read-only.")
    email: str | None
    phone: str | None
    mobile_phone: str | None
    title: str | None
    job_title: str | None
    gender: str | None
    birthday: date | None
    website: str | None
    address: dict[str, Any] | None
    company_id: str | None
    owner_id: str | None
    source: str | None
    timezone: str | None
    do_not_contact: bool
    description: str | None
    tags: list[str] = Field(validation_alias="tag_names")
    custom_fields: dict[str, Any]
    deleted_at: datetime | None
