"""Notes: their rules on top of the records-under-a-contact mechanism."""

from __future__ import annotations

from typing import Any

from rolodex.accounts.principal import Principal
from rolodex.contacts.subresources import SubresourceSpec
from rolodex.errors import Forbidden
from rolodex.notes.models import Note
from rolodex.notes.schemas import NoteOut, NotePatch, NoteWrite


def _prepare(
    values: dict[str, Any], record: Note | None, principal: Principal, sent: set[str]
) -> None:
    """A note's author is who writes it; it cannot be set to another user. An account
    key acts as no user: its notes have no author, and any ``author_id`` is refused."""
    author = values.pop("author_id", None)
    if author is not None and author != principal.user_id:
        raise Forbidden(
            "A note is written as the acting user; impersonate the author "
            "(X-IMPERSONATE-USER-ID) to write as them"
        )
    if record is None:
        values["author_id"] = principal.user_id


SPEC = SubresourceSpec(
    label="note",
    plural="notes",
    prefix="nte",
    model=Note,
    write=NoteWrite,
    patch=NotePatch,
    out=NoteOut,
    sorts={"created_at": Note.created_at, "updated_at": Note.updated_at},
    required=("body", "pinned"),
    prepare=_prepare,
)
