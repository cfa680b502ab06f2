"""How single values look in MOCO: text, timestamps, addresses. Pure functions.

MOCO sends unset text as ``""`` and takes ``""`` to mean "none"; Rolodex keeps ``null``.
Timestamps are whole seconds in UTC with ``Z``; dates ``YYYY-MM-DD``. An address is one
text of lines; Rolodex keeps its parts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def text_out(value: Any) -> str:
    """A text as MOCO shows it: ``""`` when unset."""
    return "" if value is None else str(value)


def text_in(value: str | None) -> str | None:
    """A text MOCO sent, as Rolodex keeps it: ``""`` (or only blanks) is none."""
    if value is None or not value.strip():
        return None
    return value


def timestamp(value: str | None) -> str | None:
    """A native timestamp (ISO 8601, any precision) as MOCO's ``2018-10-17T09:33:46Z``."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def address_text(address: dict[str, Any] | None) -> str:
    """A native address as MOCO's text: the street lines, then postal code and city,
    state and country, each on its own line; ``""`` when there is none."""
    if not address:
        return ""
    town = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    lines = [
        address.get("line1"),
        address.get("line2"),
        town,
        address.get("state"),
        address.get("country"),
    ]
    return "\n".join(line for line in lines if line)


def address_parts(text: str | None) -> dict[str, Any] | None:
    """MOCO's address text as a native address: the first line is ``line1``, the rest
    (newlines kept) ``line2``, so that the text reads back as it was written."""
    text = text_in(text)
    if text is None:
        return None
    lines = [line.rstrip() for line in text.strip().splitlines()]
    first, rest = lines[0], "\n".join(lines[1:]).strip("\n")
    return {"line1": first, "line2": rest or None}
