"""Routes of ``/webhooks``: endpoints, secret rotation, ping, deliveries and replay."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Body, Depends, Path, Query, Request

from rolodex.config import Settings
from rolodex.events.schemas import EventOut
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import (
    CurrentPrincipal,
    Secret,
    Session,
    WritePrecondition,
    api_router,
)
from rolodex.webhooks import service
from rolodex.webhooks.kinds import WEBHOOK_DELIVERY, WEBHOOK_ENDPOINT
from rolodex.webhooks.models import WebhookEndpoint
from rolodex.webhooks.schemas import (
    DeliveryOut,
    ReplayBody,
    ReplayResult,
    RotateBody,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookEndpointWithSecret,
    WebhookEndpointWrite,
)

router = api_router(WEBHOOK_ENDPOINT.scope, prefix=WEBHOOK_ENDPOINT.path, tags=["Webhooks"])

EndpointId = Annotated[
    str,
    Path(
        description="A webhook endpoint id.",
        json_schema_extra={"pattern": WEBHOOK_ENDPOINT.id_pattern},
    ),
]
DeliveryId = Annotated[
    str,
    Path(description="A delivery id.", json_schema_extra={"pattern": WEBHOOK_DELIVERY.id_pattern}),
]
EndpointParams = Annotated[ListParams, Depends(kind_params(WEBHOOK_ENDPOINT))]
DeliveryParams = Annotated[ListParams, Depends(kind_params(WEBHOOK_DELIVERY))]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]


def _location(endpoint: WebhookEndpoint) -> str:
    return WEBHOOK_ENDPOINT.location(endpoint.id)


def _with_secret(endpoint: WebhookEndpoint, secret: str, status_code: int = 200) -> JsonResponse:
    shown = WebhookEndpointWithSecret.model_validate({**service.shown(endpoint), "secret": secret})
    location = _location(endpoint) if status_code == 201 else None
    return one(WebhookEndpointWithSecret, shown, status_code=status_code, location=location)


@router.get("", response_model=ListEnvelope[WebhookEndpointOut], summary="List webhook endpoints")
async def list_endpoints(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: EndpointParams,
) -> JsonResponse:
    service.require_manager(principal)
    page = await paginate_kind(
        session,
        service.endpoints_of(principal),
        WEBHOOK_ENDPOINT,
        params=params,
        secret=secret,
    )
    return list_response(request, page, WebhookEndpointOut)


@router.post(
    "",
    status_code=201,
    response_model=DataEnvelope[WebhookEndpointWithSecret],
    summary="Create a webhook endpoint",
    description="The response holds the endpoint's `secret`; it is never shown again.",
)
async def create_endpoint(
    body: WebhookEndpointCreate,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    key: Secret,
) -> JsonResponse:
    endpoint, secret = await service.create_endpoint(session, principal, body, settings, key)
    return _with_secret(endpoint, secret, status_code=201)


@router.get(
    "/{endpoint_id}", response_model=DataEnvelope[WebhookEndpointOut], summary="Get an endpoint"
)
async def get_endpoint(
    endpoint_id: EndpointId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return one(WebhookEndpointOut, await service.get_endpoint(session, principal, endpoint_id))


@router.put(
    "/{endpoint_id}", response_model=DataEnvelope[WebhookEndpointOut], summary="Replace an endpoint"
)
async def replace_endpoint(
    endpoint_id: EndpointId,
    body: WebhookEndpointWrite,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    settings: Config,
) -> JsonResponse:
    endpoint = await service.update_endpoint(
        session, principal, endpoint_id, body, settings, replace=True, precondition=precondition
    )
    return one(WebhookEndpointOut, endpoint)


@router.patch(
    "/{endpoint_id}",
    response_model=DataEnvelope[WebhookEndpointOut],
    summary="Update an endpoint",
    description="`enabled: true` turns a disabled endpoint back on and clears its failures.",
)
async def update_endpoint(
    endpoint_id: EndpointId,
    body: WebhookEndpointPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    settings: Config,
) -> JsonResponse:
    endpoint = await service.update_endpoint(
        session, principal, endpoint_id, body, settings, replace=False, precondition=precondition
    )
    return one(WebhookEndpointOut, endpoint)


@router.delete("/{endpoint_id}", response_model=DeletedEnvelope, summary="Delete an endpoint")
async def delete_endpoint(
    endpoint_id: EndpointId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    await service.delete_endpoint(session, principal, endpoint_id, precondition=precondition)
    return deleted()


@router.post(
    "/{endpoint_id}/rotate-secret",
    response_model=DataEnvelope[WebhookEndpointWithSecret],
    summary="Rotate an endpoint's secret",
    description="Deliveries are signed with the new and the old secret for the grace period.",
)
async def rotate_secret(
    endpoint_id: EndpointId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    settings: Config,
    key: Secret,
    body: Annotated[RotateBody | None, Body()] = None,
) -> JsonResponse:
    grace = body.grace_seconds if body is not None else None
    endpoint, secret = await service.rotate_secret(
        session, principal, endpoint_id, grace, settings, key, precondition=precondition
    )
    return _with_secret(endpoint, secret)


@router.post(
    "/{endpoint_id}/ping",
    status_code=202,
    response_model=DataEnvelope[EventOut],
    summary="Send a test event to an endpoint",
    description="A `webhook_endpoint.ping` event, delivered to this endpoint only.",
)
async def ping(
    endpoint_id: EndpointId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    event = await service.ping(session, principal, endpoint_id)
    return one(EventOut, event, status_code=202)


@router.get(
    "/{endpoint_id}/deliveries",
    response_model=ListEnvelope[DeliveryOut],
    summary="List an endpoint's deliveries and their attempts",
)
async def list_deliveries(
    request: Request,
    endpoint_id: EndpointId,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: DeliveryParams,
    status: Annotated[
        Literal["pending", "succeeded", "dead"] | None, Query(description="Only this status.")
    ] = None,
) -> JsonResponse:
    endpoint = await service.get_endpoint(session, principal, endpoint_id)
    page = await paginate_kind(
        session,
        service.deliveries_of(endpoint, status),
        WEBHOOK_DELIVERY,
        params=params,
        secret=secret,
        collection=f"{WEBHOOK_DELIVERY.plural}:{endpoint.id}",
    )
    return list_response(request, page, DeliveryOut)


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}",
    response_model=DataEnvelope[DeliveryOut],
    summary="Get a delivery and its attempts",
)
async def get_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    endpoint = await service.get_endpoint(session, principal, endpoint_id)
    return one(DeliveryOut, await service.get_delivery(session, endpoint, delivery_id))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/replay",
    response_model=DataEnvelope[DeliveryOut],
    summary="Send a delivery again",
    description="A delivered or dead delivery is queued again, with the same `webhook-id`.",
)
async def replay_delivery(
    endpoint_id: EndpointId, delivery_id: DeliveryId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    delivery = await service.replay_delivery(session, principal, endpoint_id, delivery_id)
    return one(DeliveryOut, delivery)


@router.post(
    "/{endpoint_id}/replay",
    response_model=DataEnvelope[ReplayResult],
    summary="Send every failed delivery since a time again",
)
async def replay_failures(
    endpoint_id: EndpointId, body: ReplayBody, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    count = await service.replay_failures(session, principal, endpoint_id, body.since)
    return JsonResponse({"data": {"replayed": count}})
