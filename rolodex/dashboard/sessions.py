"""Dashboard sessions: made at sign-in, found by their cookie, ended by sign-out.

The cookie holds 256 random bits; the table holds their SHA-256. Every sign-in makes a
new session (and so a new cookie value), whatever cookie the browser sent, so a session
id planted before sign-in is never the one signed in (no fixation). A session is valid
until it is revoked, idle for ``dashboard_idle_seconds`` or older than
``dashboard_session_seconds``; its user must still be active.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from rolodex.accounts.models import User
from rolodex.accounts.principal import Principal
from rolodex.accounts.secrets import hash_token
from rolodex.config import Settings
from rolodex.dashboard.models import DashboardSession
from rolodex.db import utcnow
from rolodex.ids import new_id

COOKIE = "rdx_session"
SESSION_PREFIX = "ses"
CREDENTIAL_KIND = "session"
TOUCH_SECONDS = 60
"""``last_seen_at`` is written at most once a minute, not on every page."""


@dataclass(frozen=True)
class SignedIn:
    """A live session and who it acts as."""

    row: DashboardSession
    principal: Principal
    token: str


def _new_token() -> str:
    return secrets.token_urlsafe(32)


async def open_session(session: AsyncSession, user: User, settings: Settings) -> str:
    """A new session for ``user``; the cookie's value (shown only to this browser).

    The user's ended sessions (revoked or past their absolute expiry) are deleted on the
    way, so the table holds about one row per browser a user keeps signed in."""
    token = _new_token()
    now = utcnow()
    await session.execute(
        delete(DashboardSession).where(
            DashboardSession.user_id == user.id,
            or_(DashboardSession.revoked_at.is_not(None), DashboardSession.expires_at <= now),
        )
    )
    session.add(
        DashboardSession(
            id=new_id(SESSION_PREFIX),
            token_hash=hash_token(token),
            account_id=user.account_id,
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=settings.dashboard_session_seconds),
        )
    )
    await session.flush()
    return token


def _principal(row: DashboardSession, user: User, acting: User | None) -> Principal:
    return Principal(
        account_id=row.account_id,
        user=acting or user,
        impersonator=user if acting is not None else None,
        credential_id=row.id,
        credential_kind=CREDENTIAL_KIND,
        key_scope="full",
    )


async def find_session(
    session: AsyncSession, token: str | None, settings: Settings
) -> SignedIn | None:
    """The live session of a cookie value, or None (unknown, revoked, idle, expired, or
    its user deactivated). Seeing it counts as use (idle expiry starts again)."""
    if not token or len(token) > 100:
        return None
    row = await session.scalar(
        select(DashboardSession).where(DashboardSession.token_hash == hash_token(token))
    )
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(seconds=settings.dashboard_idle_seconds):
        return None
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    acting = None
    if row.impersonated_user_id is not None:
        acting = await session.get(User, row.impersonated_user_id)
        if acting is None or not acting.active or not user.staff:
            row.impersonated_user_id = None
            acting = None
    if now - row.last_seen_at > timedelta(seconds=TOUCH_SECONDS):
        row.last_seen_at = now
    await session.flush()
    return SignedIn(row=row, principal=_principal(row, user, acting), token=token)


async def revoke(session: AsyncSession, row: DashboardSession) -> None:
    """End one session now."""
    row.revoked_at = utcnow()
    await session.flush()


async def revoke_all_of(session: AsyncSession, user_id: str) -> None:
    """End every session of a user (their deactivation)."""
    await session.execute(
        update(DashboardSession)
        .where(DashboardSession.user_id == user_id, DashboardSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def is_https(request: Request, settings: Settings) -> bool:
    """Whether the browser reached us over HTTPS (directly, through a proxy that says so
    and that uvicorn trusts, or as the configured public URL says)."""
    if request.url.scheme == "https":
        return True
    return bool(settings.public_url and settings.public_url.startswith("https://"))


def set_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, for the dashboard
    only, living no longer than the session."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.dashboard_session_seconds,
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=is_https(request, settings),
    )


def clear_cookie(response: Response, request: Request, settings: Settings) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        COOKIE,
        path="/dashboard",
        httponly=True,
        samesite="lax",
        secure=is_https(request, settings),
    )
