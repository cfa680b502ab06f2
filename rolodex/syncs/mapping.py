"""What a sync keeps the same: a mapping of Rolodex fields to the remote's, per connector.

A mapping is ``{"<rolodex field>": "<remote field>"}``; a remote field may be a dotted
path into a nested object (``address.city``). Each connector has a default mapping per
object (the native connector's is the identity on every field that means the same on
both sides; ids of other records — owners, companies — do not cross); a sync may give
its own. The values of the mapped fields, as canonical JSON, are what a link's hashes
are made of (:func:`digest`), so a change to a field that is not mapped is no change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from rolodex.errors import Detail, ValidationFailed

OBJECTS = ("contacts", "companies", "tasks", "notes")

CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile_phone",
    "title",
    "job_title",
    "gender",
    "birthday",
    "website",
    "address",
    "source",
    "timezone",
    "do_not_contact",
    "description",
    "tags",
    "custom_fields",
)
COMPANY_FIELDS = (
    "name",
    "type",
    "email",
    "phone",
    "website",
    "address",
    "description",
    "tags",
    "custom_fields",
)
TASK_FIELDS = ("title", "body", "due_at", "completed")
NOTE_FIELDS = ("body", "pinned")
FIELDS: Mapping[str, tuple[str, ...]] = {
    "contacts": CONTACT_FIELDS,
    "companies": COMPANY_FIELDS,
    "tasks": TASK_FIELDS,
    "notes": NOTE_FIELDS,
}
"""The Rolodex fields of each object a mapping may name."""

NATURAL_KEYS: Mapping[str, str] = {"contacts": "email", "companies": "name"}
"""The field a first sync matches existing records by, per object."""

DEFAULT_MAPPINGS: Mapping[tuple[str, str], Mapping[str, str]] = {
    **{("rolodex", obj): {name: name for name in FIELDS[obj]} for obj in ("contacts", "companies")},
    ("highlevel", "contacts"): {
        "first_name": "firstName",
        "last_name": "lastName",
        "email": "email",
        "phone": "phone",
        "website": "website",
        "source": "source",
        "timezone": "timezone",
        "do_not_contact": "dnd",
        "tags": "tags",
        "address.line1": "address1",
        "address.city": "city",
        "address.state": "state",
        "address.postal_code": "postalCode",
        "address.country": "country",
    },
    ("moco", "contacts"): {
        "first_name": "firstname",
        "last_name": "lastname",
        "email": "work_email",
        "phone": "work_phone",
        "mobile_phone": "mobile_phone",
        "title": "title",
        "job_title": "job_position",
        "birthday": "birthday",
        "tags": "tags",
    },
    ("moco", "companies"): {
        "name": "name",
        "email": "email",
        "phone": "phone",
        "website": "website",
        "tags": "tags",
    },
}
"""Each connector's mapping per object it can sync: its keys are the (connector,
object) pairs a sync accepts, exactly those the engine runs."""

REMOTE_TYPES: Mapping[tuple[str, str], str] = {
    **{("rolodex", obj): obj for obj in ("contacts", "companies")},
    ("highlevel", "contacts"): "contacts",
    ("moco", "contacts"): "people",
    ("moco", "companies"): "companies",
}
"""What the remote calls each object (a link's ``remote_type``)."""


def supported() -> str:
    """The pairs a sync accepts, as a sentence part: ``rolodex: contacts, companies; …``."""
    by_connector: dict[str, list[str]] = {}
    for connector, obj in DEFAULT_MAPPINGS:
        by_connector.setdefault(connector, []).append(obj)
    return "; ".join(f"{name}: {', '.join(objs)}" for name, objs in by_connector.items())


def default_mapping(connector: str, obj: str) -> dict[str, str]:
    """The connector's mapping of ``obj``; 400 naming what syncs when it cannot sync
    that object."""
    found = DEFAULT_MAPPINGS.get((connector, obj))
    if found is None:
        raise ValidationFailed.field(
            "object",
            f"a {connector} connection cannot sync {obj}; syncs run for {supported()}",
        )
    return dict(found)


def check_mapping(obj: str, mapping: Mapping[str, Any]) -> dict[str, str]:
    """A mapping given by a client, checked: 400 with a detail per problem."""
    allowed = FIELDS[obj]
    problems: list[Detail] = []
    if not mapping:
        problems.append({"field": "mapping", "message": "maps no field"})
    for name, remote in mapping.items():
        if name.split(".", 1)[0] not in allowed:
            problems.append(
                {"field": f"mapping.{name}", "message": f"is not a field of {obj} that syncs"}
            )
        if not isinstance(remote, str) or not remote.strip() or len(remote) > 200:
            problems.append(
                {"field": f"mapping.{name}", "message": "must name the remote's field (text)"}
            )
    remotes = [r for r in mapping.values() if isinstance(r, str)]
    if len(set(remotes)) != len(remotes):
        problems.append({"field": "mapping", "message": "maps two fields to one remote field"})
    if problems:
        raise ValidationFailed("The mapping is not valid", details=problems)
    return {name: str(remote) for name, remote in mapping.items()}


def check_filter(expression: str | None) -> str | None:
    """A filter expression (JMESPath over the record as Rolodex shows it), compiled once
    to check it; 400 when it does not compile."""
    if expression is None:
        return None
    try:
        jmespath.compile(expression)
    except JMESPathError as exc:
        raise ValidationFailed.field("filter", f"is not a valid expression: {exc}") from None
    return expression


def passes(expression: str | None, record: Mapping[str, Any]) -> bool:
    """Whether a record (in Rolodex's fields) passes a sync's filter."""
    if expression is None:
        return True
    try:
        return bool(jmespath.search(expression, dict(record)))
    except JMESPathError:
        return False


def _get(values: Mapping[str, Any], path: str) -> Any:
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def _put(values: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    current = values
    for part in parts[:-1]:
        nested = current.get(part)
        if not isinstance(nested, dict):
            nested = current[part] = {}
        current = nested
    current[parts[-1]] = value


def normal(name: str, value: Any) -> Any:
    """A value as the hashes compare it: tags as a sorted, lower-cased set, empty text
    and empty objects as null."""
    if name == "tags":
        return sorted({str(tag).lower() for tag in value or []})
    if value == "" or value == {} or value == []:
        return None
    if isinstance(value, dict):
        cleaned = {k: v for k, v in value.items() if v not in (None, "", {}, [])}
        return cleaned or None
    return value


def _writable(name: str, value: Any) -> Any:
    if value is None and name in ("tags",):
        return []
    if value is None and name in ("custom_fields",):
        return {}
    if value is None and name in ("do_not_contact", "completed", "pinned"):
        return False
    return value


@dataclass(frozen=True)
class FieldMap:
    """A mapping ready to use: Rolodex field paths to remote field paths."""

    fields: Mapping[str, str]

    def rolodex_values(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The mapped fields of a Rolodex record (as the API shows it)."""
        return {name: _get(record, name) for name in sorted(self.fields)}

    def remote_values(self, remote: Mapping[str, Any]) -> dict[str, Any]:
        """The mapped fields of a remote record, in Rolodex's fields."""
        return {name: _get(remote, self.fields[name]) for name in sorted(self.fields)}

    def to_remote(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Rolodex values (of :meth:`rolodex_values`) as the remote's body."""
        body: dict[str, Any] = {}
        for name, value in values.items():
            if name in self.fields:
                _put(body, self.fields[name], _writable(name, value))
        return body

    def to_rolodex(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Rolodex values as a Rolodex write body (nested paths put together)."""
        body: dict[str, Any] = {}
        for name, value in values.items():
            _put(body, name, _writable(name, value))
        return body


def normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """Mapped values as they are compared (:func:`normal`)."""
    return {name: normal(name, value) for name, value in values.items()}


def digest(values: Mapping[str, Any]) -> str:
    """The hash of mapped values: SHA-256 of their canonical JSON, normalised."""
    canonical = json.dumps(normalised(values), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``new`` whose value differs from ``old``'s (compared normalised)."""
    return {
        name: value
        for name, value in new.items()
        if normal(name, old.get(name)) != normal(name, value)
    }
