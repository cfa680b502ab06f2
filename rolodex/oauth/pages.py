"""The sign-in and consent page of ``/oauth/authorize``: plain HTML, no JavaScript.

The form is protected against cross-site request forgery with a signed double-submit
cookie: the page sets a random nonce in an ``HttpOnly``, ``SameSite=Strict`` cookie and
puts its HMAC (keyed with the deployment's secret) in a hidden field; the POST must carry
both, and they must match. The page may not be framed (clickjacking), cached, sniffed as
another type than HTML, or named in a ``Referer``.
"""

from __future__ import annotations

import secrets
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse

from rolodex.keyring import KeyRing

CSRF_COOKIE = "rdx_oauth_csrf"
CSRF_FIELD = "csrf_token"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin:.6rem 0}input{width:100%;padding:.4rem}"
    "button{padding:.5rem 1rem;margin-right:.5rem}.error{color:#b00020}"
)


def csrf_token(secret_key: KeyRing, nonce: str) -> str:
    """The form token that goes with a cookie nonce (signed with the newest key)."""
    return secret_key.sign(f"oauth-csrf:{nonce}".encode()).hex()


def csrf_nonce(request: Request) -> str:
    """The request's CSRF cookie, or a new nonce when it has none (or a malformed one)."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    return nonce if 20 <= len(nonce) <= 100 and nonce.isascii() else secrets.token_urlsafe(32)


def csrf_valid(request: Request, secret_key: KeyRing, submitted: str | None) -> bool:
    """Whether the form's token matches the request's cookie (under any key of the ring,
    so a form shown before a key rotation can still be sent)."""
    nonce = request.cookies.get(CSRF_COOKIE)
    if not nonce or not submitted:
        return False
    try:
        signature = bytes.fromhex(submitted)
    except ValueError:
        return False
    return secret_key.verify(f"oauth-csrf:{nonce}".encode(), signature)


def _page(title: str, body: str, status_code: int) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · Rolodex</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=dict(PAGE_HEADERS))


def consent_page(
    request: Request,
    *,
    secret_key: KeyRing,
    client_name: str,
    scopes: list[str],
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form: who asks, for what, and the user's email, password and decision."""
    nonce = csrf_nonce(request)
    action = escape(f"{request.url.path}?{request.url.query}", quote=True)
    items = "".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes)
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"<h1>Sign in to Rolodex</h1>"
        f"<p><strong>{escape(client_name)}</strong> asks for access to your Rolodex "
        f"account with these scopes:</p><ul>{items}</ul>{problem}"
        f'<form method="post" action="{action}">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{csrf_token(secret_key, nonce)}">'
        f'<label>Email <input type="email" name="email" value="{escape(email, quote=True)}" '
        f'autocomplete="username" required></label>'
        f'<label>Password <input type="password" name="password" '
        f'autocomplete="current-password"></label>'
        f'<button type="submit" name="decision" value="allow">Allow</button>'
        f'<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>'
        f"</form>"
    )
    response = _page("Authorize", body, status_code)
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=3600,
        path="/oauth",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


def error_page(title: str, message: str, status_code: int = 400) -> HTMLResponse:
    """A page that explains why the request cannot go on (never redirects)."""
    body = f'<h1>{escape(title)}</h1><p class="error">{escape(message)}</p>'
    return _page(title, body, status_code)
