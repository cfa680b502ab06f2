"""Signing in and out, and a staff user acting as another user."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from rolodex.accounts.models import User
from rolodex.accounts.secrets import check_password, hash_password
from rolodex.accounts.service import find_user_by_email
from rolodex.dashboard import csrf
from rolodex.dashboard.pages import PREFIX, Ctx, dashboard_router, public_router, see_other
from rolodex.dashboard.sessions import (
    clear_cookie,
    is_https,
    open_session,
    revoke,
    set_cookie,
)
from rolodex.errors import Forbidden, NotFound
from rolodex.http.ratelimit import Quota, limiter_of
from rolodex.ids import PREFIXES, is_valid_id

public = public_router()
router = dashboard_router()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when no user matches, so that a wrong address takes as long as a wrong
    password."""
    return hash_password("rolodex-dashboard-no-such-user")


def _safe_next(target: str) -> str:
    """Where to go after sign-in: a dashboard path only (never another site)."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX


def _login_page(
    page: Ctx, *, email: str = "", error: str | None = None, status: int = 200
) -> Response:
    nonce = csrf.login_nonce(page.request)
    response = page.render(
        "login.html",
        status_code=status,
        login_token=csrf.login_token(page.key_ring, nonce),
        email=email,
        error=error,
        next=_safe_next(page.query.get("next") or page.form.get("next")),
    )
    csrf.set_login_cookie(response, nonce, is_https(page.request, page.settings))
    return response


@public.get("/login")
async def login_form(page: Ctx) -> Response:
    """The sign-in form (or, already signed in, the dashboard)."""
    if page.signed_in is not None:
        return RedirectResponse(_safe_next(page.query.get("next")), status_code=303)
    return _login_page(page)


@public.post("/login")
async def login(page: Ctx) -> Response:
    """Check email and password (Argon2id), rate-limited like every sign-in; a new
    session, with a new cookie, on success."""
    if not csrf.login_token_valid(page.request, page.key_ring, page.form.get(csrf.FIELD)):
        return _login_page(page, error="The form expired. Sign in again.", status=403)
    email = page.form.get("email")[:320]
    client = page.request.client.host if page.request.client else "unknown"
    usage = await limiter_of(page.request).hit(
        f"login:{client}:{email.lower()}", Quota.parse(page.settings.login_rate_limit)
    )
    if not usage.allowed:
        response = _login_page(
            page,
            email=email,
            error=f"Too many attempts. Try again in {usage.reset} seconds.",
            status=429,
        )
        response.headers.update({**usage.headers(), "Retry-After": str(usage.reset)})
        return response
    user = await find_user_by_email(page.session, email) if email else None
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    matches = await run_in_threadpool(check_password, stored, page.form.get("password"))
    if user is None or not matches or not user.password_hash or not user.active:
        return _login_page(page, email=email, error="Wrong email or password.", status=401)
    if page.signed_in is not None:  # whatever session the browser had ends here
        await revoke(page.session, page.signed_in.row)
    token = await open_session(page.session, user, page.settings)
    response = see_other(_safe_next(page.form.get("next")))
    set_cookie(response, page.request, page.settings, token)
    response.delete_cookie(csrf.LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(page: Ctx) -> Response:
    """End this session, here and in the database."""
    assert page.signed_in is not None
    await revoke(page.session, page.signed_in.row)
    response = see_other(f"{PREFIX}/login")
    clear_cookie(response, page.request, page.settings)
    return response


@router.post("/impersonate")
async def impersonate(page: Ctx) -> Response:
    """A staff user acts as another active user of the account, until they stop."""
    assert page.signed_in is not None
    row = page.signed_in.row
    real = page.principal.impersonator or page.principal.user
    if real is None or not real.staff:
        raise Forbidden("Only a staff user may act as another user")
    user_id = page.form.get("user_id")
    if not is_valid_id(PREFIXES["user"], user_id):
        raise NotFound("No user with this id in the account")
    target = await page.session.scalar(
        select(User).where(User.id == user_id, User.account_id == row.account_id)
    )
    if target is None:
        raise NotFound("No user with this id in the account")
    if not target.active:
        raise Forbidden("A deactivated user cannot be impersonated")
    row.impersonated_user_id = None if target.id == real.id else target.id
    await page.session.flush()
    return see_other(PREFIX, f"You are acting as {target.email}.")


@router.post("/impersonate/stop")
async def stop_impersonating(page: Ctx) -> Response:
    """Be oneself again."""
    assert page.signed_in is not None
    page.signed_in.row.impersonated_user_id = None
    await page.session.flush()
    return see_other(PREFIX, "You are acting as yourself again.")
