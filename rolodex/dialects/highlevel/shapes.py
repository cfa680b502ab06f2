"""Records as HighLevel shows them, and HighLevel's writes as native values: pure functions.

Reading: each ``*_of`` takes a record as its native output schema dumps it
(:func:`rolodex.schemas.dump`, the dict a native response's ``data`` and an event's
``data`` hold) and returns HighLevel's dict. Fields Rolodex has no value for are left out,
as HighLevel leaves them out; timestamps are ISO 8601 in UTC with milliseconds and ``Z``.

Writing: each ``*_values_of`` takes a HighLevel body (the fields the client sent, by
HighLevel's names) and returns the native fields to change, by native names, ready for
the native PATCH schema; what HighLevel does not send — and what it cannot say — stays
untouched. Values are checked by the native schemas afterwards, not here.

No I/O: the one thing a write needs from the database, the company a ``companyName``
names, is returned as :attr:`ContactValues.company_name` for the route to resolve.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rolodex.errors import ValidationFailed

CUSTOM_FIELD_MODEL = "contact"
"""HighLevel's ``fieldKey`` of a custom field is ``contact.<key>``."""


def timestamp(value: str | None) -> str | None:
    """A native timestamp (``2026-07-17T10:26:20.635123Z``) as HighLevel writes one:
    ``2026-07-17T10:26:20.635Z``."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    """Without the fields that have no value (HighLevel leaves them out)."""
    return {name: value for name, value in values.items() if value is not None}


def custom_fields_of(custom_fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Native ``custom_fields`` (key → value) as HighLevel's ``[{"id", "value"}]``, by
    key. A custom field's id on this surface is its key."""
    return [{"id": key, "value": value} for key, value in sorted(custom_fields.items())]


def contact_of(
    contact: Mapping[str, Any], *, location_id: str, company_name: str | None = None
) -> dict[str, Any]:
    """A native contact as HighLevel's contact.

    ``location_id`` is the account's id; ``company_name`` the name of the contact's
    company (``company_id``), which the native contact does not carry. ``phone`` is the
    first of phone and mobile phone; ``address1`` is the address's first line.
    """
    address = contact.get("address") or {}
    email = contact.get("email")
    birthday = contact.get("birthday")
    return _compact(
        {
            "id": contact["id"],
            "locationId": location_id,
            "name": contact.get("name"),
            "firstName": contact.get("first_name"),
            "lastName": contact.get("last_name"),
            "email": email,
            "emailLowerCase": email.lower() if email else None,
            "phone": contact.get("phone") or contact.get("mobile_phone"),
            "companyName": company_name if contact.get("company_id") else None,
            "address1": address.get("line1"),
            "city": address.get("city"),
            "state": address.get("state"),
            "country": address.get("country"),
            "postalCode": address.get("postal_code"),
            "website": contact.get("website"),
            "timezone": contact.get("timezone"),
            "dnd": bool(contact.get("do_not_contact")),
            "source": contact.get("source"),
            "assignedTo": contact.get("owner_id"),
            "tags": list(contact.get("tags") or []),
            "dateOfBirth": f"{birthday}T00:00:00.000Z" if birthday else None,
            "dateAdded": timestamp(contact.get("created_at")),
            "dateUpdated": timestamp(contact.get("updated_at")),
            "customFields": custom_fields_of(contact.get("custom_fields") or {}),
            "businessId": contact.get("company_id"),
        }
    )


def task_of(task: Mapping[str, Any]) -> dict[str, Any]:
    """A native task as HighLevel's: ``dueDate`` ← ``due_at``, ``assignedTo`` ←
    ``assignee_id``."""
    return _compact(
        {
            "id": task["id"],
            "title": task.get("title"),
            "body": task.get("body"),
            "assignedTo": task.get("assignee_id"),
            "dueDate": timestamp(task.get("due_at")),
            "completed": bool(task.get("completed")),
            "contactId": task.get("contact_id"),
        }
    )


def note_of(note: Mapping[str, Any]) -> dict[str, Any]:
    """A native note as HighLevel's: ``userId`` ← ``author_id``."""
    return _compact(
        {
            "id": note["id"],
            "body": note.get("body"),
            "userId": note.get("author_id"),
            "dateAdded": timestamp(note.get("created_at")),
            "contactId": note.get("contact_id"),
            "pinned": bool(note.get("pinned")),
        }
    )


APPOINTMENT_STATUSES: dict[str, str] = {
    "scheduled": "new",
    "confirmed": "confirmed",
    "cancelled": "cancelled",
    "completed": "showed",
    "no_show": "noshow",
}
"""Native appointment statuses as HighLevel's ``appointmentStatus``."""


def appointment_of(appointment: Mapping[str, Any], *, location_id: str) -> dict[str, Any]:
    """A native appointment as one of HighLevel's calendar ``events``: ``notes`` ←
    ``description``, ``address`` ← ``location``, ``assignedUserId`` ← ``assignee_id``;
    ``status`` is ``cancelled`` or ``booked``. Rolodex has no calendars: no
    ``calendarId``."""
    status = appointment.get("status") or "scheduled"
    assignee = appointment.get("assignee_id")
    return _compact(
        {
            "id": appointment["id"],
            "status": "cancelled" if status == "cancelled" else "booked",
            "appointmentStatus": APPOINTMENT_STATUSES.get(status, status),
            "title": appointment.get("title"),
            "assignedUserId": assignee,
            "users": [assignee] if assignee else [],
            "notes": appointment.get("description"),
            "startTime": timestamp(appointment.get("starts_at")),
            "endTime": timestamp(appointment.get("ends_at")),
            "address": appointment.get("location"),
            "locationId": location_id,
            "contactId": appointment.get("contact_id"),
            "dateAdded": timestamp(appointment.get("created_at")),
            "dateUpdated": timestamp(appointment.get("updated_at")),
        }
    )


# --- writes -------------------------------------------------------------------------

_TEXT_FIELDS: dict[str, str] = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "website": "website",
    "timezone": "timezone",
    "source": "source",
    "assignedTo": "owner_id",
    "businessId": "company_id",
    "gender": "gender",
}
"""HighLevel's text fields of a contact that are one native field each."""
_ADDRESS_FIELDS: dict[str, str] = {
    "address1": "line1",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "country": "country",
}
_DATE_FORMATS = (
    (re.compile(r"(\d{4})[-/._](\d{1,2})[-/._](\d{1,2})"), (1, 2, 3)),
    (re.compile(r"(\d{1,2})[-/._](\d{1,2})[-/._](\d{4})"), (3, 1, 2)),
)
_TIMESTAMP_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ].*")


@dataclass(frozen=True)
class ContactValues:
    """What a HighLevel contact body changes: native fields, and the company it names."""

    values: dict[str, Any]
    """Native contact fields (``first_name``…), only those the body sets."""
    company_name: str | None = None
    """A ``companyName`` to resolve to a company of the account (when the body sends
    one and no ``businessId``)."""


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def date_of_birth(value: Any) -> str | None:
    """HighLevel's ``dateOfBirth`` in any of the forms it takes (``YYYY-MM-DD``,
    ``YYYY/MM/DD``, ``MM/DD/YYYY``, ``MM-DD-YYYY``, ``YYYY.MM.DD``, ``MM.DD.YYYY``,
    ``YYYY_MM_DD``, ``MM_DD_YYYY``, or a timestamp of that day) as ``YYYY-MM-DD``."""
    value = _blank_to_none(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed.field("dateOfBirth", "must be a date such as 1990-09-25")
    text = value.strip()
    stamped = _TIMESTAMP_DATE.fullmatch(text)
    if stamped:
        text = stamped.group(1)
    for pattern, (y, m, d) in _DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match:
            try:
                day = date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                break
            return day.isoformat()
    raise ValidationFailed.field("dateOfBirth", "must be a date such as 1990-09-25")


def custom_field_key(item: Mapping[str, Any]) -> str:
    """The native key a HighLevel custom-field item names, by ``id`` or by ``key``
    (``my_field`` or ``contact.my_field``)."""
    key = item.get("id") or item.get("key")
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed.field("customFields", "each item needs an id or a key")
    key = key.strip()
    prefix = f"{CUSTOM_FIELD_MODEL}."
    if not item.get("id") and key.startswith(prefix):
        key = key[len(prefix) :]
    return key


def custom_field_value(item: Mapping[str, Any]) -> Any:
    """The value a custom-field item sets: ``field_value``, ``fieldValue`` (what the live
    service takes) or ``value`` (what a read shows), in that order."""
    for name in ("field_value", "fieldValue", "value"):
        if name in item:
            return item[name]
    return None


def merged_custom_fields(
    current: Mapping[str, Any], items: list[Mapping[str, Any]]
) -> dict[str, Any]:
    """``current`` with the items' values set; a null value removes the key. Keys not
    named stay as they are."""
    merged = dict(current)
    for item in items:
        key = custom_field_key(item)
        value = custom_field_value(item)
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def contact_values_of(
    body: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> ContactValues:
    """The native changes of a HighLevel contact body (create, update or upsert).

    ``current`` is the contact as natively dumped when the body updates one (None for
    a creation): the address parts and custom fields the body names are set on what it
    has, the rest kept; a ``phone`` equal to the mobile phone HighLevel shows in its
    place changes nothing. ``name`` is split into first and last name only when neither
    is sent. Empty strings clear a field.
    """
    values: dict[str, Any] = {}
    for hl_name, native in _TEXT_FIELDS.items():
        if hl_name in body:
            values[native] = _blank_to_none(body[hl_name])
    if "name" in body and "firstName" not in body and "lastName" not in body:
        name = _blank_to_none(body["name"])
        first, _, last = (name or "").strip().partition(" ")
        values["first_name"] = first or None
        values["last_name"] = last.strip() or None
    if "phone" in body:
        phone = _blank_to_none(body["phone"])
        shows_mobile = (
            current is not None
            and not current.get("phone")
            and phone == current.get("mobile_phone")
        )
        if not shows_mobile:
            values["phone"] = phone
    if "dnd" in body and body["dnd"] is not None:
        values["do_not_contact"] = body["dnd"]
    if "tags" in body:
        values["tags"] = list(body["tags"] or [])
    if "dateOfBirth" in body:
        values["birthday"] = date_of_birth(body["dateOfBirth"])
    if any(name in body for name in _ADDRESS_FIELDS):
        address = dict((current or {}).get("address") or {})
        for hl_name, native in _ADDRESS_FIELDS.items():
            if hl_name in body:
                address[native] = _blank_to_none(body[hl_name])
        values["address"] = address if any(v is not None for v in address.values()) else None
    if "customFields" in body and body["customFields"] is not None:
        current_fields = (current or {}).get("custom_fields") or {}
        values["custom_fields"] = merged_custom_fields(current_fields, body["customFields"])
    company_name = None
    if "companyName" in body and "businessId" not in body:
        company_name = _blank_to_none(body["companyName"])
        if company_name is None:
            values["company_id"] = None
        else:
            company_name = company_name.strip()
    return ContactValues(values, company_name)


def task_values_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The native changes of a HighLevel task body: ``dueDate`` → ``due_at``,
    ``assignedTo`` → ``assignee_id``."""
    names = {
        "title": "title",
        "body": "body",
        "dueDate": "due_at",
        "completed": "completed",
        "assignedTo": "assignee_id",
    }
    return {native: body[hl_name] for hl_name, native in names.items() if hl_name in body}


def note_values_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The native changes of a HighLevel note body: ``body``, ``pinned``, and ``userId``
    → ``author_id`` (which must be the acting user). Rolodex keeps no note title or
    colour: ``title`` and ``color`` are not stored."""
    names = {"body": "body", "pinned": "pinned", "userId": "author_id"}
    return {
        native: body[hl_name]
        for hl_name, native in names.items()
        if hl_name in body and body[hl_name] is not None
    }
