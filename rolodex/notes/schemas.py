"""Request and response bodies of notes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from rolodex.schemas import OutModel, WriteModel, partial
from rolodex.validation import Bool, RequiredLongText


class NoteWrite(WriteModel):
    """A note as a client writes it; ``body`` is required.

    ``author_id`` is always the acting user (none for an account-level API key). Sending
    another user's id is refused (403): to write as someone else, impersonate them.
    """

    read_only: ClassVar[frozenset[str]] = frozenset({"contact_id"})

    body: RequiredLongText = Field(examples=["Called; wants a quote by Friday."])
    pinned: Bool = False
    author_id: str | None = Field(default=None, description="Read-only: the acting user.")


if TYPE_CHECKING:  # the checker sees the fields; at run time every one is optional
    NotePatch = NoteWrite
else:
    NotePatch = partial(NoteWrite, "NotePatch")


class NoteOut(OutModel):
    """A note as the API shows it."""

    object: Literal["note"] = "note"
    contact_id: str
    body: str
    author_id: str | None = Field(
        description="The user who wrote it; null when an account-level API key did."
    )
    pinned: bool
    deleted_at: datetime | None
