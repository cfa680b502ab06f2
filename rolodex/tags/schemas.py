"""Request and response bodies of tags."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.validation import ShortText, TagName, TagNames

Color = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#1f77b4"])]


class TagWrite(WriteModel):
    """A tag: a unique name (case-insensitive), an optional color and description."""

    name: TagName = Field(examples=["vip"])
    color: Color | None = None
    description: ShortText | None = None


if TYPE_CHECKING:  # the checker sees the fields; at run time every one is optional
    TagPatch = TagWrite
else:
    TagPatch = partial(TagWrite, "TagPatch")


class TagOut(OutModel):
    """A tag of the account."""

    object: Literal["tag"] = "tag"
    name: str
    color: str | None
    description: str | None
    deleted_at: datetime | None


class TagNamesBody(BaseModel):
    """Tag names to add to or remove from a record; unknown names are created on add."""

    model_config = {"extra": "forbid"}

    tags: TagNames = Field(examples=[["vip", "newsletter"]])
