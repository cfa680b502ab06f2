"""MOCO's companies as Rolodex companies.

| MOCO | native |
|---|---|
| ``type``, ``name``, ``website``, ``email``, ``phone`` | the same |
| ``address`` (lines) | ``address`` |
| ``info`` | ``description`` |
| ``tags``, ``custom_properties`` | ``tags``, ``custom_fields`` |
| ``user`` / ``user_id`` | ``owner_id`` |
| ``active``, ``archived_on`` | ``archived_at`` |

A company without a type is shown as ``organization``. MOCO's billing fields (currency,
identifier, VAT, fax…) have no native field: they are accepted and not kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.common import Body, LongText, Number, Text, Timestamp
from rolodex.dialects.moco.shapes.embedded import CompanyType, UserRef, company_type, user_ref
from rolodex.dialects.moco.values import address_parts, address_text, text_in, text_out, timestamp
from rolodex.errors import ValidationFailed
from rolodex.validation import CustomFields, RequiredText, TagNames

TEXTS = {"website": "website", "email": "email", "phone": "phone", "info": "description"}
NAMES: dict[str, str] = {
    "description": "info",
    "owner_id": "user_id",
    "custom_fields": "custom_properties",
}
"""Native field → MOCO field, for errors."""
SORTS = {"name": "name", "created_at": "created_at", "updated_at": "updated_at"}
"""MOCO's ``sort_by`` fields → the native sort columns."""


class CompanyUpdate(Body):
    """A company as a client changes it (``PUT``): only the fields sent change."""

    name: RequiredText | None = None
    type: CompanyType | None = None
    website: Text | None = None
    email: Text | None = None
    phone: Text | None = None
    fax: Text | None = None
    address: LongText | None = None
    info: LongText | None = None
    custom_properties: CustomFields | None = None
    tags: TagNames | None = None
    user_id: Number | None = None


class CompanyCreate(CompanyUpdate):
    """A new company: ``name`` and ``type`` are required."""

    name: RequiredText
    type: CompanyType


class CompanyOut(BaseModel):
    """A company as MOCO shows one."""

    id: int
    type: CompanyType
    name: str
    website: str
    email: str
    phone: str
    address: str
    tags: list[str]
    user: UserRef | None
    info: str
    custom_properties: dict[str, Any]
    active: bool
    archived_on: date | None
    created_at: Timestamp
    updated_at: Timestamp


def company_of(company: dict[str, Any], refs: Refs) -> dict[str, Any]:
    """A native company (``CompanyOut`` dump) as MOCO shows it."""
    archived_at = company.get("archived_at")
    return {
        "id": refs.number(company["id"]),
        "type": company_type(company.get("type")),
        "name": company["name"],
        "website": text_out(company.get("website")),
        "email": text_out(company.get("email")),
        "phone": text_out(company.get("phone")),
        "address": address_text(company.get("address")),
        "tags": list(company.get("tags") or []),
        "user": user_ref(company.get("owner_id"), refs),
        "info": text_out(company.get("description")),
        "custom_properties": dict(company.get("custom_fields") or {}),
        "active": archived_at is None,
        "archived_on": archived_at[:10] if archived_at else None,
        "created_at": timestamp(company["created_at"]),
        "updated_at": timestamp(company["updated_at"]),
    }


def company_values(sent: dict[str, Any]) -> dict[str, Any]:
    """The native company fields of the MOCO fields a client sent; ``user_id`` must
    already be a native id (or None)."""
    if "name" in sent and sent["name"] is None:
        raise ValidationFailed.field("name", "must not be blank")
    values: dict[str, Any] = {
        native: text_in(sent[moco]) for moco, native in TEXTS.items() if moco in sent
    }
    if "name" in sent:
        values["name"] = sent["name"]
    if "type" in sent:
        values["type"] = sent["type"]
    if "address" in sent:
        values["address"] = address_parts(sent["address"])
    if "tags" in sent:
        values["tags"] = sent["tags"] or []
    if "custom_properties" in sent:
        values["custom_fields"] = sent["custom_properties"] or {}
    if "user_id" in sent:
        values["owner_id"] = sent["user_id"]
    return values
