"""The dashboard's defences: CSRF, sessions (fixation, expiry, revocation, cookie
flags), tenant isolation and admin pages walked from the route table, inert XSS, and
the sign-in rate limit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import update

from rolodex.accounts.secrets import hash_token
from rolodex.app import create_app
from rolodex.dashboard.models import DashboardSession
from rolodex.db import utcnow
from rolodex.oauth.scopes import flat_routes
from tests.conftest import PASSWORD, Tenant
from tests.dashboard.conftest import (
    Browser,
    add_flow,
    add_run,
    add_sync,
    add_user,
    csrf_of,
    records_of,
)

PARAM = re.compile(r"\{([a-z_]+)\}")
ADMIN_PREFIXES = (
    "/dashboard/settings/users",
    "/dashboard/webhooks",
    "/dashboard/audit",
    "/dashboard/connections",
    "/dashboard/flows",
    "/dashboard/runs",
    "/dashboard/syncs",
    "/dashboard/monitoring",
)


def dashboard_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every dashboard page, from the app's route table."""
    found = []
    for path, route in flat_routes(app.routes):
        if path.startswith("/dashboard"):
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    found.append((method, path))
    return found


def fill(path: str, ids: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"{path}: no record for {{{name}}}; add one to records_of"
        return ids[name]

    return PARAM.sub(one, path)


def test_every_form_is_refused_without_its_token(
    client: TestClient, tenant: Tenant, owner: Browser, browser_for: Callable[..., Browser]
) -> None:
    ids = records_of(tenant)
    another_session = browser_for(tenant.email).token
    unsafe = [(m, p) for m, p in dashboard_routes(client.app) if m != "GET"]
    assert len(unsafe) > 15
    for method, template in unsafe:
        path = fill(template, ids)
        for token in (None, "00" * 32, another_session):
            data = {} if token is None else {"csrf_token": token}
            if template == "/dashboard/login":
                response = owner.post(
                    path, {**data, "email": owner.email, "password": PASSWORD}, csrf=False
                )
            else:
                response = owner.request(method, path, data=data)
            assert response.status_code == 403, (method, path, token, response.status_code)
            assert "reload the page" in response.text or "expired" in response.text
    # nothing changed: the contact is there, the key works, the user is active
    assert tenant.get(f"/contacts/{ids['contact_id']}").status_code == 200
    assert tenant.get(f"/users/{ids['user_id']}").json()["data"]["active"] is True
    assert tenant.get(f"/api-keys/{ids['key_id']}").json()["data"]["revoked_at"] is None
    # and with the token, a form goes through
    response = owner.post(f"/dashboard/contacts/{ids['contact_id']}/delete")
    assert response.status_code == 303


def test_another_accounts_ids_are_not_found_on_every_route(
    client: TestClient, make_tenant: Callable[[], Tenant], browser_for: Callable[..., Browser]
) -> None:
    mine, theirs = make_tenant(), make_tenant()
    their_ids = records_of(theirs)
    me = browser_for(mine.email)
    walked = 0
    for method, template in dashboard_routes(client.app):
        if "{" not in template or template == "/dashboard/static/{name}":
            continue
        path = fill(template, their_ids)
        response = me.get(path) if method == "GET" else me.post(path, {"title": "x", "body": "x"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert "belongs to another account" in response.text
        walked += 1
    assert walked >= 15
    # a form field naming their user is no better than a path
    assert me.post("/dashboard/impersonate", {"user_id": their_ids["user_id"]}).status_code == 404
    # their records are untouched
    contact = theirs.get(f"/contacts/{their_ids['contact_id']}").json()["data"]
    assert contact["deleted_at"] is None
    assert theirs.get(f"/api-keys/{their_ids['key_id']}").json()["data"]["revoked_at"] is None
    assert theirs.get(f"/users/{their_ids['user_id']}").json()["data"]["active"] is True
    # and nothing of theirs is listed
    for page in (
        "/dashboard/contacts",
        "/dashboard/companies",
        "/dashboard/tasks?view=open",
        "/dashboard/settings/api-keys",
        "/dashboard/settings/users",
        "/dashboard/webhooks",
        "/dashboard/connections",
        "/dashboard/flows",
        "/dashboard/runs",
        "/dashboard/syncs",
        "/dashboard/monitoring",
        "/dashboard/audit",
    ):
        text = me.get(page).text
        assert not any(value in text for value in their_ids.values()), page


def test_a_member_cannot_reach_the_admin_pages(
    client: TestClient, tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    ids = records_of(tenant)
    _, email = add_user(tenant, role="member")
    member = browser_for(email)
    walked = 0
    for method, template in dashboard_routes(client.app):
        if not template.startswith(ADMIN_PREFIXES):
            continue
        path = fill(template, ids)
        response = (
            member.get(path)
            if method == "GET"
            else member.post(
                path,
                {
                    "email": "new@example.com",
                    "role": "owner",
                    "url": "https://example.com",
                    "events": "*",
                },
            )
        )
        assert response.status_code == 403, (method, path, response.status_code)
        walked += 1
    assert walked >= 8
    nav = member.get("/dashboard").text
    assert "/dashboard/audit" not in nav and "/dashboard/webhooks" not in nav
    assert member.post("/dashboard/impersonate", {"user_id": ids["user_id"]}).status_code == 403
    # nothing happened: no new user, the other user is still active
    emails = [u["email"] for u in tenant.get("/users").json()["data"]]
    assert "new@example.com" not in emails
    assert tenant.get(f"/users/{ids['user_id']}").json()["data"]["active"] is True
    # and a member sees only their own keys
    keys = member.get("/dashboard/settings/api-keys").text
    assert ids["key_id"] not in keys


def test_sign_in_makes_a_new_session_whatever_cookie_came_before(
    tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    first = browser_for(tenant.email)
    known = first.session_cookie
    assert known
    # a planted cookie (an attacker's own valid session, or an invented value)
    for planted in (known, "attacker-chosen-value-0123456789"):
        victim = browser_for(tenant.email, sign_in=False)
        form = victim.get("/dashboard/login")
        victim.plant(planted)
        response = victim.post(
            "/dashboard/login",
            {"csrf_token": csrf_of(form.text), "email": tenant.email, "password": PASSWORD},
            csrf=False,
        )
        assert response.status_code == 303
        assert victim.session_cookie not in (None, planted)
    # signing in over a live session ends that session: the planted one is revoked
    assert first.get("/dashboard").status_code == 303


def test_only_the_hash_of_the_session_token_is_stored(tenant: Tenant, owner: Browser) -> None:
    from sqlalchemy import select

    async def stored(session: Any) -> list[str]:
        return list(await session.scalars(select(DashboardSession.token_hash)))

    hashes = tenant.run(stored)
    token = owner.session_cookie
    assert token is not None and token not in hashes
    assert hash_token(token) in hashes


def test_ended_sessions_are_deleted_at_the_next_sign_in(
    tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    from sqlalchemy import func, select

    async def rows(session: Any) -> int:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(DashboardSession)
                .where(DashboardSession.user_id == tenant.user_id)
            )
        )

    kept = browser_for(tenant.email)
    for _ in range(3):
        assert browser_for(tenant.email).post("/dashboard/logout").status_code == 303
    # each sign-in deleted the session signed out before it: the live one and the last
    assert tenant.run(rows) == 2
    browser_for(tenant.email)
    assert tenant.run(rows) == 2  # the live one and the new one
    assert kept.get("/dashboard").status_code == 200


def test_sign_out_revokes_the_session(owner: Browser) -> None:
    cookie = owner.session_cookie
    response = owner.post("/dashboard/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert owner.session_cookie is None
    owner.plant(cookie)
    assert owner.get("/dashboard").headers["location"].startswith("/dashboard/login")


def _age(tenant: Tenant, token: str, **changes: Any) -> None:
    async def work(session: Any) -> None:
        await session.execute(
            update(DashboardSession)
            .where(DashboardSession.token_hash == hash_token(token))
            .values(**changes)
        )

    tenant.run(work)


def test_sessions_end_when_idle_or_old(
    tenant: Tenant, browser_for: Callable[..., Browser], settings: Any
) -> None:
    idle = browser_for(tenant.email)
    assert idle.get("/dashboard").status_code == 200
    _age(
        tenant,
        idle.session_cookie,
        last_seen_at=utcnow() - timedelta(seconds=settings.dashboard_idle_seconds + 5),
    )
    assert idle.get("/dashboard").status_code == 303

    old = browser_for(tenant.email)
    _age(tenant, old.session_cookie, expires_at=utcnow() - timedelta(seconds=1))
    assert old.get("/dashboard").status_code == 303

    used = browser_for(tenant.email)
    _age(
        tenant,
        used.session_cookie,
        last_seen_at=utcnow() - timedelta(seconds=settings.dashboard_idle_seconds - 30),
    )
    assert used.get("/dashboard").status_code == 200  # seen now: idle time starts again
    assert used.get("/dashboard").status_code == 200


def test_deactivating_a_user_ends_their_sessions(
    tenant: Tenant, owner: Browser, browser_for: Callable[..., Browser]
) -> None:
    user_id, email = add_user(tenant, role="admin")
    admin = browser_for(email)
    assert admin.get("/dashboard/audit").status_code == 200
    assert owner.post(f"/dashboard/settings/users/{user_id}/deactivate").status_code == 303
    assert admin.get("/dashboard/audit").status_code == 303
    assert admin.sign_in().status_code == 401


def test_cookie_flags(
    client: TestClient, settings: Any, tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    browser = browser_for(tenant.email, sign_in=False)
    page = browser.get("/dashboard/login")
    login_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in login_cookie and "samesite=strict" in login_cookie
    response = browser.post(
        "/dashboard/login",
        {"csrf_token": csrf_of(page.text), "email": tenant.email, "password": PASSWORD},
        csrf=False,
    )
    cookie = next(v for v in response.headers.get_list("set-cookie") if "rdx_session=" in v)
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/dashboard" in flags
    assert f"max-age={settings.dashboard_session_seconds}" in flags
    assert "secure" not in flags  # plain HTTP on loopback: a Secure cookie would be lost

    behind_https = settings.model_copy(update={"public_url": "https://crm.example.com"})
    with TestClient(create_app(behind_https), base_url="https://testserver") as https_client:
        page = https_client.get("/dashboard/login")
        response = https_client.post(
            "/dashboard/login",
            data={"csrf_token": csrf_of(page.text), "email": tenant.email, "password": PASSWORD},
            follow_redirects=False,
        )
        assert response.status_code == 303
        cookie = next(v for v in response.headers.get_list("set-cookie") if "rdx_session=" in v)
        assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_pages_forbid_framing_and_caching(owner: Browser) -> None:
    for path in ("/dashboard", "/dashboard/login", "/dashboard/contacts"):
        response = owner.get(path)
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src" not in response.headers["content-security-policy"]  # 'self' only
        assert response.headers["cache-control"] == "no-store"


def test_sign_in_is_rate_limited(
    tenant: Tenant, browser_for: Callable[..., Browser], settings: Any
) -> None:
    allowed = int(settings.login_rate_limit.split("/")[0])
    browser = browser_for(tenant.email, sign_in=False)
    statuses = [browser.sign_in(password="wrong-password").status_code for _ in range(allowed)]
    assert statuses == [401] * allowed
    refused = browser.sign_in()  # even the right password, until the window ends
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many attempts" in refused.text
    assert browser.session_cookie is None


def test_wrong_passwords_and_inactive_users_do_not_sign_in(
    tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    browser = browser_for(tenant.email, sign_in=False)
    response = browser.sign_in(password="not-the-password")
    assert response.status_code == 401 and "Wrong email or password" in response.text
    nobody = browser_for("nobody-at-all@example.com", sign_in=False)
    assert nobody.sign_in().status_code == 401


def test_after_sign_in_the_browser_goes_only_to_dashboard_pages(
    tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    for target, expected in (
        ("/dashboard/tasks", "/dashboard/tasks"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/dashboard", "/dashboard"),
    ):
        browser = browser_for(tenant.email, sign_in=False)
        page = browser.get("/dashboard/login")
        response = browser.post(
            "/dashboard/login",
            {
                "csrf_token": csrf_of(page.text),
                "email": tenant.email,
                "password": PASSWORD,
                "next": target,
            },
            csrf=False,
        )
        assert response.headers["location"] == expected


PAYLOAD = "<script>alert('x')</script>\"'><img src=x onerror=alert(1)>"


@pytest.mark.parametrize("payload", [PAYLOAD, "{{ 7*7 }}{% raw %}"])
def test_payloads_in_every_field_render_inert(tenant: Tenant, owner: Browser, payload: str) -> None:
    text = payload[:60]
    company = owner.post(
        "/dashboard/companies",
        {"name": text, "description": payload, "website": "https://example.com"},
    )
    assert company.status_code == 303, company.text
    company_id = company.headers["location"].split("/")[-1].split("?")[0]
    contact = owner.post(
        "/dashboard/contacts",
        {
            "first_name": text,
            "last_name": text,
            "job_title": text,
            "phone": "+49 30 1234567",
            "description": payload,
            "company_id": company_id,
        },
    )
    assert contact.status_code == 303, contact.text
    contact_id = contact.headers["location"].split("/")[-1].split("?")[0]
    base = f"/dashboard/contacts/{contact_id}"
    assert owner.post(f"{base}/tasks", {"title": text}).status_code == 303
    assert owner.post(f"{base}/notes", {"body": payload}).status_code == 303
    assert owner.post(f"{base}/appointments", {"title": text, "location": text}).status_code == 303
    assert owner.post("/dashboard/settings/api-keys", {"name": text}).status_code == 200
    assert (
        owner.post(
            "/dashboard/webhooks",
            {"url": "https://example.com/x", "events": "*", "description": payload},
        ).status_code
        == 200
    )
    assert (
        owner.post(
            "/dashboard/settings/users",
            {
                "email": "xss-" + str(len(payload)) + tenant.account_id[-8:] + "@example.com",
                "first_name": text,
                "last_name": text,
            },
        ).status_code
        == 303
    )
    connection = owner.post(
        "/dashboard/connections",
        {"kind": "rolodex", "name": text, "base_url": "https://x.invalid/a", "api_key": payload},
    )
    assert connection.status_code == 303, connection.text
    connection_path = connection.headers["location"].split("?")[0]
    connection_id = connection_path.split("/")[-1]
    flow = owner.post(
        "/dashboard/flows",
        {"template": "contact-to-highlevel", "name": text, "highlevel": connection_id},
    )
    assert flow.status_code == 400  # a Rolodex connection is not a HighLevel one: refused
    assert "<script>alert" not in flow.text and "<img src=x" not in flow.text
    flow_id = add_flow(tenant, connection_id, name=text)
    run_id = add_run(tenant, flow_id, connection_id, error=payload)
    sync_id = add_sync(tenant, connection_id)
    flow_path = f"/dashboard/flows/{flow_id}"
    event = {"type": "contact.created", "data": {"first_name": payload, "email": payload}}
    tried = owner.post(f"{flow_path}/test", {"event": json.dumps(event)})
    assert tried.status_code == 200 and "would not send" in tried.text
    edited = owner.post(f"{flow_path}/actions", {"actions": json.dumps([{"operation": payload}])})
    assert edited.status_code == 400
    for answer in (tried, edited):
        assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    refused = owner.post("/dashboard/connections", {"kind": payload, "name": text})
    assert refused.status_code == 400
    assert "<script>alert" not in refused.text and "<img src=x" not in refused.text
    pages = [
        base,
        "/dashboard/connections",
        connection_path,
        "/dashboard/flows",
        flow_path,
        "/dashboard/runs",
        f"/dashboard/runs/{run_id}",
        "/dashboard/syncs",
        f"/dashboard/syncs/{sync_id}",
        "/dashboard/monitoring",
        f"{base}/edit",
        "/dashboard/contacts",
        f"/dashboard/contacts?q={text[:20]}",
        f"/dashboard/companies/{company_id}",
        "/dashboard/companies",
        "/dashboard/tasks?view=open",
        "/dashboard/settings/api-keys",
        "/dashboard/webhooks",
        "/dashboard/settings/users",
        "/dashboard/audit",
    ]
    for path in pages:
        page = owner.get(path)
        assert page.status_code == 200, path
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, path
    shown = owner.get(base).text
    assert str(escape(text)) in shown  # shown, as text
    if payload.startswith("{{"):  # shown as written, never evaluated as a template
        assert "{{ 7*7 }}" in shown
    assert owner.post(f"{flow_path}/delete").status_code == 303
    # a rejected form shows what was sent, escaped too
    bad = owner.post("/dashboard/contacts", {"first_name": text, "email": payload})
    assert bad.status_code == 400
    assert "<script>alert" not in bad.text
