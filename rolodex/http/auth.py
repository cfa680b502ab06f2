"""Authentication: from request headers to a :class:`Principal`.

Three header styles carry the same credential: ``X-API-Key: rdx_k_…``,
``Authorization: Bearer rdx_k_…`` and ``Authorization: Token token=rdx_k_…``. Other kinds
of token (an OAuth access token, ``rdx_at_…``) are accepted the same ways: the application
hands :func:`authenticate` a :data:`TokenKinds` mapping from a token's prefix to what
authenticates it, so this layer knows no package that issues tokens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from starlette.requests import Request

from rolodex.accounts.models import ApiKey, User
from rolodex.accounts.principal import Principal
from rolodex.accounts.principal_cache import CachedKey, PrincipalCache
from rolodex.accounts.secrets import hash_api_key, same_secret
from rolodex.accounts.versions import current_version, version_of
from rolodex.config import Settings
from rolodex.db import unit_of_work, utcnow
from rolodex.errors import Forbidden, NotFound
from rolodex.http.errors import Unauthorized
from rolodex.ids import PREFIXES, is_valid_id

IMPERSONATE_HEADER = "x-impersonate-user-id"
MAX_CREDENTIAL_LENGTH = 512

log = logging.getLogger("rolodex.auth")

TokenAuthenticator = Callable[[AsyncSession, str], Awaitable[Principal]]
TokenKinds = Mapping[str, TokenAuthenticator]
"""Token prefix → the principal of such a token (or a 401); anything else is an API key."""


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A use of an API key still to be written to its ``last_used_at``."""

    key_id: str
    at: datetime


def credential_from(request: Request) -> str | None:
    """The credential a request carries, in any of the accepted header styles.

    A request carries one credential: two different ones (``X-API-Key`` and
    ``Authorization``, or either header sent twice) are refused with a 401 rather than one
    of them picked. The same credential sent twice identically is one credential.
    """
    sent = {key.strip() for key in request.headers.getlist("x-api-key") if key.strip()}
    for authorization in request.headers.getlist("authorization"):
        value = _from_authorization(authorization)
        if value:
            sent.add(value)
    if len(sent) > 1:
        raise Unauthorized(
            "The request carries more than one credential (X-API-Key and Authorization, "
            "or a header sent twice); send exactly one"
        )
    return next(iter(sent), None)


def _from_authorization(header: str) -> str | None:
    """The credential of one ``Authorization`` header (``Bearer`` or ``Token token=``)."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "token" and value.startswith("token="):
        return value.removeprefix("token=").strip().strip('"') or None
    return None


async def authenticate(
    request: Request, session: AsyncSession, settings: Settings, token_kinds: TokenKinds
) -> Principal:
    """Resolve the request's credential and impersonation header, or raise 401/403/404."""
    credential = credential_from(request)
    if not credential:
        raise Unauthorized(
            "Authentication required: send X-API-Key, Authorization: Bearer, "
            "or Authorization: Token token=<key>",
            headers={"WWW-Authenticate": 'Bearer realm="rolodex"'},
        )
    if len(credential) > MAX_CREDENTIAL_LENGTH:
        raise Unauthorized("The credential is not valid")
    token_kind = next((kind for kind in token_kinds if credential.startswith(kind)), None)
    if token_kind is not None:
        principal = await token_kinds[token_kind](session, credential)
    else:
        principal = await _authenticate_key(request, session, settings, credential)
    target = request.headers.get(IMPERSONATE_HEADER)
    if target is not None:
        principal = await _impersonate(session, principal, target.strip())
    return principal


async def _authenticate_key(
    request: Request, session: AsyncSession, settings: Settings, credential: str
) -> Principal:
    """The principal of an API key: its user's, or for an account key, no user's.

    A key this process has seen within ``auth_cache_seconds`` costs one indexed look-up
    (its account's credential version, :mod:`rolodex.accounts.versions`); otherwise the
    key and its user are loaded with that version in one statement and remembered.
    """
    digest = hash_api_key(credential)
    cache = principal_cache_of(request, settings)
    entry = cache.get(digest)
    if entry is not None and await current_version(session, entry.account_id) != entry.version:
        cache.drop(digest)
        entry = None
    if entry is None:
        entry = await _load_key(session, digest)
        cache.put(digest, entry)
        user = await session.get(User, entry.user.id) if entry.user is not None else None
    else:
        user = await session.merge(entry.user, load=False) if entry.user is not None else None
    if entry.expires_at is not None and entry.expires_at <= utcnow():
        raise Unauthorized("The API key has expired")
    _note_use(request, session, entry, settings)
    return Principal(
        account_id=entry.account_id,
        user=user,  # None for an account key
        impersonator=None,
        credential_id=entry.key_id,
        credential_kind="api_key",
        key_scope=entry.scope,
        rate_limit=entry.rate_limit,
    )


async def _load_key(session: AsyncSession, digest: str) -> CachedKey:
    """Load a key, its user and its account's credential version (read in the same
    statement, so that a change committed after it raises the version this entry holds),
    or raise 401 for a key that is unknown, revoked or whose user is deactivated."""
    row = (
        await session.execute(
            select(ApiKey, User, version_of(ApiKey.account_id))
            .outerjoin(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == digest)
        )
    ).first()
    if row is None or not same_secret(row[0].key_hash, digest):
        raise Unauthorized("The credential is not valid")
    key, user, version = row
    if key.revoked_at is not None:
        raise Unauthorized("The API key has been revoked")
    if key.kind != "account" and (user is None or not user.active):
        raise Unauthorized("The API key's user is deactivated")
    return CachedKey(
        key_id=key.id,
        account_id=key.account_id,
        kind=key.kind,
        scope=key.scope,
        rate_limit=key.rate_limit,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        user=detached_copy(user) if user is not None else None,
        version=int(version or 0),
        loaded_at=time.monotonic(),
    )


def detached_copy(user: User) -> User:
    """A copy of ``user``'s columns that no session holds, for requests to merge."""
    copy = User(
        **{column.key: getattr(user, column.key) for column in User.__mapper__.column_attrs}
    )
    make_transient_to_detached(copy)
    return copy


def principal_cache_of(request: Request, settings: Settings) -> PrincipalCache:
    """The application's principal cache (made on first use)."""
    state = request.app.state
    cache: PrincipalCache | None = getattr(state, "principal_cache", None)
    if cache is None:
        cache = state.principal_cache = PrincipalCache(settings.auth_cache_seconds)
    return cache


def _note_use(
    request: Request, session: AsyncSession, entry: CachedKey, settings: Settings
) -> None:
    """Note the key's use, at most once per ``api_key_touch_seconds``, for
    :func:`record_key_use` to write after the request's own transaction.

    Writing it inside that transaction would lock the key's row until the request ends
    and so serialise every concurrent request of one key. A key loaded by this request
    shows the new value already, without making the session's transaction a write.
    """
    now = utcnow()
    interval = timedelta(seconds=settings.api_key_touch_seconds)
    if entry.last_used_at is None or now - entry.last_used_at >= interval:
        entry.last_used_at = now
        key = session.identity_map.get(identity_key(ApiKey, entry.key_id))
        if isinstance(key, ApiKey):  # loaded by this request
            set_committed_value(key, "last_used_at", now)
            set_committed_value(key, "updated_at", now)
        request.state.key_use = KeyUse(entry.key_id, now)


async def record_key_use(request: Request, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Write the ``last_used_at`` noted by authentication, in a short transaction of its
    own. Never fails the request: a key's use time is bookkeeping, not data."""
    use: KeyUse | None = getattr(request.state, "key_use", None)
    if use is None:
        return
    request.state.key_use = None
    try:
        async with unit_of_work(sessions) as session:
            await session.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == use.key_id,
                    or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < use.at),
                )
                .values(
                    last_used_at=use.at,
                    # never backwards: the request itself may have changed the key later
                    updated_at=case((ApiKey.updated_at < use.at, use.at), else_=ApiKey.updated_at),
                )
                # a use time changes no right: no credential version is raised
                .execution_options(synchronize_session=False, credential_rights=False)
            )
    except (SQLAlchemyError, OSError) as exc:
        log.warning("Could not record the use of API key %s: %s", use.key_id, type(exc).__name__)


async def _impersonate(session: AsyncSession, principal: Principal, user_id: str) -> Principal:
    """Act as another user of the same account; only staff may."""
    if principal.user is None:
        raise Forbidden(
            "An account-level API key acts as no user and cannot act as another "
            "(X-IMPERSONATE-USER-ID); use the key of a staff user"
        )
    if not principal.staff:
        raise Forbidden("Only a staff user may act as another user (X-IMPERSONATE-USER-ID)")
    if not is_valid_id(PREFIXES["user"], user_id):
        raise NotFound("No user with this id in the account")
    target = await session.scalar(
        select(User).where(User.id == user_id, User.account_id == principal.account_id)
    )
    if target is None:
        raise NotFound("No user with this id in the account")
    if not target.active:
        raise Forbidden("A deactivated user cannot be impersonated")
    return Principal(
        account_id=principal.account_id,
        user=target,
        impersonator=principal.user,
        credential_id=principal.credential_id,
        credential_kind=principal.credential_kind,
        key_scope=principal.key_scope,
        scopes=principal.scopes,
        rate_limit=principal.rate_limit,
    )
