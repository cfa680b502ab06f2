"""Webhooks (owners and admins): endpoints, their deliveries with each attempt, and
replaying a finished delivery."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from rolodex.dashboard.forms import build
from rolodex.dashboard.listing import list_page
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.errors import DomainError
from rolodex.events.catalog import EVENT_TYPES
from rolodex.webhooks import service
from rolodex.webhooks.kinds import WEBHOOK_DELIVERY
from rolodex.webhooks.models import WebhookEndpoint
from rolodex.webhooks.schemas import WebhookEndpointCreate

router = dashboard_router()
WEBHOOKS = f"{PREFIX}/webhooks"
FAMILIES = sorted({name.split(".")[0] + ".*" for name in EVENT_TYPES})


async def _endpoints_page(
    page: Page,
    *,
    created: tuple[WebhookEndpoint, str] | None = None,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    service.require_manager(page.principal)
    endpoints = await page.session.scalars(
        service.endpoints_of(page.principal)
        .where(WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at.desc())
        .limit(200)
    )
    return page.render(
        "webhooks.html",
        status_code=status,
        endpoints=list(endpoints),
        created=created,
        errors=errors or [],
        values=values or {},
        families=FAMILIES,
    )


@router.get("/webhooks")
async def list_endpoints(page: Ctx) -> Response:
    """The account's webhook endpoints and a form for a new one."""
    return await _endpoints_page(page)


@router.post("/webhooks")
async def create_endpoint(page: Ctx) -> Response:
    """A new endpoint; its signing secret is shown on this answer only."""
    events = page.form.all("events") + [
        e.strip() for e in page.form.get("more_events").split(",") if e.strip()
    ]
    values: dict[str, Any] = {
        "url": page.form.get("url"),
        "events": events,
        "description": page.form.optional("description"),
    }
    try:
        created = await service.create_endpoint(
            page.session,
            page.principal,
            build(WebhookEndpointCreate, values),
            page.settings,
            page.key_ring,
        )
    except DomainError as exc:
        errors = [exc.message, *(f"{d['field']}: {d['message']}" for d in exc.details or [])]
        return await _endpoints_page(page, errors=errors, values=values, status=400)
    return await _endpoints_page(page, created=created)


@router.get("/webhooks/{endpoint_id}")
async def show_endpoint(page: Ctx, endpoint_id: str) -> Response:
    """One endpoint and its deliveries, newest first (``status`` filters them)."""
    endpoint = await service.get_endpoint(page.session, page.principal, endpoint_id)
    asked = page.query.get("status")
    status = asked if asked in ("pending", "succeeded", "dead") else None
    listing = await list_page(page, service.deliveries_of(endpoint, status), WEBHOOK_DELIVERY)
    return page.render("webhook.html", endpoint=endpoint, listing=listing, status=status)


@router.post("/webhooks/{endpoint_id}/delete")
async def delete_endpoint(page: Ctx, endpoint_id: str) -> Response:
    """Delete an endpoint; its pending deliveries are no longer sent."""
    await service.delete_endpoint(page.session, page.principal, endpoint_id, precondition=None)
    return see_other(WEBHOOKS, "Endpoint deleted.")


@router.get("/webhooks/{endpoint_id}/deliveries/{delivery_id}")
async def show_delivery(page: Ctx, endpoint_id: str, delivery_id: str) -> Response:
    """One delivery and every attempt at it."""
    endpoint = await service.get_endpoint(page.session, page.principal, endpoint_id)
    delivery = await service.get_delivery(page.session, endpoint, delivery_id)
    return page.render("delivery.html", endpoint=endpoint, delivery=delivery)


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")
async def replay_delivery(page: Ctx, endpoint_id: str, delivery_id: str) -> Response:
    """Send a finished delivery again, with the same ``webhook-id``."""
    await service.replay_delivery(page.session, page.principal, endpoint_id, delivery_id)
    return see_other(f"{WEBHOOKS}/{endpoint_id}/deliveries/{delivery_id}", "Delivery queued again.")
