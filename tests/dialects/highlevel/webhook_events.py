"""HighLevel's webhook event documents (tests/fixtures/highlevel, CC0): each one's JSON
schema and example, and a check of a body against them."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

EVENTS_DIR = Path(__file__).parents[2] / "fixtures" / "highlevel" / "docs" / "webhook-events"
TYPES = (
    "ContactCreate",
    "ContactUpdate",
    "ContactDelete",
    "ContactTagUpdate",
    "TaskCreate",
    "TaskComplete",
    "TaskDelete",
    "NoteCreate",
    "NoteUpdate",
    "NoteDelete",
)
_SCHEMA = re.compile(r"```json json_schema\n(.*?)\n```", re.S)
_EXAMPLE = re.compile(r"#### Example\s*```json\n(.*?)\n```", re.S)


@cache
def document(kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schema and the example of HighLevel's ``kind`` webhook."""
    text = (EVENTS_DIR / f"{kind}.md").read_text()
    schema, example = _SCHEMA.search(text), _EXAMPLE.search(text)
    assert schema is not None and example is not None, kind
    return json.loads(schema.group(1)), json.loads(example.group(1))


def problems(body: dict[str, Any]) -> list[str]:
    """Why ``body`` breaks the schema of its ``type``, and which of the schema's fields it
    lacks; empty when it has every one, each of the right type."""
    schema, _ = document(body["type"])
    found = [error.message for error in jsonschema_rs.validator_for(schema).iter_errors(body)]
    missing = sorted(set(schema["properties"]) - set(body))
    return found + [f"missing {name}" for name in missing]
