"""Request and response bodies of companies."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.validation import (
    Address,
    CustomFields,
    Email,
    LongText,
    Phone,
    RequiredText,
    TagNames,
    Url,
)

CompanyType = Literal["customer", "supplier", "organization"]


class CompanyWrite(WriteModel):
    """A company as a client writes it; ``name`` is required."""

    read_only: ClassVar[frozenset[str]] = frozenset({"archived_at"})

    name: RequiredText = Field(examples=["Acme GmbH"])
    type: CompanyType | None = None
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    address: Address | None = None
    owner_id: str | None = Field(
        default=None, description="A user; defaults to the acting user (null for an account key)."
    )
    description: LongText | None = None
    tags: TagNames = Field(default_factory=list)
    custom_fields: CustomFields = Field(default_factory=dict)


if TYPE_CHECKING:  # the checker sees the fields; at run time every one is optional
    CompanyPatch = CompanyWrite
else:
    CompanyPatch = partial(CompanyWrite, "CompanyPatch")


class CompanyOut(OutModel):
    """A company as the API shows it."""

    object: Literal["company"] = "company"
    name: str
    type: CompanyType | None
    email: str | None
    phone: str | None
    website: str | None
    address: dict[str, Any] | None
    owner_id: str | None
    description: str | None
    tags: list[str] = Field(validation_alias="tag_names")
    custom_fields: dict[str, Any]
    archived_at: datetime | None = Field(
        description="When the company was archived (read-only: set and cleared by the "
        "MOCO surface's `archive` and `unarchive`); null while active."
    )
    deleted_at: datetime | None
