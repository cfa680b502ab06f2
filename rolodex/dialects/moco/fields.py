"""Errors about native fields, told with MOCO's names.

A MOCO body is checked twice: by its own schema (MOCO's names already), then, once
translated, by the native write schema and the service (``email``, ``owner_id``…). The
second kind of error is renamed here, with the resource's map from native to MOCO
names, so that a 422 always names what the client sent (``work_email``, ``user_id``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rolodex.errors import Detail, DomainError, invalid

M = TypeVar("M", bound=BaseModel)

WHOLE = frozenset({"address"})
"""Native fields that are one MOCO field as a whole (an address's parts are its text)."""


def moco_name(field: str | None, names: Mapping[str, str]) -> str | None:
    """The MOCO name of a native field path (``address.line2`` → ``work_address``)."""
    if field is None:
        return None
    head, dot, rest = field.partition(".")
    if head not in names:
        return field
    return names[head] if head in WHOLE or not dot else f"{names[head]}.{rest}"


def renamed(error: DomainError, names: Mapping[str, str]) -> DomainError:
    """The same error, its details naming MOCO's fields (and its message built from them)."""
    if not error.details:
        return error
    details: list[Detail] = [
        {"field": moco_name(d.get("field"), names), "message": d["message"]} for d in error.details
    ]
    first = details[0]
    message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return type(error)(message, details=details)


@contextmanager
def moco_fields(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a domain error of the block with MOCO's field names."""
    try:
        yield
    except DomainError as exc:
        raise renamed(exc, names) from None


def native_body(schema: type[M], values: dict[str, Any], names: Mapping[str, str]) -> M:
    """``values`` checked by a native write schema; its errors named the MOCO way."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise renamed(invalid(exc.errors()), names) from None
