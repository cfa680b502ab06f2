"""Notes: their rules on top of the records-under-a-contact mechanism."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from rolodex.accounts.principal import Principal
from rolodex.contacts.children import ChildRules, account_wide
from rolodex.errors import Forbidden
from rolodex.kinds import NOTE
from rolodex.notes.models import Note


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


RULES = ChildRules(required=("body", "pinned"), prepare=_prepare)


def search(
    principal: Principal,
    *,
    contact_id: str | None = None,
    author_id: str | None = None,
    pinned: bool | None = None,
) -> Select[Any]:
    """The account's notes matching the filters; all filters must hold."""
    stmt = account_wide(NOTE, principal)
    if contact_id is not None:
        stmt = stmt.where(Note.contact_id == contact_id)
    if author_id is not None:
        stmt = stmt.where(Note.author_id == author_id)
    if pinned is not None:
        stmt = stmt.where(Note.pinned.is_(pinned))
    return stmt
