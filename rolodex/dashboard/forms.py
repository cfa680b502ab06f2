"""Reading the dashboard's forms and query strings: URL-encoded, UTF-8, bounded."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from email.message import Message
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from rolodex.errors import ValidationFailed, invalid

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 200
T = TypeVar("T", bound=BaseModel)


class Form:
    """A submitted form (or a query string): first values, lists and blanks as None."""

    def __init__(self, fields: Mapping[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        """The field's first value, stripped; ``default`` when absent."""
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def optional(self, name: str) -> str | None:
        """The field's value, or None when it is absent or blank."""
        return self.get(name) or None

    def all(self, name: str) -> list[str]:
        """Every value of a repeated field."""
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]

    def checked(self, name: str) -> bool:
        """Whether a checkbox was ticked."""
        return self.get(name) not in ("", "0", "false", "off")

    def page(self) -> int:
        """The ``page`` parameter, 1 when absent or not a positive number."""
        raw = self.get("page", "1")
        return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def tag_names(raw: str) -> list[str]:
    """Comma-separated tag names as a list."""
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse(text: str) -> Form:
    """Parse URL-encoded text."""
    try:
        fields = urllib.parse.parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise ValidationFailed("The form has too many fields") from None
    return Form(fields)


def parse_body(content_type: str | None, body: bytes) -> Form:
    """A form body; an empty body is an empty form."""
    if not body:
        return Form({})
    message = Message()
    message["content-type"] = content_type or ""
    if message.get_content_type() != FORM_TYPE:
        raise ValidationFailed(f"A form must be sent as {FORM_TYPE}")
    try:
        return parse(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValidationFailed("The form is not UTF-8") from None


def build(schema: type[T], values: dict[str, Any]) -> T:
    """The write schema of a form's values, or the API's own 400 with field details."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise invalid(exc.errors()) from None
