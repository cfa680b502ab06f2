"""Managing an account's users: who may create, change and deactivate whom.

The permission matrix (documented in ``docs/identity.md``):

- an **owner** manages every user, and is the only one who may make or change an owner
  or grant the ``staff`` permission;
- an **admin** manages admins and members, never owners, and cannot grant ``staff``;
- a **member** may change only their own name, email and password;
- an **account-level API key** has an admin's rights (it acts as no user);
- the last active owner of an account can be neither demoted nor deactivated.

Users are deactivated, never erased: their records keep pointing at them, and every
credential of theirs (API keys, OAuth tokens) stops working at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.accounts.schemas import UserCreate, UserUpdate
from rolodex.accounts.secrets import hash_password
from rolodex.accounts.service import find_user_by_email, is_manager
from rolodex.errors import Conflict, Forbidden, Unprocessable
from rolodex.kinds import USER
from rolodex.preconditions import Precondition
from rolodex.records import get_of_kind, require_present

SELF_SERVICE_FIELDS = frozenset({"email", "first_name", "last_name", "password"})


def _is_owner(principal: Principal) -> bool:
    return principal.role == "owner"


async def _active_owners(session: AsyncSession, account_id: str) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.account_id == account_id, User.role == "owner", User.active.is_(True))
    )
    return int(count or 0)


async def _email_free(session: AsyncSession, email: str, user_id: str | None = None) -> None:
    found = await find_user_by_email(session, email)
    if found is not None and found.id != user_id:
        raise Conflict(f"A user with email {email} already exists")


async def create_user(session: AsyncSession, principal: Principal, body: UserCreate) -> User:
    """A new user; owners and admins may create, only owners make owners or staff."""
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may create users")
    if (body.role == "owner" or body.staff) and not _is_owner(principal):
        raise Forbidden("Only an owner may create an owner or a staff user")
    await _email_free(session, body.email)
    user = User(
        id=USER.new_id(),
        account_id=principal.account_id,
        email=body.email,
        first_name=body.first_name,
        last_name=body.last_name,
        role=body.role,
        staff=body.staff,
        active=True,
        password_hash=hash_password(body.password) if body.password else None,
    )
    session.add(user)
    await session.flush()
    return user


async def _target(
    session: AsyncSession,
    principal: Principal,
    user_id: str,
    *,
    precondition: Precondition | None,
) -> User:
    """The user to change, locked, with the write's precondition checked."""
    user: User = await get_of_kind(
        session, USER, principal.account_id, user_id, for_update=True, precondition=precondition
    )
    return user


def _check_may_change(principal: Principal, target: User, values: dict[str, Any]) -> None:
    """Raise 403 unless the principal may apply ``values`` to ``target``."""
    if target.id == principal.user_id and set(values) <= SELF_SERVICE_FIELDS:
        return
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may change other users, roles or access")
    if not _is_owner(principal):
        if target.role == "owner":
            raise Forbidden("Only an owner may change an owner")
        if values.get("role") == "owner":
            raise Forbidden("Only an owner may make a user an owner")
        if "staff" in values and values["staff"] != target.staff:
            raise Forbidden("Only an owner may grant or withdraw the staff permission")


async def update_user(
    session: AsyncSession,
    principal: Principal,
    user_id: str,
    body: UserUpdate,
    *,
    precondition: Precondition | None,
) -> User:
    """Change a user (PATCH): only the fields sent, as the permission matrix allows."""
    target = await _target(session, principal, user_id, precondition=precondition)
    values = {name: getattr(body, name) for name in body.model_fields_set}
    require_present(values, ("email", "role", "staff", "active", "password"))
    _check_may_change(principal, target, values)
    await _apply(session, target, values)
    return target


async def deactivate_user(
    session: AsyncSession,
    principal: Principal,
    user_id: str,
    *,
    precondition: Precondition | None,
) -> User:
    """Deactivate a user (DELETE): the row stays, its credentials stop working."""
    target = await _target(session, principal, user_id, precondition=precondition)
    _check_may_change(principal, target, {"active": False})
    await _apply(session, target, {"active": False})
    return target


async def _apply(session: AsyncSession, target: User, values: dict[str, Any]) -> None:
    demoted = target.role == "owner" and values.get("role", "owner") != "owner"
    deactivated = target.role == "owner" and target.active and values.get("active") is False
    if (demoted or deactivated) and await _active_owners(session, target.account_id) <= 1:
        raise Unprocessable("The last active owner cannot be demoted or deactivated")
    if "email" in values:
        await _email_free(session, values["email"], target.id)
    password = values.pop("password", None)
    if password is not None:
        target.password_hash = hash_password(password)
    for name, value in values.items():
        setattr(target, name, value)
    await session.flush()
