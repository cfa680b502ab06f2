"""Routes of the catalog: ``GET /catalog``, and ``POST /connections/{id}/operations/{key}``,
which runs one operation of a connection now, or answers the request it would send."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from rolodex.audit.capture import record
from rolodex.db import release
from rolodex.errors import Conflict, NotFound, Unprocessable
from rolodex.http.envelope import DataEnvelope, JsonResponse, ListEnvelope
from rolodex.http.errors import ApiError, RateLimited
from rolodex.http.pagination import ListParams, Page, list_response
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.integrations import service
from rolodex.integrations.catalog import CatalogItem, filtered
from rolodex.integrations.connector import Operation
from rolodex.integrations.connectors_registry import KINDS, connector_of
from rolodex.integrations.invoke import RemoteError, invoke
from rolodex.integrations.kinds import CONNECTION
from rolodex.integrations.models import DISABLED, NEEDS_AUTH, Connection
from rolodex.integrations.rendering import build_request, render, validated_input
from rolodex.integrations.runtime import runtime_of
from rolodex.integrations.target import open_target
from rolodex.integrations.transport import remote_client

catalog_router = api_router(CONNECTION.scope, prefix="/catalog", tags=["Catalog"])
router = api_router(CONNECTION.scope, prefix=CONNECTION.path, tags=["Catalog"])

ConnectionId = Annotated[
    str,
    Path(description="A connection id.", json_schema_extra={"pattern": CONNECTION.id_pattern}),
]
OperationKey = Annotated[
    str,
    Path(
        description="An operation of the connection's connector, as `GET /catalog` lists it.",
        max_length=100,
        examples=["contacts.list"],
    ),
]


class BadGateway(ApiError):
    """The remote failed (its 5xx, after the retries)."""

    status, code = 502, "BAD_GATEWAY"


class GatewayTimeout(ApiError):
    """The remote did not answer."""

    status, code = 504, "GATEWAY_TIMEOUT"


class OperationRun(BaseModel):
    """Run one operation: its input, and whether only to show the request."""

    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(
        default_factory=dict, description="The operation's input, as its `input_schema` says."
    )
    dry_run: bool = Field(
        default=False,
        description="`true`: answer the exact request a live run would send, send nothing.",
    )


class RenderedRequest(BaseModel):
    """A request as it would be sent; the credential as `***`."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any = None


class SentRequest(BaseModel):
    """The request a live run sent, and how it went."""

    method: str
    url: str
    status: int
    duration_ms: int
    attempts: int


class OperationRunOut(BaseModel):
    """What running an operation did (or, dry, would send)."""

    connection_id: str
    operation: str
    dry_run: bool
    request: RenderedRequest | SentRequest
    output: Any = Field(None, description="The operation's output (live runs), per its schema.")


@catalog_router.get(
    "",
    response_model=ListEnvelope[CatalogItem],
    summary="The operations catalog",
    description="Every trigger and action of every connector, with JSON Schemas of its "
    "input and of what running it answers.",
)
async def list_catalog(
    request: Request,
    principal: CurrentPrincipal,
    connector: Annotated[
        str | None, Query(max_length=32, description=f"Only this connector: {', '.join(KINDS)}.")
    ] = None,
    kind: Annotated[
        str | None, Query(max_length=16, description="Only `action` or `trigger`.")
    ] = None,
    page: Annotated[int, Query(ge=1, description="1-based page number.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=250, description="Items per page, 1 to 250.")] = 250,
) -> JsonResponse:
    service.require_manager(principal)
    items = filtered(connector, kind)
    params = ListParams(
        page=page,
        per_page=per_page,
        sort="key",
        descending=False,
        sort_given=False,
        after=None,
        updated_after=None,
        ids=None,
        include_deleted=False,
    )
    start = (page - 1) * per_page
    shown = Page(
        rows=items[start : start + per_page], params=params, total=len(items), next_cursor=None
    )
    return list_response(request, shown, CatalogItem)


def _operation(connection: Connection, key: str) -> Operation:
    try:
        return connector_of(connection.kind).operations[key]
    except KeyError:
        raise NotFound(
            f"{key!r} is not an operation of the {connection.kind} connector (see GET /catalog)"
        ) from None


def _audit(session: Any, connection_id: str, key: str, dry_run: bool, status: int | None) -> None:
    record(
        session,
        "connection.operation_run",
        CONNECTION.name,
        connection_id,
        {"operation": [None, key], "dry_run": [None, dry_run], "remote_status": [None, status]},
    )


def _refusal(error: RemoteError) -> Exception:
    """A remote's failure as this API's error: its 4xx stays a 4xx here."""
    if error.kind == "throttled":
        wait = math.ceil(error.retry_after) if error.retry_after is not None else 1
        return RateLimited(error.message, headers={"Retry-After": str(max(1, wait))})
    if error.kind == "failed":
        return BadGateway(error.message)
    if error.kind == "unreachable":
        if error.message.startswith("no answer"):
            return GatewayTimeout(f"The remote did not answer: {error.message}")
        return Unprocessable(f"The remote cannot be called: {error.message}")
    if error.kind == "needs_auth":
        return Conflict(error.message)
    if error.kind == "refused":
        return Unprocessable(f"{error.message} (the connection is now failing)")
    if error.status == 404:
        return NotFound(error.message)
    if error.status == 409:
        return Conflict(error.message)
    return Unprocessable(error.message)


@router.post(
    "/{connection_id}/operations/{operation_key}",
    response_model=DataEnvelope[OperationRunOut],
    summary="Run one operation",
    description="Live, the operation's request goes to the remote now, through the "
    "connection's budget, retries and token refresh, and its output is answered; the "
    "remote's 4xx is answered as a 4xx, its 5xx as 502, no answer as 504. With "
    "`dry_run`, the exact request (method, URL with query, headers with the credential "
    "as `***`, body) is answered and nothing is sent.",
)
async def run_operation(
    request: Request,
    connection_id: ConnectionId,
    operation_key: OperationKey,
    body: OperationRun,
    session: Session,
    principal: CurrentPrincipal,
    key: Secret,
) -> JsonResponse:
    connection = await service.get_connection(session, principal, connection_id)
    operation = _operation(connection, operation_key)
    values = validated_input(operation, body.input)
    target = open_target(connection, key)
    if body.dry_run:
        shown = render(target, operation, build_request(target, operation, values))
        _audit(session, connection.id, operation.key, True, None)
        out = OperationRunOut(
            connection_id=connection.id,
            operation=operation.key,
            dry_run=True,
            request=RenderedRequest(**shown),
        )
        return JsonResponse({"data": out.model_dump(mode="json")})
    if connection.status == DISABLED:
        raise Conflict("The connection is disabled; enable it with PATCH first")
    if connection.status == NEEDS_AUTH or (
        target.auth_type == "oauth2" and not target.credentials.get("access_token")
    ):
        raise Conflict("The connection is not authorized: POST /connections/{id}/authorize")
    # Nothing stays locked while the remote is called (SQLite's write lock included).
    await release(session)
    runtime = runtime_of(request.app.state)
    async with remote_client(runtime.settings, max_connections=2) as client:
        try:
            done = await invoke(runtime, runtime.caller(client), target, operation, values)
        except RemoteError as exc:
            raise _refusal(exc) from None
    _audit(session, connection.id, operation.key, False, done.status)
    out = OperationRunOut(
        connection_id=connection.id,
        operation=operation.key,
        dry_run=False,
        request=SentRequest(
            method=done.method,
            url=done.url,
            status=done.status,
            duration_ms=done.duration_ms,
            attempts=done.attempts,
        ),
        output=done.output,
    )
    return JsonResponse({"data": out.model_dump(mode="json")})
