"""The glue between Authlib's OAuth 2.0 server and Rolodex: every Authlib subclass lives here.

Authlib has no FastAPI integration; like its Flask one, this module gives
:class:`authlib.oauth2.AuthorizationServer` a request type (:class:`FormRequest`, read
ahead by the async route) and a response type (a Starlette ``Response``), and implements
the model hooks (clients, codes, tokens) on SQLAlchemy rows. Authlib's hooks are
synchronous, so a server is made per request around a synchronous session: the route
runs it with ``AsyncSession.run_sync``, which gives the hooks a ``Session`` bound to the
request's own transaction.

What Rolodex adds to Authlib's defaults:

- PKCE with ``S256`` only, and required for public clients (``plain`` is refused);
- redirect URIs matched exactly; the registered one is the default only when there is
  exactly one;
- refresh tokens rotate on every use; a used refresh token presented again revokes the
  whole token family, and a replayed authorization code revokes the tokens issued for it;
- every secret is stored as a SHA-256 and compared in constant time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from rolodex.accounts.models import User
from rolodex.accounts.secrets import hash_token, new_token, same_secret
from rolodex.config import Settings
from rolodex.db import utcnow
from rolodex.ids import PREFIXES, is_valid_id, new_id
from rolodex.kinds import OAUTH_CLIENT
from rolodex.oauth.bearer import ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX
from rolodex.oauth.models import OAuthClient, OAuthCode, OAuthToken

SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
ANY_METHOD = [*SECRET_METHODS, "none"]
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
FAMILY_PREFIX = "otf"


@dataclass(frozen=True)
class FormRequest:
    """An HTTP request, read ahead: its query and form parameters with every value."""

    method: str
    url: str
    headers: Mapping[str, str]
    query: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)
    authorization: bool = False  # the authorization endpoint: parameters in the query


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: dict[str, list[str]]) -> None:
        self._datalist = values
        self._data = {key: items[0] for key, items in values.items() if items}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> Any:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    """Authlib's request over a :class:`FormRequest`; the payload is the query string on
    the authorization endpoint and the form body elsewhere."""

    def __init__(self, http: FormRequest, *, payload_from_query: bool) -> None:
        super().__init__(http.method, http.url, headers=http.headers)
        self._args = {k: v[0] for k, v in http.query.items() if v}
        self._form = {k: v[0] for k, v in http.form.items() if v}
        self.payload = _Payload(http.query if payload_from_query else http.form)

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# --- models as Authlib sees them -------------------------------------------------------


class Client(ClientMixin):  # type: ignore[misc]
    """A registered client."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.row.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope asked for, if the client may have all of it; without one, all the
        client's scopes. ``None`` (→ ``invalid_scope``) when it asks for more."""
        if not scope:
            return " ".join(self.row.scopes)
        asked = list(dict.fromkeys(scope_to_list(scope)))
        if not set(asked) <= set(self.row.scopes):
            return None
        return " ".join(asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact string match

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.row.secret_hash
        return stored is not None and same_secret(hash_token(client_secret), stored)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.client_type == "public":
            return method == "none"
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.row.grant_types


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    """An authorization code row, with its PKCE challenge for :class:`CodeChallenge`."""

    def __init__(self, row: OAuthCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token(TokenMixin):  # type: ignore[misc]
    """A token row, as the access or the refresh token that was presented."""

    def __init__(self, row: OAuthToken, kind: str) -> None:
        self.row = row
        self.kind = kind

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.row.id

    def get_scope(self) -> str:
        return self.row.scope

    def expires_at(self) -> datetime:
        if self.kind == "refresh_token" and self.row.refresh_expires_at is not None:
            return self.row.refresh_expires_at
        return self.row.access_expires_at

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at() - self.row.created_at).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at() <= utcnow()

    def is_revoked(self) -> bool:
        used = self.kind == "refresh_token" and self.row.refresh_used_at is not None
        return self.row.revoked_at is not None or used

    def get_user(self) -> str:
        return self.row.user_id

    def get_client(self) -> str:
        return self.row.client_id


# --- the server -------------------------------------------------------------------------


def revoke_family(db: Session, family_id: str | None) -> None:
    """Revoke every token of a family (one authorization and all its refreshes)."""
    if family_id is None:
        return
    now = utcnow()
    db.execute(
        update(OAuthToken)
        .where(OAuthToken.family_id == family_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _locked(stmt: Any) -> Any:
    return stmt.with_for_update().execution_options(populate_existing=True)


class RolodexAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server over one synchronous session (one request's transaction)."""

    def __init__(self, db: Session, settings: Settings, scopes: frozenset[str]) -> None:
        super().__init__(scopes_supported=sorted(scopes))
        self.db = db
        self.settings = settings
        self.authenticated_client: Client | None = None
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                lambda **_: new_token(ACCESS_TOKEN_PREFIX),
                lambda **_: new_token(REFRESH_TOKEN_PREFIX),
                lambda client, grant_type: settings.oauth_access_token_seconds,
            ),
        )
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    # Authlib's framework hooks

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return _Request(request, payload_from_query=request.authorization)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("Rolodex's OAuth endpoints take forms, not JSON")

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        content = json.dumps(body) if isinstance(body, dict) else (body or "")
        return Response(content, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals: Rolodex needs none."""

    def authenticate_client(
        self, request: OAuth2Request, methods: list[str], endpoint: str = "token"
    ) -> Client:
        """Authlib's client authentication, remembering the client it authenticated, so
        that the request is counted against that client's rate limit rather than the
        ``client_id`` it merely claims (:mod:`rolodex.oauth.limits`)."""
        client: Client = super().authenticate_client(request, methods, endpoint)
        self.authenticated_client = client
        return client

    # model hooks

    def query_client(self, client_id: str) -> Client | None:
        if not isinstance(client_id, str) or not is_valid_id(OAUTH_CLIENT.prefix, client_id):
            return None
        row = self.db.scalar(
            select(OAuthClient).where(OAuthClient.id == client_id, OAuthClient.deleted_at.is_(None))
        )
        return Client(row) if row is not None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        client: Client = request.client
        now = utcnow()
        previous: Token | None = request.refresh_token
        code: Code | None = request.authorization_code
        if previous is not None:
            family = previous.row.family_id
        else:
            family = new_id(FAMILY_PREFIX)
            if code is not None:
                code.row.family_id = family
        user_id = request.user.id if request.user is not None else client.row.user_id
        refresh = token.get("refresh_token")
        row = OAuthToken(
            id=new_id(PREFIXES["oauth_token"]),
            account_id=client.row.account_id,
            client_id=client.row.id,
            user_id=user_id,
            family_id=family,
            grant_type=request.payload.grant_type,
            scope=token.get("scope", ""),
            access_token_hash=hash_token(token["access_token"]),
            refresh_token_hash=hash_token(refresh) if refresh else None,
            access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
            refresh_expires_at=(
                now + timedelta(seconds=self.settings.oauth_refresh_token_seconds)
                if refresh
                else None
            ),
        )
        self.db.add(row)
        self.db.flush()

    def find_token(self, value: str, hint: str | None) -> Token | None:
        """The token row of an access or refresh token string, if any."""
        if not isinstance(value, str) or not value:
            return None
        digest = hash_token(value)
        row = self.db.scalar(
            select(OAuthToken).where(
                or_(OAuthToken.access_token_hash == digest, OAuthToken.refresh_token_hash == digest)
            )
        )
        if row is None:
            return None
        kind = "access_token" if same_secret(row.access_token_hash, digest) else "refresh_token"
        return Token(row, kind)

    def live_user(self, user_id: str) -> User | None:
        """The user, if still active."""
        user = self.db.get(User, user_id)
        return user if user is not None and user.active else None


# --- grants and endpoints ----------------------------------------------------------------


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE, ``S256`` only, and mandatory for public clients."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        request = grant.request
        challenge = request.payload.data.get("code_challenge")
        method = request.payload.data.get("code_challenge_method")
        if challenge and method != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        if not challenge and grant.request.client.row.client_type == "public":
            raise InvalidRequestError("A public client must send a PKCE 'code_challenge'")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The authorization code grant over ``oauth_codes``."""

    TOKEN_ENDPOINT_AUTH_METHODS = ANY_METHOD
    server: RolodexAuthorizationServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        client: Client = request.client
        data = request.payload.data
        self.server.db.add(
            OAuthCode(
                id=new_id(PREFIXES["oauth_code"]),
                account_id=client.row.account_id,
                client_id=client.row.id,
                user_id=request.user.id,
                code_hash=hash_token(code),
                redirect_uri=data.get("redirect_uri"),
                scope=request.scope or "",
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method")
                if data.get("code_challenge")
                else None,
                expires_at=utcnow() + timedelta(seconds=self.server.settings.oauth_code_seconds),
            )
        )
        self.server.db.flush()

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        db = self.server.db
        row = db.scalar(_locked(select(OAuthCode).where(OAuthCode.code_hash == hash_token(code))))
        if row is None or row.client_id != client.row.id:
            return None
        if row.used_at is not None:
            # A replayed code: refuse it, and revoke what was issued for it (RFC 6749 4.1.2).
            revoke_family(db, row.family_id)
            return None
        if row.expires_at <= utcnow():
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        authorization_code.row.used_at = utcnow()
        self.server.db.flush()

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return self.server.live_user(authorization_code.row.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """Refresh with rotation: every use returns a new refresh token; reuse revokes all."""

    TOKEN_ENDPOINT_AUTH_METHODS = ANY_METHOD
    INCLUDE_NEW_REFRESH_TOKEN = True
    server: RolodexAuthorizationServer

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        db = self.server.db
        row = db.scalar(
            _locked(
                select(OAuthToken).where(OAuthToken.refresh_token_hash == hash_token(refresh_token))
            )
        )
        if row is None:
            return None
        if row.refresh_used_at is not None:
            revoke_family(db, row.family_id)  # reuse: someone holds a stolen copy
            return None
        if row.revoked_at is not None or (
            row.refresh_expires_at is not None and row.refresh_expires_at <= utcnow()
        ):
            return None
        return Token(row, "refresh_token")

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return self.server.live_user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.row.refresh_used_at = utcnow()
        self.server.db.flush()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    """Machine clients: tokens act as the user who registered the client."""

    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS
    server: RolodexAuthorizationServer

    def validate_token_request(self) -> None:
        super().validate_token_request()
        if self.server.live_user(self.request.client.row.user_id) is None:
            raise InvalidRequestError("The client's user is deactivated")


class UnsupportedTokenType(OAuth2Error):  # type: ignore[misc]
    """RFC 7009 2.2.1, answered with 400 as RFC 6749 5.2 says (Authlib's uses 401)."""

    error = "unsupported_token_type"
    status_code = 400


def _check_hint(endpoint: Any, request: OAuth2Request) -> None:
    hint = request.form.get("token_type_hint")
    if hint and hint not in endpoint.SUPPORTED_TOKEN_TYPES:
        raise UnsupportedTokenType()


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009. Revoking a refresh token revokes its whole family; revoking an access
    token revokes it and the refresh token issued with it (RFC 7009 allows both)."""

    CLIENT_AUTH_METHODS = ANY_METHOD
    server: RolodexAuthorizationServer

    def check_params(self, request: OAuth2Request, client: Client) -> None:
        _check_hint(self, request)
        super().check_params(request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return self.server.find_token(token_string, token_type_hint)

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        if token.kind == "refresh_token":
            revoke_family(self.server.db, token.row.family_id)
        elif token.row.revoked_at is None:
            token.row.revoked_at = utcnow()
        self.server.db.flush()


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """RFC 7662, for confidential clients about their own tokens."""

    CLIENT_AUTH_METHODS = SECRET_METHODS
    server: RolodexAuthorizationServer

    def check_params(self, request: OAuth2Request, client: Client) -> None:
        _check_hint(self, request)
        super().check_params(request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        token = self.server.find_token(token_string, token_type_hint)
        if token is None or self.server.live_user(token.row.user_id) is None:
            return None
        client = self.server.query_client(token.row.client_id)
        return token if client is not None else None

    def check_permission(self, token: Token, client: Client, request: OAuth2Request) -> bool:
        return token.row.client_id == client.row.id

    def introspect_token(self, token: Token) -> dict[str, Any]:
        return {
            "active": True,
            "client_id": token.row.client_id,
            "scope": token.row.scope,
            "sub": token.row.user_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "exp": int(token.expires_at().timestamp()),
            "iat": int(token.row.created_at.timestamp()),
            "account_id": token.row.account_id,
        }
