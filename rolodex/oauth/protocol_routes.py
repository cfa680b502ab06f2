"""The OAuth 2.0 endpoints: ``/oauth/authorize``, ``/oauth/token``, ``/oauth/revoke``,
``/oauth/introspect`` and ``/.well-known/oauth-authorization-server``.

They live outside ``/api/v1`` and answer in RFC 6749's error form
(``{"error": "invalid_grant", "error_description": …}``), not the API envelope. The forms
are read here, ahead, and handed to Authlib (:mod:`rolodex.oauth.server`) in one
transaction, which commits even when Authlib answers with an error, so that a detected
token reuse stays revoked; only a request refused by its client's rate limit
(:mod:`rolodex.oauth.limits`) is rolled back, having done nothing.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from email.message import Message
from functools import lru_cache
from typing import Any, TypeVar

from authlib.common.errors import AuthlibBaseError
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rolodex.accounts.models import User
from rolodex.accounts.secrets import check_password, hash_password
from rolodex.accounts.service import find_user_by_email
from rolodex.config import Settings
from rolodex.db import unit_of_work
from rolodex.http.ratelimit import Quota, Usage, limiter_of
from rolodex.oauth.limits import TokenLimits
from rolodex.oauth.pages import CSRF_FIELD, consent_page, csrf_valid, error_page
from rolodex.oauth.server import (
    ANY_METHOD,
    GRANT_TYPES,
    SECRET_METHODS,
    FormRequest,
    RolodexAuthorizationServer,
)

router = APIRouter(include_in_schema=False)
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 64
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
T = TypeVar("T")


class FormError(ValueError):
    """A body that is not a well-formed URL-encoded form."""


def oauth_error(
    error: str, description: str, status_code: int = 400, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error in RFC 6749's form (section 5.2)."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status_code,
        headers={**NO_STORE, **(headers or {})},
    )


def _parse(text: str) -> dict[str, list[str]]:
    try:
        return urllib.parse.parse_qs(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS
        )
    except ValueError:
        raise FormError("Too many parameters") from None


async def read_form(request: Request) -> dict[str, list[str]]:
    """The body as an ``application/x-www-form-urlencoded`` form (UTF-8)."""
    message = Message()
    message["content-type"] = request.headers.get("content-type", "")
    if message.get_content_type() != FORM_TYPE:
        raise FormError(f"The body must be sent as {FORM_TYPE}")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("The body is not UTF-8") from None
    return _parse(text)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _with_server(request: Request, action: Callable[[RolodexAuthorizationServer], T]) -> T:
    """Run ``action`` on an Authlib server bound to one transaction, committed after."""
    state = request.app.state
    async with unit_of_work(state.sessions) as session:

        def work(db: Session) -> T:
            return action(RolodexAuthorizationServer(db, state.settings, state.oauth_scopes))

        return await session.run_sync(work)


async def _rate_limited(request: Request, identifier: str, limit: str) -> dict[str, str] | None:
    """Count one attempt; the 429 headers when it is over the limit, else None."""
    quota = Quota.parse(limit)
    usage = await limiter_of(request).hit(identifier, quota)
    if usage.allowed:
        return None
    return {**usage.headers(), "Retry-After": str(usage.reset)}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- token, revocation, introspection ---------------------------------------------------


def _too_many(usage: Usage) -> JSONResponse:
    """The token endpoints' 429, in the OAuth error form, with ``Retry-After``."""
    return oauth_error(
        "temporarily_unavailable",
        f"Too many requests; retry after {usage.reset} seconds",
        status_code=429,
        headers={**usage.headers(), "Retry-After": str(usage.reset)},
    )


def _token_limits(request: Request) -> TokenLimits:
    quota = Quota.parse(_settings(request).token_rate_limit)
    return TokenLimits(limiter_of(request), quota, _client_ip(request))


async def token_endpoint(
    request: Request, action: Callable[[RolodexAuthorizationServer, FormRequest], Response]
) -> Response:
    """Run a token, revocation or introspection request, rate-limited as
    :mod:`rolodex.oauth.limits` describes."""
    limits = _token_limits(request)
    blocked = await limits.blocked()
    if blocked is not None:
        return _too_many(blocked)
    try:
        form = await read_form(request)
    except FormError as exc:
        await limits.count(None)
        return oauth_error("invalid_request", str(exc))
    repeated = sorted(name for name, values in form.items() if len(values) > 1)
    if repeated:
        await limits.count(None)
        return oauth_error("invalid_request", f"Parameters sent more than once: {repeated}")
    http = FormRequest("POST", str(request.url), request.headers, {}, form)
    state = request.app.state
    async with unit_of_work(state.sessions) as session:
        server = RolodexAuthorizationServer(
            session.sync_session, state.settings, state.oauth_scopes
        )
        try:
            response = await session.run_sync(lambda _: action(server, http))
        except InsecureTransportError:
            response = oauth_error("invalid_request", "OAuth requests must use HTTPS")
        # The client is known only now: count the request before anything it did commits.
        over = await limits.count(server.authenticated_client)
        if over is not None:
            await session.rollback()  # nothing of a refused request is kept
            return _too_many(over)
    response.headers.update(NO_STORE)
    return response


@router.post("/oauth/token")
async def token(request: Request) -> Response:
    """RFC 6749 section 3.2: authorization_code, refresh_token and client_credentials."""

    def issue(server: RolodexAuthorizationServer, http: FormRequest) -> Response:
        if not http.form.get("grant_type", [""])[0]:
            return oauth_error("invalid_request", "Missing 'grant_type'")
        response: Response = server.create_token_response(http)
        return response

    return await token_endpoint(request, issue)


@router.post("/oauth/revoke")
async def revoke(request: Request) -> Response:
    """RFC 7009 token revocation."""
    return await token_endpoint(
        request, lambda server, http: server.create_endpoint_response("revocation", http)
    )


@router.post("/oauth/introspect")
async def introspect(request: Request) -> Response:
    """RFC 7662 token introspection, for confidential clients."""
    return await token_endpoint(
        request, lambda server, http: server.create_endpoint_response("introspection", http)
    )


# --- authorization ----------------------------------------------------------------------


def _authorization_request(request: Request, method: str) -> FormRequest:
    query = _parse(request.url.query)
    return FormRequest(method, str(request.url), request.headers, query, {}, authorization=True)


def _refusal(server: RolodexAuthorizationServer, error: OAuth2Error) -> Response:
    """An authorization error: back to the client when its redirect URI is known and
    valid (RFC 6749 4.1.2.1), otherwise a page for the user — never an open redirect."""
    if getattr(error, "redirect_uri", None):
        response: Response = server.handle_error_response(None, error)
        return response
    return error_page(
        "This application's request is not valid",
        f"{error.error}: {error.get_error_description() or error.description or ''}".strip(),
    )


def _consent_state(server: RolodexAuthorizationServer, http: FormRequest) -> Any:
    try:
        return server.get_consent_grant(http)
    except OAuth2Error as error:
        return _refusal(server, error)


@router.get("/oauth/authorize")
async def authorize_page(request: Request) -> Response:
    """RFC 6749 section 4.1.1: show who asks for what, with a sign-in form."""
    http = _authorization_request(request, "GET")
    try:
        grant = await _with_server(request, lambda server: _consent_state(server, http))
    except (InsecureTransportError, AuthlibBaseError):
        return error_page("Not allowed", "OAuth requests must use HTTPS")
    if isinstance(grant, Response):
        return grant
    return consent_page(
        request,
        secret_key=request.app.state.key_ring,
        client_name=grant.request.client.row.name,
        scopes=(grant.request.scope or "").split(),
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check against when no user matches, so that both cases take as long."""
    return hash_password("rolodex-no-such-user")


async def _sign_in(request: Request, email: str, password: str, account_id: str) -> User | None:
    """The active user of ``account_id`` with these credentials, or None."""
    state = request.app.state
    async with unit_of_work(state.sessions) as session:
        user = await find_user_by_email(session, email) if email else None
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    matches = await run_in_threadpool(check_password, stored, password)
    if user is None or not matches or not user.password_hash:
        return None
    if not user.active or user.account_id != account_id:
        return None
    return user


@router.post("/oauth/authorize")
async def authorize_decision(request: Request) -> Response:
    """The form's answer: sign in and allow (a code to the client) or deny."""
    settings = _settings(request)
    try:
        form = {name: values[0] for name, values in (await read_form(request)).items()}
    except FormError as exc:
        return error_page("Bad request", str(exc))
    if not csrf_valid(request, request.app.state.key_ring, form.get(CSRF_FIELD)):
        return error_page("This form has expired", "Go back, reload the page and try again.", 403)
    decision = form.get("decision")
    if decision not in ("allow", "deny"):
        return error_page("Bad request", "Choose Allow or Deny.")
    http = _authorization_request(request, "POST")
    try:
        grant = await _with_server(request, lambda server: _consent_state(server, http))
    except (InsecureTransportError, AuthlibBaseError):
        return error_page("Not allowed", "OAuth requests must use HTTPS")
    if isinstance(grant, Response):
        return grant
    client = grant.request.client
    user: User | None = None
    if decision == "allow":
        email = form.get("email", "").strip()[:320]
        limited = await _rate_limited(
            request, f"login:{_client_ip(request)}:{email.lower()}", settings.login_rate_limit
        )
        if limited is not None:
            response = error_page(
                "Too many attempts",
                f"Try again in {limited['Retry-After']} seconds.",
                status_code=429,
            )
            response.headers.update(limited)
            return response
        user = await _sign_in(request, email, form.get("password", ""), client.row.account_id)
        if user is None:
            return consent_page(
                request,
                secret_key=request.app.state.key_ring,
                client_name=client.row.name,
                scopes=(grant.request.scope or "").split(),
                email=email,
                error="Wrong email or password.",
                status_code=401,
            )

    def finish(server: RolodexAuthorizationServer) -> Response:
        grant.server = server
        grant_user = server.live_user(user.id) if user is not None else None
        if user is not None and grant_user is None:  # deactivated in between
            return error_page("Not allowed", "This user is deactivated.", 403)
        response: Response = server.create_authorization_response(
            grant.request, grant_user=grant_user, grant=grant
        )
        return response

    answer = await _with_server(request, finish)
    answer.headers.update(NO_STORE)
    return answer


# --- metadata ---------------------------------------------------------------------------


def issuer_of(request: Request) -> str:
    """The issuer: ``ROLODEX_PUBLIC_URL``, or the URL the request came to."""
    configured = _settings(request).public_url
    return (configured or str(request.base_url)).rstrip("/")


@router.get("/.well-known/oauth-authorization-server")
async def metadata(request: Request) -> JSONResponse:
    """RFC 8414 authorization server metadata."""
    issuer = issuer_of(request)
    return JSONResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "scopes_supported": sorted(request.app.state.oauth_scopes),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": ANY_METHOD,
            "revocation_endpoint_auth_methods_supported": ANY_METHOD,
            "introspection_endpoint_auth_methods_supported": SECRET_METHODS,
            "code_challenge_methods_supported": ["S256"],
            "service_documentation": f"{issuer}/docs",
        }
    )
