"""HighLevel's custom-field definitions, derived from the account's contacts.

Rolodex keeps no table of custom-field definitions: a contact's ``custom_fields`` is an
object of keys and JSON values, and any key may be written. So the definitions HighLevel
lists are derived, when asked, from the keys the account's live contacts use: a field's
``id`` and ``name`` are its key, its ``fieldKey`` is ``contact.<key>``, its ``dataType``
follows its values (``NUMERICAL`` when every value is a number, ``MULTIPLE_OPTIONS``
when every value is a list, ``TEXT`` otherwise), its ``dateAdded`` is when the oldest
contact using it was created and its ``dateUpdated`` when the last one changed. A field
no contact uses any more is no longer listed; writing a new key defines it.

Served twice: ``GET /locations/{locationId}/customFields`` (HighLevel's location API)
and ``GET /custom-fields/object-key/contact`` (its Custom Fields V2, which the vendor's
own client calls).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.contacts.models import Contact
from rolodex.dialects.highlevel import bodies, shapes
from rolodex.dialects.highlevel.answers import TraceId, answer, check_location
from rolodex.dialects.highlevel.surface import HIGHLEVEL
from rolodex.errors import NotFound, ValidationFailed
from rolodex.http.envelope import JsonResponse
from rolodex.http.pipeline import CurrentPrincipal, Session, api_router
from rolodex.ids import PREFIXES, id_pattern
from rolodex.kinds import CONTACT

MODELS = ("contact", "opportunity", "all")
"""HighLevel's ``model`` filter; Rolodex has contact fields only."""


@dataclass
class Definition:
    """One custom field as the contacts use it."""

    key: str
    added: datetime
    updated: datetime
    kinds: set[str] = field(default_factory=set)

    @property
    def data_type(self) -> str:
        """HighLevel's ``dataType`` of the values seen."""
        return data_type(self.kinds)


def kind_of(value: Any) -> str:
    """The JSON kind of a value, as :func:`data_type` reads it."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    return "text" if isinstance(value, str) else "other"


def data_type(kinds: Iterable[str]) -> str:
    """``NUMERICAL`` when every value is a number, ``MULTIPLE_OPTIONS`` when every value
    is a list, ``TEXT`` otherwise."""
    seen = set(kinds)
    if seen == {"number"}:
        return "NUMERICAL"
    if seen == {"list"}:
        return "MULTIPLE_OPTIONS"
    return "TEXT"


def collect(rows: Iterable[tuple[dict[str, Any] | None, datetime, datetime]]) -> list[Definition]:
    """The definitions of ``(custom_fields, created_at, updated_at)`` rows, by key."""
    found: dict[str, Definition] = {}
    for custom_fields, created, updated in rows:
        for key, value in (custom_fields or {}).items():
            definition = found.setdefault(key, Definition(key, created, updated))
            definition.added = min(definition.added, created)
            definition.updated = max(definition.updated, updated)
            definition.kinds.add(kind_of(value))
    return [found[key] for key in sorted(found)]


async def definitions(session: AsyncSession, principal: Principal) -> list[Definition]:
    """The custom fields the account's live contacts use."""
    stmt = select(Contact.custom_fields, Contact.created_at, Contact.updated_at).where(
        Contact.account_id == principal.account_id, Contact.deleted_at.is_(None)
    )
    rows = (await session.execute(stmt)).all()
    return collect((row[0], row[1], row[2]) for row in rows)


def location_field(definition: Definition, position: int, location_id: str) -> dict[str, Any]:
    """A definition as ``/locations/{id}/customFields`` shows it."""
    return {
        "id": definition.key,
        "name": definition.key,
        "fieldKey": f"{shapes.CUSTOM_FIELD_MODEL}.{definition.key}",
        "dataType": definition.data_type,
        "placeholder": "",
        "position": position,
        "model": shapes.CUSTOM_FIELD_MODEL,
        "locationId": location_id,
    }


def object_field(definition: Definition, location_id: str) -> dict[str, Any]:
    """A definition as Custom Fields V2 shows it (no folders: ``parentId`` is empty)."""
    return {
        "id": definition.key,
        "name": definition.key,
        "fieldKey": f"{shapes.CUSTOM_FIELD_MODEL}.{definition.key}",
        "dataType": definition.data_type,
        "objectKey": shapes.CUSTOM_FIELD_MODEL,
        "locationId": location_id,
        "parentId": "",
        "showInForms": True,
        "dateAdded": shapes.timestamp(definition.added.isoformat()),
        "dateUpdated": shapes.timestamp(definition.updated.isoformat()),
    }


locations = api_router(
    CONTACT.scope, surface=HIGHLEVEL, prefix="/locations", tags=["Custom fields"]
)
fields_v2 = api_router(
    CONTACT.scope, surface=HIGHLEVEL, prefix="/custom-fields", tags=["Custom fields"]
)


@locations.get(
    "/{locationId}/customFields",
    response_model=bodies.CustomFieldList,
    summary="Custom fields of the location",
    description="Derived from the custom fields its contacts use; `model=opportunity` "
    "lists none (Rolodex has no opportunities).",
)
async def location_custom_fields(
    location_id: Annotated[
        str,
        Path(
            alias="locationId",
            max_length=64,
            description="The account id.",
            json_schema_extra={"pattern": id_pattern(PREFIXES["account"])},
        ),
    ],
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
    model: Annotated[str | None, Query(max_length=20)] = None,
) -> JsonResponse:
    check_location(principal, location_id)
    if model is not None and model not in MODELS:
        raise ValidationFailed.field("model", f"must be one of {', '.join(MODELS)}")
    found: Sequence[Definition] = []
    if model != "opportunity":
        found = await definitions(session, principal)
    shown = [location_field(d, index, location_id) for index, d in enumerate(found)]
    return answer(trace, {"customFields": shown})


@fields_v2.get(
    "/object-key/{objectKey}",
    response_model=bodies.ObjectFields,
    summary="Custom fields of an object",
    description="`contact` only (Rolodex has no other objects); no folders.",
)
async def object_custom_fields(
    object_key: Annotated[str, Path(alias="objectKey", max_length=100)],
    location_id: Annotated[str, Query(alias="locationId", max_length=64)],
    session: Session,
    principal: CurrentPrincipal,
    trace: TraceId,
) -> JsonResponse:
    check_location(principal, location_id)
    if object_key != shapes.CUSTOM_FIELD_MODEL:
        raise NotFound(f"No object with key {object_key[:60]!r}; Rolodex has contact fields only")
    found = await definitions(session, principal)
    shown = [object_field(d, location_id) for d in found]
    return answer(trace, {"fields": shown, "folders": []})
