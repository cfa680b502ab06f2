"""MOCO's comments as Rolodex notes.

Rolodex keeps notes on contacts only, so a comment's ``commentable_type`` is always
``Contact`` and ``commentable_id`` the person's number; ``text`` is the note's ``body``,
``user`` its author, and every note was written by someone (``manual``). A note's
``pinned`` has no MOCO field: a MOCO update leaves it as it is.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.common import Body, Number, Timestamp
from rolodex.dialects.moco.shapes.embedded import UserRef, user_ref
from rolodex.dialects.moco.values import timestamp
from rolodex.validation import RequiredLongText

COMMENTABLE = "Contact"
Commentable = Literal["Contact"]
NAMES: dict[str, str] = {"body": "text", "contact_id": "commentable_id"}
"""Native field → MOCO field, for errors."""
SORTS = {"created_at": "created_at", "updated_at": "updated_at"}


class CommentUpdate(Body):
    """A comment's new text."""

    text: RequiredLongText


class CommentCreate(CommentUpdate):
    """A new comment on a person. ``created_at`` (MOCO's migration aid) is ignored:
    Rolodex stamps its own records."""

    commentable_id: Number
    commentable_type: Commentable = Field(description="Rolodex keeps comments on people.")


class CommentBulkCreate(Body):
    """The same comment on several people at once."""

    commentable_ids: list[Number] = Field(min_length=1, max_length=250)
    commentable_type: Commentable
    text: RequiredLongText


class CommentOut(BaseModel):
    """A comment as MOCO shows one."""

    id: int
    commentable_id: int
    commentable_type: Commentable
    text: str
    manual: bool
    user: UserRef | None
    created_at: Timestamp
    updated_at: Timestamp


def comment_of(note: dict[str, Any], refs: Refs) -> dict[str, Any]:
    """A native note (``NoteOut`` dump) as a MOCO comment."""
    return {
        "id": refs.number(note["id"]),
        "commentable_id": refs.number(note["contact_id"]),
        "commentable_type": COMMENTABLE,
        "text": note["body"],
        "manual": True,
        "user": user_ref(note.get("author_id"), refs),
        "created_at": timestamp(note["created_at"]),
        "updated_at": timestamp(note["updated_at"]),
    }


def note_values(sent: dict[str, Any]) -> dict[str, Any]:
    """The native note fields of a comment's (its ``text``)."""
    return {"body": sent["text"]} if "text" in sent else {}
