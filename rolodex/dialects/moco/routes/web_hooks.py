"""``/account/web_hooks``: MOCO's web hooks, as webhook endpoints of format ``moco``,
through the native webhook service (owners and admins only, as every webhook).

A new hook gets a key of 32 hexadecimal characters, MOCO's kind, shown once in the
creation's answer (``signature_key``) and kept encrypted like every webhook secret. An
``Idempotency-Key`` is refused on that request (422): its stored answer would keep the
key. Deliveries are the native jobs, rendered by :mod:`rolodex.dialects.moco.delivery`.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from rolodex.accounts.principal import Principal
from rolodex.config import Settings
from rolodex.dialects.moco.fields import moco_fields, native_body, renamed
from rolodex.dialects.moco.listing import (
    LIST_HEADERS,
    ListQuery,
    list_query,
    list_response,
    moco_page,
)
from rolodex.dialects.moco.refs import refs_for
from rolodex.dialects.moco.routes.common import entity, found, missing_as, moco_router, no_content
from rolodex.dialects.moco.shapes import web_hooks as shapes
from rolodex.dialects.moco.shapes.web_hooks import (
    WebHookCreate,
    WebHookCreated,
    WebHookOut,
    WebHookUpdate,
)
from rolodex.dialects.moco.surface import MocoJson
from rolodex.errors import NotFound, ValidationFailed, invalid
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition
from rolodex.idempotency.service import HEADER as IDEMPOTENCY_HEADER
from rolodex.preconditions import Precondition
from rolodex.schemas import dump
from rolodex.webhooks import service as webhooks
from rolodex.webhooks.kinds import WEBHOOK_ENDPOINT
from rolodex.webhooks.models import WebhookEndpoint
from rolodex.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointOut, WebhookEndpointPatch

router = moco_router(WEBHOOK_ENDPOINT.scope, "/account/web_hooks", "Web hooks")

FORMAT = "moco"
LABEL = "web hook"
KEY_BYTES = 16
"""MOCO's signing keys are 32 hexadecimal characters."""
SORTABLE = {moco: WEBHOOK_ENDPOINT.sorts[native] for moco, native in shapes.SORTS.items()}
WebHookId = Annotated[int, Path(description="A web hook's id.")]
Listing = Annotated[ListQuery, Depends(list_query(list(SORTABLE)))]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]


async def shown(
    session: AsyncSession, principal: Principal, rows: list[WebhookEndpoint]
) -> list[dict[str, Any]]:
    """Endpoints as MOCO web hooks."""
    dumped = [dump(WebhookEndpointOut, row) for row in rows]
    refs = await refs_for(session, principal.account_id, ids=[e["id"] for e in dumped])
    return [shapes.web_hook_of(e, refs) for e in dumped]


async def _hook(session: AsyncSession, principal: Principal, number: int) -> str:
    """The native id of the MOCO web hook with this number, or 404 (a native endpoint's
    number finds nothing here)."""
    endpoint_id = await found(session, principal, WEBHOOK_ENDPOINT.prefix, number, LABEL)
    with missing_as(LABEL, number):
        endpoint = await webhooks.get_endpoint(session, principal, endpoint_id)
    if not shapes.is_moco_hook(dump(WebhookEndpointOut, endpoint)):
        raise NotFound(f"No {LABEL} with id {number}")
    return endpoint_id


async def _changed(
    session: AsyncSession,
    principal: Principal,
    number: int,
    values: dict[str, Any],
    settings: Settings,
    precondition: Precondition | None,
) -> MocoJson:
    endpoint_id = await _hook(session, principal, number)
    patch = native_body(WebhookEndpointPatch, values, shapes.NAMES)
    with missing_as(LABEL, number), moco_fields(shapes.NAMES):
        endpoint = await webhooks.update_endpoint(
            session,
            principal,
            endpoint_id,
            patch,
            settings,
            replace=False,
            precondition=precondition,
        )
    [hook] = await shown(session, principal, [endpoint])
    return entity(hook)


@router.get(
    "",
    response_model=list[WebHookOut],
    summary="List web hooks",
    responses={200: {"headers": LIST_HEADERS}},
)
async def list_web_hooks(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    listing: Listing,
    secret: Secret,
) -> MocoJson:
    webhooks.require_manager(principal)
    stmt = webhooks.endpoints_of(principal).where(WebhookEndpoint.format == FORMAT)
    page = await moco_page(
        session,
        principal.account_id,
        stmt,
        listing,
        model=WebhookEndpoint,
        prefix=WEBHOOK_ENDPOINT.prefix,
        sortable=SORTABLE,
        secret=secret,
    )
    return list_response(request, page, await shown(session, principal, page.rows))


@router.get("/{web_hook_id}", response_model=WebHookOut, summary="Get a web hook")
async def get_web_hook(
    web_hook_id: WebHookId, session: Session, principal: CurrentPrincipal
) -> MocoJson:
    endpoint_id = await _hook(session, principal, web_hook_id)
    endpoint = await webhooks.get_endpoint(session, principal, endpoint_id)
    [hook] = await shown(session, principal, [endpoint])
    return entity(hook)


@router.post(
    "",
    response_model=WebHookCreated,
    summary="Create a web hook",
    description="The answer holds the hook's `signature_key`; it is never shown again.",
)
async def create_web_hook(
    request: Request,
    body: WebHookCreate,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    deployment_key: Secret,
) -> MocoJson:
    if request.headers.get(IDEMPOTENCY_HEADER) is not None:
        raise ValidationFailed.field(
            IDEMPOTENCY_HEADER, "is not accepted here: its stored answer would keep the key"
        )
    values = {
        "url": body.hook,
        "events": list(shapes.SUBSCRIPTIONS[(body.target, body.event)]),
        "description": f"MOCO web hook: {body.target} {body.event}",
        "format": FORMAT,
    }
    try:
        create = WebhookEndpointCreate.model_validate(values, context={"surface": FORMAT})
    except ValidationError as exc:
        raise renamed(invalid(exc.errors()), shapes.NAMES) from None
    key = secrets.token_hex(KEY_BYTES)
    with moco_fields(shapes.NAMES):
        endpoint, _ = await webhooks.create_endpoint(
            session, principal, create, settings, deployment_key, secret=key
        )
    [hook] = await shown(session, principal, [endpoint])
    return entity({**hook, "signature_key": key})


@router.put(
    "/{web_hook_id}",
    response_model=WebHookOut,
    summary="Update a web hook",
    description="Only `hook` can change.",
)
async def update_web_hook(
    web_hook_id: WebHookId,
    body: WebHookUpdate,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    precondition: WritePrecondition,
) -> MocoJson:
    return await _changed(
        session, principal, web_hook_id, {"url": body.hook}, settings, precondition
    )


@router.put("/{web_hook_id}/disable", response_model=WebHookOut, summary="Disable a web hook")
async def disable_web_hook(
    web_hook_id: WebHookId,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    precondition: WritePrecondition,
) -> MocoJson:
    return await _changed(
        session, principal, web_hook_id, {"enabled": False}, settings, precondition
    )


@router.put("/{web_hook_id}/enable", response_model=WebHookOut, summary="Enable a web hook")
async def enable_web_hook(
    web_hook_id: WebHookId,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    precondition: WritePrecondition,
) -> MocoJson:
    return await _changed(
        session, principal, web_hook_id, {"enabled": True}, settings, precondition
    )


@router.delete("/{web_hook_id}", status_code=204, summary="Delete a web hook")
async def delete_web_hook(
    web_hook_id: WebHookId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> Response:
    endpoint_id = await _hook(session, principal, web_hook_id)
    with missing_as(LABEL, web_hook_id):
        await webhooks.delete_endpoint(session, principal, endpoint_id, precondition=precondition)
    return no_content()
