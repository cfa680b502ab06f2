"""Field types shared by every request schema.

They close the gaps through which client input could reach the database and fail
there instead of being refused with a clear 400: NUL bytes and lone surrogates in
strings, non-finite numbers in JSON, timestamps whose conversion to UTC overflows.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from datetime import UTC, date, datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    WithJsonSchema,
)

MAX_CUSTOM_FIELDS = 100
MAX_JSON_DEPTH = 5


def clean_text(value: str) -> str:
    """Refuse strings that no database can store: NUL bytes and lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


ShortText = Annotated[str, Field(max_length=255), AfterValidator(clean_text)]
LongText = Annotated[str, Field(max_length=65_536), AfterValidator(clean_text)]


def not_blank(value: str) -> str:
    """A required text must say something: whitespace alone counts as missing."""
    if not value.strip():
        raise ValueError("must not be blank")
    return value


RequiredText = Annotated[
    str, Field(min_length=1, max_length=255), AfterValidator(clean_text), AfterValidator(not_blank)
]
RequiredLongText = Annotated[
    str,
    Field(min_length=1, max_length=65_536),
    AfterValidator(clean_text),
    AfterValidator(not_blank),
]
Phone = Annotated[str, Field(max_length=50), AfterValidator(clean_text)]
Url = Annotated[str, Field(max_length=2048), AfterValidator(clean_text)]
# contacts.gender is VARCHAR(50): a longer value would fail in PostgreSQL with a 500.
Gender = Annotated[str, Field(max_length=50), AfterValidator(clean_text)]


def normalize_email(value: str) -> str:
    """A syntactically valid address, its domain lower-cased; no DNS look-up."""
    clean_text(value)
    try:
        result = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address ({exc})") from None
    return result.normalized


Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]


_ISO_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?"
)


def iso_timestamp(value: Any) -> Any:
    """Only ISO 8601 date-times; pydantic would also take numbers as Unix times."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_TIMESTAMP.fullmatch(value):
        raise ValueError("must be an ISO 8601 date-time such as 2026-11-22T09:17:58Z")
    return value


def to_utc(value: datetime) -> datetime:
    """A timezone-aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range once converted to UTC") from None


UtcDatetime = Annotated[datetime, BeforeValidator(iso_timestamp), AfterValidator(to_utc)]
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD``; pydantic would also take numbers as Unix times."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date such as 2026-11-22")
    return value


Day = Annotated[date, BeforeValidator(iso_date)]
Bool = StrictBool


def check_timezone(value: str) -> str:
    """An IANA time zone name such as ``Europe/Berlin``."""
    clean_text(value)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not a known IANA time zone") from None
    return value


Timezone = Annotated[str, Field(max_length=64), AfterValidator(check_timezone)]


def _check_json(value: Any, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"must not nest deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        clean_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            clean_text(key)
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


def check_custom_fields(value: dict[str, Any]) -> dict[str, Any]:
    """A flat object of string keys whose values are storable JSON."""
    if len(value) > MAX_CUSTOM_FIELDS:
        raise ValueError(f"must have at most {MAX_CUSTOM_FIELDS} keys")
    for key in value:
        if not 1 <= len(key) <= 100:
            raise ValueError("keys must be 1 to 100 characters long")
    _check_json(value)
    return value


def _none_to_empty(value: Any) -> Any:
    return {} if value is None else value


CustomFields = Annotated[
    dict[str, Any],
    BeforeValidator(_none_to_empty),
    AfterValidator(check_custom_fields),
    # null is accepted (and stored as {}), so the document must say so.
    WithJsonSchema(
        {
            "anyOf": [{"type": "object", "additionalProperties": True}, {"type": "null"}],
            "description": "An object of string keys; null is taken as {}.",
        }
    ),
]


class Address(BaseModel):
    """A postal address; every part is optional."""

    model_config = ConfigDict(extra="forbid")

    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    state: ShortText | None = None
    postal_code: Annotated[str, Field(max_length=32), AfterValidator(clean_text)] | None = None
    country: ShortText | None = None


TagName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(clean_text)]


def check_tag_names(value: list[str]) -> list[str]:
    """Trimmed, non-empty names, de-duplicated case-insensitively, first spelling wins."""
    seen: dict[str, str] = {}
    for raw in value:
        name = raw.strip()
        if not name:
            raise ValueError("tag names must not be blank")
        seen.setdefault(name.casefold(), name)
    return list(seen.values())


TagNames = Annotated[list[TagName], Field(max_length=100), AfterValidator(check_tag_names)]
