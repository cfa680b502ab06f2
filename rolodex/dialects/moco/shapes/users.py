"""MOCO's users (and ``/session``) as Rolodex users.

A Rolodex user has a name, an email address and an active flag; MOCO's units, roles,
phones and the like have no native field and are left out. ``extern`` is always false.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel
from ulid import ULID

from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.common import Timestamp
from rolodex.dialects.moco.values import text_out, timestamp

SORTS = {
    "firstname": "first_name",
    "lastname": "last_name",
    "email": "email",
    "created_at": "created_at",
    "updated_at": "updated_at",
}


class UserOut(BaseModel):
    """A user as MOCO shows one."""

    id: int
    firstname: str
    lastname: str
    active: bool
    extern: bool
    email: str
    created_at: Timestamp
    updated_at: Timestamp


class SessionOut(BaseModel):
    """Whose key this is: the user's number and a UUID that never changes."""

    id: int
    uuid: UUID


def user_of(user: dict[str, Any], refs: Refs) -> dict[str, Any]:
    """A native user (``UserOut`` dump) as MOCO shows it."""
    return {
        "id": refs.number(user["id"]),
        "firstname": text_out(user.get("first_name")),
        "lastname": text_out(user.get("last_name")),
        "active": bool(user["active"]),
        "extern": False,
        "email": user["email"],
        "created_at": timestamp(user["created_at"]),
        "updated_at": timestamp(user["updated_at"]),
    }


def uuid_of(user_id: str) -> str:
    """The UUID of a native user: the 128 bits of the ULID in its id."""
    return str(ULID.from_str(user_id.partition("_")[2].upper()).to_uuid())


def session_of(user_id: str, refs: Refs) -> dict[str, Any]:
    """``GET /session``: ``{id, uuid}`` of the key's user."""
    return {"id": refs.number(user_id), "uuid": uuid_of(user_id)}
