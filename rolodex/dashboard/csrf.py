"""Cross-site request forgery protection for every dashboard form.

Signed in, a form carries a synchronizer token: the HMAC (keyed with the deployment's
key ring) of the session's stored token hash, so it differs per session, is never
stored, and cannot be made without the deployment's secret. The sign-in form, shown
before there is a session, uses a signed double-submit cookie: a random nonce in an
``HttpOnly``, ``SameSite=Strict`` cookie and its HMAC in the form. Every unsafe method
(``POST``…) is refused without the right token; a token is also accepted in the
``X-CSRF-Token`` header, for the page's own scripts.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from rolodex.keyring import KeyRing

FIELD = "csrf_token"
HEADER = "x-csrf-token"
LOGIN_COOKIE = "rdx_login_csrf"


def _sign(ring: KeyRing, purpose: str, value: str) -> str:
    return ring.sign(f"dashboard-{purpose}:{value}".encode()).hex()


def _verify(ring: KeyRing, purpose: str, value: str, submitted: str | None) -> bool:
    if not value or not submitted or len(submitted) > 200:
        return False
    try:
        signature = bytes.fromhex(submitted)
    except ValueError:
        return False
    return ring.verify(f"dashboard-{purpose}:{value}".encode(), signature)


def session_token(ring: KeyRing, token_hash: str) -> str:
    """The CSRF token of a signed-in session's forms."""
    return _sign(ring, "csrf", token_hash)


def session_token_valid(ring: KeyRing, token_hash: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is this session's CSRF token (under any key of the ring)."""
    return _verify(ring, "csrf", token_hash, submitted)


def login_nonce(request: Request) -> str:
    """The browser's sign-in nonce cookie, or a new one."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return nonce if 20 <= len(nonce) <= 100 and nonce.isascii() else secrets.token_urlsafe(32)


def login_token(ring: KeyRing, nonce: str) -> str:
    """The sign-in form's token for a nonce."""
    return _sign(ring, "login", nonce)


def login_token_valid(request: Request, ring: KeyRing, submitted: str | None) -> bool:
    """Whether the sign-in form's token matches the browser's nonce cookie."""
    return _verify(ring, "login", request.cookies.get(LOGIN_COOKIE, ""), submitted)


def set_login_cookie(response: Response, nonce: str, secure: bool) -> None:
    """Keep the sign-in nonce in the browser (strict: never sent from another site)."""
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        path="/dashboard",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
