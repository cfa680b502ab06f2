"""Settings: API keys (create — the key shown once —, list, revoke) and users (create,
roles, staff, deactivate, act as)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from rolodex.accounts import service as accounts
from rolodex.accounts import users
from rolodex.accounts.models import ApiKey, User
from rolodex.accounts.schemas import ApiKeyCreate, UserCreate, UserUpdate
from rolodex.dashboard.forms import build
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.dashboard.sessions import revoke_all_of
from rolodex.errors import DomainError
from rolodex.kinds import USER
from rolodex.records import get_of_kind

router = dashboard_router()
KEYS = f"{PREFIX}/settings/api-keys"
USERS = f"{PREFIX}/settings/users"
LIST_LIMIT = 500


async def _keys_page(
    page: Page,
    *,
    created: tuple[ApiKey, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    keys = list(
        await page.session.scalars(
            accounts.visible_keys(page.principal)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
            .limit(LIST_LIMIT)
        )
    )
    owners = await _user_emails(page, {k.user_id for k in keys if k.user_id})
    return page.render(
        "api_keys.html",
        status_code=status,
        keys=keys,
        owners=owners,
        created=created,
        errors=errors or [],
    )


async def _user_emails(page: Page, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await page.session.execute(
        select(User.id, User.email).where(
            User.account_id == page.principal.account_id, User.id.in_(sorted(ids))
        )
    )
    return {row.id: row.email for row in rows}


def _messages(exc: DomainError) -> list[str]:
    return [exc.message, *(f"{d['field']}: {d['message']}" for d in exc.details or [])]


@router.get("/settings")
async def settings_home(page: Ctx) -> Response:
    """Settings open on API keys."""
    return see_other(KEYS)


@router.get("/settings/api-keys")
async def list_keys(page: Ctx) -> Response:
    """The keys the acting user may see: their own, or all of the account's for owners
    and admins."""
    return await _keys_page(page)


@router.post("/settings/api-keys")
async def create_key(page: Ctx) -> Response:
    """A new key, shown on this answer only; Rolodex keeps its hash."""
    values: dict[str, Any] = {
        "name": page.form.get("name"),
        "scope": page.form.get("scope", "full"),
        "kind": page.form.get("kind", "user"),
    }
    try:
        created = await accounts.create_key_for(
            page.session, page.principal, build(ApiKeyCreate, values)
        )
    except DomainError as exc:
        return await _keys_page(page, errors=_messages(exc), status=400)
    return await _keys_page(page, created=created)


@router.post("/settings/api-keys/{key_id}/revoke")
async def revoke_key(page: Ctx, key_id: str) -> Response:
    """Revoke a key: every request with it is refused (401) from now on."""
    key = await accounts.get_key(page.session, page.principal, key_id)
    await accounts.revoke_key(page.session, page.principal, key_id, precondition=None)
    return see_other(KEYS, f"Key {key.name} revoked.")


async def _users_page(
    page: Page, *, errors: list[str] | None = None, status: int = 200
) -> Response:
    page.require_manager()
    rows = list(
        await page.session.scalars(
            accounts.search_users(page.principal)
            .order_by(User.active.desc(), User.email)
            .limit(LIST_LIMIT)
        )
    )
    real = page.principal.impersonator or page.principal.user
    return page.render(
        "users.html",
        status_code=status,
        users=rows,
        errors=errors or [],
        owner=page.principal.role == "owner",
        may_impersonate=real is not None and real.staff,
        me=real.id if real is not None else None,
    )


@router.get("/settings/users")
async def list_users(page: Ctx) -> Response:
    """The account's users (owners and admins only)."""
    return await _users_page(page)


@router.post("/settings/users")
async def create_user(page: Ctx) -> Response:
    """A new user of the account, as the permission matrix allows."""
    page.require_manager()
    values = {
        "email": page.form.get("email"),
        "first_name": page.form.optional("first_name"),
        "last_name": page.form.optional("last_name"),
        "role": page.form.get("role", "member"),
        "staff": page.form.checked("staff"),
        "password": page.form.optional("password"),
    }
    try:
        user = await users.create_user(page.session, page.principal, build(UserCreate, values))
    except DomainError as exc:
        return await _users_page(page, errors=_messages(exc), status=400)
    return see_other(USERS, f"User {user.email} added.")


@router.post("/settings/users/{user_id}")
async def update_user(page: Ctx, user_id: str) -> Response:
    """Change a user's role, staff permission or access."""
    page.require_manager()
    target: User = await get_of_kind(page.session, USER, page.principal.account_id, user_id)
    values: dict[str, Any] = {"role": page.form.get("role", target.role)}
    if page.principal.role == "owner":
        values["staff"] = page.form.checked("staff")
    if page.form.get("active"):
        values["active"] = page.form.get("active") == "true"
    await users.update_user(
        page.session, page.principal, user_id, build(UserUpdate, values), precondition=None
    )
    if values.get("active") is False:
        await revoke_all_of(page.session, user_id)
    return see_other(USERS, f"User {target.email} saved.")


@router.post("/settings/users/{user_id}/deactivate")
async def deactivate_user(page: Ctx, user_id: str) -> Response:
    """Deactivate a user: their keys, tokens and dashboard sessions stop working."""
    page.require_manager()
    user = await users.deactivate_user(page.session, page.principal, user_id, precondition=None)
    await revoke_all_of(page.session, user_id)
    return see_other(USERS, f"User {user.email} deactivated.")
