"""What can go wrong in the domain, said without HTTP.

Services raise these kinds of :class:`DomainError`: a message for people and, where it
helps, details that name the field at fault. None of them carries a status or a code:
each API surface renders them in its own shape (the native envelope of ``/api/v1`` is
drawn by :mod:`rolodex.http.errors`, through one table from kind to status and code).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypedDict


class Detail(TypedDict):
    """One problem with one field (or with no field in particular)."""

    field: str | None
    message: str


class DomainError(Exception):
    """A request the domain refuses, and why."""

    def __init__(self, message: str, *, details: list[Detail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    """The input is not valid: a field is missing, malformed or names nothing."""

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        """A validation error about one field, worded ``"<field> <message>"``."""
        return cls(f"{field} {message}", details=[{"field": field, "message": message}])


class Forbidden(DomainError):
    """The acting user or credential may not do this."""


class NotFound(DomainError):
    """No such record in the account (also what records of other accounts look like)."""


class Conflict(DomainError):
    """The change collides with existing data or with a change still under way."""


class PreconditionFailed(DomainError):
    """The record is not in the version the request's precondition names."""


class Unprocessable(DomainError):
    """Well-formed, but not allowed in the record's current state."""


def _field_of(error: Mapping[str, Any], skip: int) -> str | None:
    if error.get("type") == "json_invalid":
        return None  # the location is a character offset, not a field
    return ".".join(str(part) for part in tuple(error.get("loc", ()))[skip:]) or None


def _message_of(error: Mapping[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        return f"The body is not valid JSON: {error.get('ctx', {}).get('error', 'parse error')}"
    if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
        return "A JSON body is required"
    return str(error.get("msg", "is not valid")).removeprefix("Value error, ")


def details_of(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> list[Detail]:
    """Pydantic's errors (``ValidationError.errors()``, FastAPI's as well) as details:
    the location joined with dots, less its first ``skip`` parts (FastAPI's ``body`` or
    ``query``), and pydantic's message without its ``Value error,`` prefix."""
    return [{"field": _field_of(err, skip), "message": _message_of(err)} for err in errors]


def invalid(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> ValidationFailed:
    """The one translation of pydantic's errors into :class:`ValidationFailed`: every
    error a detail (:func:`details_of`), the first one worded as the message."""
    details = details_of(errors, skip=skip)
    if not details:
        return ValidationFailed("The request is not valid")
    field, message = details[0]["field"], details[0]["message"]
    return ValidationFailed(f"{field}: {message}" if field else message, details=details)
