"""MOCO's people (``/contacts/people``) as Rolodex contacts.

| MOCO | native |
|---|---|
| ``firstname``, ``lastname`` | ``first_name``, ``last_name`` |
| ``gender`` ``F``/``M`` (``U`` written: none) | ``gender`` |
| ``title``, ``job_position`` | ``title``, ``job_title`` |
| ``work_phone``, ``mobile_phone``, ``work_email`` | ``phone``, ``mobile_phone``, ``email`` |
| ``work_address`` (lines) | ``address`` |
| ``birthday``, ``info`` | ``birthday``, ``description`` |
| ``tags``, ``custom_properties`` | ``tags``, ``custom_fields`` |
| ``company`` / ``company_id``, ``user`` / ``user_id`` | ``company_id``, ``owner_id`` |

``work_fax``, ``home_email`` and ``home_address`` have no native field: they are
accepted, not kept, and shown as ``""``.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.common import Body, LongText, Number, Text, Timestamp
from rolodex.dialects.moco.shapes.embedded import CompanyRef, UserRef, company_ref, user_ref
from rolodex.dialects.moco.values import (
    address_parts,
    address_text,
    text_in,
    text_out,
    timestamp,
)
from rolodex.errors import ValidationFailed
from rolodex.validation import CustomFields, Day, RequiredText, TagNames

Gender = Literal["F", "M", "U"]
UNKEPT = ("work_fax", "home_email", "home_address")
TEXTS = {
    "firstname": "first_name",
    "lastname": "last_name",
    "title": "title",
    "job_position": "job_title",
    "mobile_phone": "mobile_phone",
    "work_phone": "phone",
    "work_email": "email",
    "info": "description",
}
NAMES: dict[str, str] = {
    **{native: moco for moco, native in TEXTS.items()},
    "address": "work_address",
    "owner_id": "user_id",
    "custom_fields": "custom_properties",
}
"""Native field → MOCO field, for errors."""
SORTS = {
    "firstname": "first_name",
    "lastname": "last_name",
    "work_email": "email",
    "created_at": "created_at",
    "updated_at": "updated_at",
}
"""MOCO's ``sort_by`` fields → the native sort columns."""


class PersonUpdate(Body):
    """A person as a client changes it (``PUT``): only the fields sent change."""

    firstname: Text | None = None
    lastname: RequiredText | None = None
    gender: Gender | None = Field(default=None, description="`U` leaves the gender unknown.")
    company_id: Number | None = None
    user_id: Number | None = Field(default=None, description="The responsible user.")
    title: Text | None = None
    job_position: Text | None = None
    mobile_phone: Text | None = None
    work_fax: Text | None = Field(default=None, description="Accepted, not kept.")
    work_phone: Text | None = None
    work_email: Text | None = None
    work_address: LongText | None = None
    home_email: Text | None = Field(default=None, description="Accepted, not kept.")
    home_address: LongText | None = Field(default=None, description="Accepted, not kept.")
    birthday: Day | None = None
    info: LongText | None = None
    tags: TagNames | None = None
    custom_properties: CustomFields | None = Field(
        default=None, description="Merged into the person's custom fields."
    )


class PersonCreate(PersonUpdate):
    """A new person: ``lastname`` and ``gender`` are required."""

    lastname: RequiredText
    gender: Gender


class PersonOut(BaseModel):
    """A person as MOCO shows one (a list leaves out ``info``)."""

    id: int
    gender: Literal["F", "M"] | None
    firstname: str
    lastname: str
    title: str
    job_position: str
    mobile_phone: str
    work_fax: str
    work_phone: str
    work_email: str
    work_address: str
    home_email: str
    home_address: str
    birthday: date | None
    info: str | None = None
    tags: list[str]
    custom_properties: dict[str, Any]
    company: CompanyRef | None
    user: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp


def gender_out(value: str | None) -> str | None:
    """A native gender as MOCO's ``F`` or ``M``; anything else is unknown (null)."""
    lowered = (value or "").strip().lower()
    if lowered in ("f", "female", "w"):
        return "F"
    if lowered in ("m", "male"):
        return "M"
    return None


def person_of(contact: dict[str, Any], refs: Refs, *, listed: bool = False) -> dict[str, Any]:
    """A native contact (``ContactOut`` dump) as a MOCO person; ``listed`` leaves out
    ``info``, as MOCO's lists do."""
    shown: dict[str, Any] = {
        "id": refs.number(contact["id"]),
        "gender": gender_out(contact.get("gender")),
        "firstname": text_out(contact.get("first_name")),
        "lastname": text_out(contact.get("last_name")),
        "title": text_out(contact.get("title")),
        "job_position": text_out(contact.get("job_title")),
        "mobile_phone": text_out(contact.get("mobile_phone")),
        "work_fax": "",
        "work_phone": text_out(contact.get("phone")),
        "work_email": text_out(contact.get("email")),
        "work_address": address_text(contact.get("address")),
        "home_email": "",
        "home_address": "",
        "birthday": contact.get("birthday"),
        "info": text_out(contact.get("description")),
        "tags": list(contact.get("tags") or []),
        "custom_properties": dict(contact.get("custom_fields") or {}),
        "company": company_ref(contact.get("company_id"), refs),
        "user": user_ref(contact.get("owner_id"), refs),
        "created_at": timestamp(contact["created_at"]),
        "updated_at": timestamp(contact["updated_at"]),
    }
    if listed:
        del shown["info"]
    return shown


def contact_values(sent: dict[str, Any]) -> dict[str, Any]:
    """The native contact fields of the MOCO fields a client sent. ``company_id`` and
    ``user_id`` must already be native ids (or None)."""
    if "lastname" in sent and sent["lastname"] is None:
        raise ValidationFailed.field("lastname", "must not be blank")
    values: dict[str, Any] = {
        native: text_in(sent[moco]) for moco, native in TEXTS.items() if moco in sent
    }
    if "gender" in sent:
        values["gender"] = None if sent["gender"] in (None, "U") else sent["gender"]
    if "birthday" in sent:
        values["birthday"] = sent["birthday"]
    if "work_address" in sent:
        values["address"] = address_parts(sent["work_address"])
    if "tags" in sent:
        values["tags"] = sent["tags"] or []
    if "custom_properties" in sent:
        values["custom_fields"] = sent["custom_properties"] or {}
    if "company_id" in sent:
        values["company_id"] = sent["company_id"]
    if "user_id" in sent:
        values["owner_id"] = sent["user_id"]
    return values
