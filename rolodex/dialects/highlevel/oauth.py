"""OAuth as HighLevel does it, on Rolodex's own OAuth server.

Two routes, no store of their own: the clients, codes and tokens are those of
:mod:`rolodex.oauth`, so a token from here works everywhere a Rolodex token does.

- ``GET /highlevel/oauth/chooselocation`` is HighLevel's authorization URL. It sends the
  browser on to Rolodex's own consent page (``/oauth/authorize``) with the same request,
  its scopes in Rolodex's names (:mod:`rolodex.dialects.highlevel.scopes`); everything
  after that — sign-in, CSRF, consent, the redirect with ``code`` — is the native flow.
- ``POST /highlevel/oauth/token`` is HighLevel's token endpoint: a form with
  ``client_id``, ``client_secret``, ``grant_type``, ``code`` or ``refresh_token``,
  ``user_type`` and ``redirect_uri``, run through the native token endpoint (the same
  Authlib server, rate limits and refresh-token rotation) and answered in HighLevel's
  form: the token fields plus ``userType``, ``locationId`` (the account) and ``userId``.

Errors are HighLevel's ``{"statusCode", "message", "error"}``. A form that breaks
HighLevel's documented request schema (a required field missing, a value outside its
enum) is ``422`` with a list of messages, as HighLevel's validation answers; OAuth's own
refusals keep RFC 6749's status (400, and 401 for a client that did not authenticate),
with the RFC error code at the start of the message (``"invalid_grant: …"``).
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import replace
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from rolodex.dialects.highlevel.plain_errors import highlevel_error
from rolodex.dialects.highlevel.scopes import to_highlevel, to_rolodex
from rolodex.dialects.highlevel.surface import TRACE_HEADER
from rolodex.http.errors import request_id_of
from rolodex.oauth.protocol_routes import NO_STORE, token_endpoint
from rolodex.oauth.server import FormRequest, RolodexAuthorizationServer

PREFIX = "/highlevel/oauth"
router = APIRouter(prefix=PREFIX, include_in_schema=False)

AUTHORIZATION_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
"""What the authorization request passes on; HighLevel's own extras
(``loginWindowOpenMode``…) mean nothing here and are left out (RFC 6749 3.1: unknown
parameters are ignored)."""

USER_TYPES = ("Company", "Location")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
USER_TYPE = "Location"
"""The only kind of token Rolodex issues: one account (a HighLevel location)."""
MAX_QUERY_FIELDS = 64


# --- the authorization URL -------------------------------------------------------------


@router.get("/chooselocation")
async def choose_location(request: Request) -> Response:
    """HighLevel's authorization page: on to Rolodex's consent page, same request."""
    try:
        pairs = urllib.parse.parse_qsl(
            request.url.query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS
        )
    except ValueError:
        return highlevel_error(400, "Too many query parameters")
    native = [
        (name, to_rolodex(value) if name == "scope" else value)
        for name, value in pairs
        if name in AUTHORIZATION_PARAMETERS
    ]
    root = request.scope.get("root_path", "")
    target = f"{root}/oauth/authorize?{urllib.parse.urlencode(native)}"
    return RedirectResponse(target, status_code=302, headers=dict(NO_STORE))


# --- the token endpoint ----------------------------------------------------------------


def _invalid_fields(form: dict[str, list[str]]) -> list[str]:
    """What breaks HighLevel's request schema (``GetAccessCodebodyDto``), as its
    validation words it."""
    problems = [
        f"{name} should not be empty"
        for name in ("client_id", "client_secret", "grant_type")
        if not form.get(name, [""])[0]
    ]
    grant_type = form.get("grant_type", [""])[0]
    if grant_type and grant_type not in GRANT_TYPES:
        problems.append(f"grant_type must be one of the following values: {', '.join(GRANT_TYPES)}")
    user_type = form.get("user_type", [""])[0]
    if user_type and user_type not in USER_TYPES:
        problems.append(f"user_type must be one of the following values: {', '.join(USER_TYPES)}")
    return problems


def _native_form(form: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form as the native endpoint takes it: scopes in Rolodex's names."""
    if "scope" not in form:
        return form
    return {**form, "scope": [to_rolodex(value) for value in form["scope"]]}


def _issued(server: RolodexAuthorizationServer, body: dict[str, Any]) -> dict[str, Any]:
    """A native token response in HighLevel's form: ``userType``, ``locationId`` and
    ``userId`` added, the scope in HighLevel's names."""
    token = server.find_token(body["access_token"], "access_token")
    if token is None:  # pragma: no cover - the server just saved it
        raise RuntimeError("an issued token is not found")
    return {
        "access_token": body["access_token"],
        "token_type": "Bearer",
        "expires_in": body["expires_in"],
        **({"refresh_token": body["refresh_token"]} if "refresh_token" in body else {}),
        "scope": to_highlevel(body.get("scope", "")),
        "userType": USER_TYPE,
        "locationId": token.row.account_id,
        "userId": token.row.user_id,
    }


def _issue(server: RolodexAuthorizationServer, http: FormRequest) -> Response:
    problems = _invalid_fields(http.form)
    if problems:
        return highlevel_error(422, problems)
    if http.form.get("user_type", [USER_TYPE])[0] != USER_TYPE:
        return highlevel_error(
            400, "user_type Company is not supported: Rolodex issues Location tokens only"
        )
    response: Response = server.create_token_response(replace(http, form=_native_form(http.form)))
    if response.status_code != 200:
        return response
    body = json.loads(bytes(response.body))
    return JSONResponse(_issued(server, body), headers=dict(NO_STORE))


def _in_highlevel_form(response: Response) -> Response:
    """A native OAuth error (``{"error", "error_description"}``) redrawn as HighLevel's;
    other responses as they are."""
    if response.status_code < 400:
        return response
    try:
        body = json.loads(bytes(response.body))
    except ValueError:
        body = None
    if not isinstance(body, dict) or "statusCode" in body:
        return response
    code = str(body.get("error") or "invalid_request")
    description = body.get("error_description")
    message = f"{code}: {description}" if description else code
    kept = {
        name: value
        for name, value in response.headers.items()
        if name.lower() in ("retry-after", "www-authenticate") or name.lower().startswith("x-rate")
    }
    return highlevel_error(response.status_code, message, kept)


@router.post("/token")
async def token(request: Request) -> Response:
    """HighLevel's ``POST /oauth/token``: ``authorization_code`` and ``refresh_token`` (and
    ``client_credentials``, as the native endpoint has it), for ``user_type=Location``."""
    response = _in_highlevel_form(await token_endpoint(request, _issue))
    request_id = request_id_of(request)
    if request_id:
        response.headers[TRACE_HEADER] = request_id
    return response
