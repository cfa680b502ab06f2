"""Accounts, users and API keys: creation, look-up and revocation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.models import Account, ApiKey, User
from rolodex.accounts.principal import Principal
from rolodex.accounts.schemas import ApiKeyCreate
from rolodex.accounts.secrets import display_prefix, hash_api_key, hash_password, new_api_key
from rolodex.db import utcnow
from rolodex.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from rolodex.ids import PREFIXES, is_valid_id, new_id
from rolodex.kinds import API_KEY, USER
from rolodex.preconditions import Precondition
from rolodex.records import get_of_kind

MANAGERS = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class NewAccount:
    """What ``rolodex init`` creates: an account, its owner and a first key."""

    account: Account
    owner: User
    key: ApiKey
    secret: str


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this address, compared case-insensitively."""
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def create_account(
    session: AsyncSession, *, email: str, password: str, account_name: str | None
) -> NewAccount:
    """A new account with its owner (role owner, staff) and a full-scope key."""
    if await find_user_by_email(session, email) is not None:
        raise Conflict(f"A user with email {email} already exists")
    name = account_name or f"{email.split('@')[1]} account"
    account = Account(id=new_id(PREFIXES["account"]), name=name)
    owner = User(
        id=USER.new_id(),
        account_id=account.id,
        email=email,
        password_hash=hash_password(password),
        role="owner",
        staff=True,
        active=True,
    )
    session.add(account)
    await session.flush()
    session.add(owner)
    await session.flush()
    key, secret = await issue_key(
        session, owner, name="Default key", scope="full", created_by=owner
    )
    return NewAccount(account=account, owner=owner, key=key, secret=secret)


async def _add_key(
    session: AsyncSession,
    account_id: str,
    *,
    user: User | None,
    created_by: User | None,
    name: str,
    scope: str,
    expires_at: Any,
    rate_limit: str | None,
) -> tuple[ApiKey, str]:
    """Store a new key (a user's, or with no ``user`` the account's); the row and the
    secret, which is shown once and never stored."""
    secret = new_api_key()
    key = ApiKey(
        id=API_KEY.new_id(),
        account_id=account_id,
        kind="user" if user is not None else "account",
        user_id=user.id if user is not None else None,
        created_by_id=created_by.id if created_by is not None else None,
        name=name,
        scope=scope,
        prefix=display_prefix(secret),
        key_hash=hash_api_key(secret),
        expires_at=expires_at,
        rate_limit=rate_limit,
    )
    session.add(key)
    await session.flush()
    return key, secret


async def issue_key(
    session: AsyncSession,
    user: User,
    *,
    name: str,
    scope: str,
    expires_at: Any = None,
    rate_limit: str | None = None,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``user``, made by ``created_by``; returns the row and the secret,
    shown only once.

    ``rate_limit`` ("N/S") is the key's own limit; None means the deployment's.
    """
    return await _add_key(
        session,
        user.account_id,
        user=user,
        created_by=created_by,
        name=name,
        scope=scope,
        expires_at=expires_at,
        rate_limit=rate_limit,
    )


async def issue_account_key(
    session: AsyncSession,
    account_id: str,
    *,
    name: str,
    scope: str,
    created_by: User | None,
    expires_at: Any = None,
    rate_limit: str | None = None,
) -> tuple[ApiKey, str]:
    """A new account-level key: it belongs to the account and acts as no user, so it
    outlives whoever made it. Returns the row and the secret, shown only once."""
    return await _add_key(
        session,
        account_id,
        user=None,
        created_by=created_by,
        name=name,
        scope=scope,
        expires_at=expires_at,
        rate_limit=rate_limit,
    )


def is_manager(principal: Principal) -> bool:
    """Owners and admins manage the account's users and keys; so does an account key,
    whose rights are an admin's."""
    return principal.role in MANAGERS


async def get_user(session: AsyncSession, principal: Principal, user_id: str) -> User:
    """A user of the principal's account."""
    user: User = await get_of_kind(session, USER, principal.account_id, user_id)
    return user


async def create_key_for(
    session: AsyncSession, principal: Principal, body: ApiKeyCreate
) -> tuple[ApiKey, str]:
    """Create a key: an account key when ``body.kind`` says so, else a user key for the
    acting user, or for another user when a manager asks."""
    if body.expires_at is not None and body.expires_at <= utcnow():
        raise ValidationFailed.field("expires_at", "must be in the future")
    if body.kind == "account":
        if body.user_id is not None:
            raise ValidationFailed.field(
                "user_id", "must not be sent with kind account: an account key has no user"
            )
        if not is_manager(principal):
            raise Forbidden("Only owners and admins may create account keys")
        return await issue_account_key(
            session,
            principal.account_id,
            name=body.name,
            scope=body.scope,
            created_by=principal.user,
            expires_at=body.expires_at,
            rate_limit=body.rate_limit,
        )
    owner = await _key_user(session, principal, body.user_id)
    if not owner.active:
        raise Unprocessable("A deactivated user cannot be given a key")
    return await issue_key(
        session,
        owner,
        name=body.name,
        scope=body.scope,
        expires_at=body.expires_at,
        rate_limit=body.rate_limit,
        created_by=principal.user,
    )


async def _key_user(session: AsyncSession, principal: Principal, user_id: str | None) -> User:
    """The user a new user key is for: the acting user, or ``user_id`` if a manager may
    give that user a key."""
    if user_id is None or user_id == principal.user_id:
        if principal.user is None:
            raise ValidationFailed.field(
                "user_id", "is required: an account key acts as no user of its own"
            )
        return principal.user
    if not is_manager(principal):
        raise Forbidden("Only owners and admins may create keys for other users")
    if not is_valid_id(USER.prefix, user_id):
        raise ValidationFailed.field("user_id", "does not name a user of this account")
    found = await session.scalar(
        select(User).where(User.id == user_id, User.account_id == principal.account_id)
    )
    if found is None:
        raise ValidationFailed.field("user_id", "does not name a user of this account")
    if (found.role == "owner" or found.staff) and principal.role != "owner":
        # a key of an owner or a staff user would give its maker their rights
        raise Forbidden("Only an owner may create keys for an owner or a staff user")
    return found


def search_users(
    principal: Principal,
    *,
    role: str | None = None,
    active: bool | None = None,
    email: str | None = None,
) -> Any:
    """The account's users matching the filters; ``email`` is exact, in any case."""
    stmt = select(User).where(User.account_id == principal.account_id)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if email is not None:
        stmt = stmt.where(func.lower(User.email) == email.lower())
    return stmt


def visible_keys(principal: Principal, kind: str | None = None) -> Any:
    """Which keys the principal may see: all of the account's for managers (account keys
    included), else its own; only those of ``kind`` when given."""
    stmt = select(ApiKey).where(ApiKey.account_id == principal.account_id)
    if kind is not None:
        stmt = stmt.where(ApiKey.kind == kind)
    if not is_manager(principal):
        stmt = stmt.where(ApiKey.user_id == principal.user_id)
    return stmt


async def get_key(session: AsyncSession, principal: Principal, key_id: str) -> ApiKey:
    """A key the principal may see."""
    key: ApiKey = await get_of_kind(session, API_KEY, principal.account_id, key_id)
    if key.user_id != principal.user_id and not is_manager(principal):
        raise NotFound(f"No API key with id {key_id!r}")
    return key


async def revoke_key(
    session: AsyncSession,
    principal: Principal,
    key_id: str,
    *,
    precondition: Precondition | None,
) -> None:
    """Revoke a key. Its holder or a manager may; revoking twice changes nothing."""
    await get_key(session, principal, key_id)  # 404 unless the principal may see it
    key = await get_of_kind(
        session,
        API_KEY,
        principal.account_id,
        key_id,
        for_update=True,
        precondition=precondition,
    )
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    await session.flush()
