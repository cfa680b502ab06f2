"""What a connector is: a declaration of how one kind of remote system is spoken to.

A :class:`Connector` says, for one remote kind (``rolodex``, ``moco``, ``highlevel``):
how it authenticates (:class:`ApiKeyAuth`, :class:`OAuth2Auth`), its default base URL and
rate limits, how its lists are paged, how its errors and rate-limit headers read, how its
webhooks are verified, the cheap call that checks a credential, and its operations. It
holds no I/O: the shared machinery (:mod:`rolodex.integrations.transport`, budgets, token
refresh, jobs) reads the declaration and does the rest, once for every connector.

An :class:`Operation` is one action or trigger of the catalog: its key in the remote's
own words (``contacts.create``), JSON Schemas of its input and output (pydantic models),
and how its input becomes a :class:`RemoteRequest` and a response its output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

AuthType = Literal["api_key", "oauth2"]
OperationKind = Literal["action", "trigger"]
_PATH_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class RemoteRequest:
    """One HTTP request to a remote, relative to the connection's base URL."""

    method: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteResponse:
    """What a remote answered."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        """Whether the remote accepted the request (any 2xx)."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; None when it is empty or not JSON."""
        import json

        if not self.body.strip():
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class RemoteRate:
    """A remote's own account of its rate limit, read from its response headers."""

    limit: int | None = None
    remaining: int | None = None
    reset_seconds: float | None = None
    """Seconds until ``remaining`` is whole again."""
    daily_remaining: int | None = None


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``per_seconds`` seconds, and at most ``daily`` a day (or none)."""

    requests: int
    per_seconds: int
    daily: int | None = None


@dataclass(frozen=True)
class ApiKeyAuth:
    """A key sent with every request in one header, e.g. ``X-API-Key: {api_key}`` or
    ``Authorization: Token token={api_key}``."""

    header: str = "Authorization"
    template: str = "Bearer {api_key}"

    def headers(self, credentials: Mapping[str, Any]) -> dict[str, str]:
        """The header that authenticates a request."""
        return {self.header: self.template.format(api_key=credentials.get("api_key", ""))}


@dataclass(frozen=True)
class OAuth2Auth:
    """OAuth 2.0 with Rolodex as the client: an access token as a bearer token, refreshed
    with the refresh token before it expires.

    ``authorize_url`` and ``token_url`` are the remote's defaults (a connection may name
    its own); ``pkce`` whether the remote takes PKCE (S256) in the code flow;
    ``token_params`` what its token endpoint wants besides the standard fields (HighLevel's
    ``user_type``); ``client_auth`` how the client authenticates there; ``token_error``
    the OAuth error code (``invalid_grant``…) of an error answer of its token endpoint
    given its status and JSON body, for a remote that does not answer RFC 6749's
    ``{"error": …}`` (None: no code can be told, the answer is taken as it is).
    """

    authorize_url: str | None = None
    token_url: str | None = None
    scopes: tuple[str, ...] = ()
    pkce: bool = True
    token_params: Mapping[str, str] = field(default_factory=dict)
    client_auth: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    token_error: Callable[[int, Any], str | None] | None = None
    endpoints: Callable[[str], tuple[str, str]] | None = None
    """The authorize and token URLs of a remote at a base URL, when they follow from it
    (another Rolodex server's ``/oauth/authorize`` and ``/oauth/token``)."""

    def urls_for(self, base_url: str) -> tuple[str | None, str | None]:
        """The default authorize and token URLs for a connection at ``base_url``."""
        if self.endpoints is not None:
            return self.endpoints(base_url)
        return self.authorize_url, self.token_url

    def headers(self, credentials: Mapping[str, Any]) -> dict[str, str]:
        """The header that authenticates a request."""
        return {"Authorization": f"Bearer {credentials.get('access_token', '')}"}


Auth = ApiKeyAuth | OAuth2Auth


@dataclass(frozen=True)
class Pagination:
    """How a remote's lists are paged.

    ``style``: ``page`` (``page``/``per_page`` parameters, a ``Link`` header with
    ``rel="next"``), ``cursor`` (a cursor in the body) or ``none``. ``next`` finds the
    request for the next page from a response and the request that got it (None on the
    last page).
    """

    style: Literal["page", "cursor", "none"]
    page_param: str = "page"
    size_param: str = "per_page"
    max_size: int = 100
    next: Callable[[RemoteRequest, RemoteResponse], RemoteRequest | None] | None = None


class NoInput(BaseModel):
    """An operation that takes no input."""

    model_config = ConfigDict(extra="forbid")


def _path_params(path: str) -> list[str]:
    return _PATH_PARAM.findall(path)


def default_build(
    operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
) -> RemoteRequest:
    """The request of an operation from its validated input: path parameters filled
    from the input's fields of the same name (or the connection's ``context``: its
    ``location_id``), the rest as the query of a GET and as the JSON body of anything
    else (none when nothing is left)."""
    rest = dict(values)
    path = operation.path
    for name in _path_params(path):
        value = rest.pop(name, None)
        if value is None:
            value = context.get(name)
        if value is None:
            raise ValueError(f"{name} is required")
        path = path.replace("{" + name + "}", str(value))
    if operation.method == "GET":
        query = {k: v for k, v in rest.items() if v is not None}
        return RemoteRequest(operation.method, path, params=query)
    return RemoteRequest(operation.method, path, json=rest or None)


def default_parse(response: RemoteResponse) -> Any:
    """An operation's output: the response's JSON body."""
    return response.json()


@dataclass(frozen=True)
class Operation:
    """One action or trigger of a connector, runnable on its own."""

    key: str
    """``<resource>.<verb>`` for actions, the remote's event name for triggers."""
    kind: OperationKind
    title: str
    method: str
    path: str
    input: type[BaseModel] = NoInput
    output: Any = None
    """The type of its result, for its JSON Schema (a model, ``list[str]`` …); None when
    it answers nothing."""
    description: str = ""
    build: Callable[[Operation, dict[str, Any], Mapping[str, Any]], RemoteRequest] = default_build
    parse: Callable[[RemoteResponse], Any] = default_parse
    writes: bool = False
    """Whether it changes the remote (retried only where that is safe)."""

    def request(
        self, values: dict[str, Any], context: Mapping[str, Any] | None = None
    ) -> RemoteRequest:
        """The request this operation sends for ``values`` (its validated input, as a
        JSON-ready dict without unset fields) through a connection whose ``context``
        (``location_id``…) it may need."""
        return self.build(self, values, context or {})


def error_from_json(path: Sequence[str]) -> Callable[[RemoteResponse], str]:
    """An error mapping that reads the message at ``path`` of a JSON body (a list is
    joined), else says the status."""

    def message(response: RemoteResponse) -> str:
        found: Any = response.json()
        for part in path:
            found = found.get(part) if isinstance(found, dict) else None
        if isinstance(found, list):
            found = "; ".join(str(item) for item in found)
        if isinstance(found, str) and found.strip():
            return found.strip()[:300]
        return f"the remote answered {response.status}"

    return message


def _no_rate(_headers: Mapping[str, str]) -> RemoteRate | None:
    return None


message_field = error_from_json(("message",))
"""The commonest error body: ``{"message": …}``."""


@dataclass(frozen=True)
class Connector:
    """Everything Rolodex knows of one kind of remote, as data."""

    kind: str
    title: str
    auth: tuple[Auth, ...]
    """The ways it may authenticate, the default first."""
    rate_limit: RateLimit
    check: Operation
    """One cheap authenticated call: what ``POST /connections/{id}/check`` sends."""
    default_base_url: str | None = None
    pagination: Pagination = field(default_factory=lambda: Pagination(style="none"))
    error_message: Callable[[RemoteResponse], str] = message_field
    rate_headers: Callable[[Mapping[str, str]], RemoteRate | None] = _no_rate
    verify_webhook: Callable[[Mapping[str, str], bytes, str], bool] | None = None
    """Whether an inbound webhook (headers, raw body) is signed with the secret."""
    idempotency_header: str | None = None
    """A header that makes a write safe to retry, when the remote takes one."""
    needs_location: bool = False
    """Whether a connection needs ``location_id`` (the remote's own account id)."""
    default_headers: Mapping[str, str] = field(default_factory=dict)
    operations: Mapping[str, Operation] = field(default_factory=lambda: MappingProxyType({}))

    def auth_of(self, auth_type: str) -> Auth:
        """Its declaration of ``auth_type``; ``KeyError`` when it has none."""
        for auth in self.auth:
            if isinstance(auth, ApiKeyAuth) and auth_type == "api_key":
                return auth
            if isinstance(auth, OAuth2Auth) and auth_type == "oauth2":
                return auth
        raise KeyError(auth_type)

    @property
    def auth_types(self) -> tuple[AuthType, ...]:
        """The names of the ways it authenticates."""
        return tuple("api_key" if isinstance(a, ApiKeyAuth) else "oauth2" for a in self.auth)

    def operation(self, key: str) -> Operation:
        """One of its operations (the check included); ``KeyError`` when it has none."""
        if key == self.check.key:
            return self.check
        return self.operations[key]


def operations(*items: Operation) -> Mapping[str, Operation]:
    """Operations by key; a key given twice is a mistake of the declaration."""
    found: dict[str, Operation] = {}
    for item in items:
        if item.key in found:
            raise ValueError(f"operation {item.key} is declared twice")
        found[item.key] = item
    return MappingProxyType(found)
