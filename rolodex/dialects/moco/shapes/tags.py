"""MOCO's tags as Rolodex tags.

A MOCO tag belongs to one context (Contact, Company, Project…); a Rolodex tag serves
every record that carries tags. So a tag is shown in the context it was asked for
(``?context=Company``), ``Contact`` by default, and a new tag's ``context`` must be one
Rolodex keeps (Contact or Company).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.common import Body, Timestamp
from rolodex.dialects.moco.values import timestamp
from rolodex.tags.schemas import Color
from rolodex.validation import TagName

Context = Literal["Contact", "Company"]
DEFAULT_CONTEXT: Context = "Contact"
SORTS = {"name": "name", "created_at": "created_at", "updated_at": "updated_at"}


class TagUpdate(Body):
    """A tag's new name or color (its context cannot change)."""

    name: TagName | None = None
    color: Color | None = None


class TagCreate(TagUpdate):
    """A new tag."""

    name: TagName
    context: Context = Field(description="Rolodex tags serve people and companies alike.")


class TagOut(BaseModel):
    """A tag as MOCO shows one."""

    id: int
    name: str
    color: str | None
    context: Context
    created_at: Timestamp
    updated_at: Timestamp


def tag_of(tag: dict[str, Any], refs: Refs, context: Context = DEFAULT_CONTEXT) -> dict[str, Any]:
    """A native tag (``TagOut`` dump) as MOCO shows it, in ``context``."""
    return {
        "id": refs.number(tag["id"]),
        "name": tag["name"],
        "color": tag.get("color"),
        "context": context,
        "created_at": timestamp(tag["created_at"]),
        "updated_at": timestamp(tag["updated_at"]),
    }


def tag_values(sent: dict[str, Any]) -> dict[str, Any]:
    """The native tag fields of a MOCO tag's (``name``, ``color``)."""
    return {name: sent[name] for name in ("name", "color") if name in sent}
