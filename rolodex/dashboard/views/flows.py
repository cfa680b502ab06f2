"""Flows (owners and admins): the list, creating one from a template with the account's
connections, a flow's trigger, condition and mapping (edited as JSON, checked by the
same service as ``PATCH /flows/{id}``), enabling, deleting, and the dry run with the exact
request of each action."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from rolodex.dashboard.forms import build
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.errors import ValidationFailed
from rolodex.flows import service
from rolodex.flows.models import Flow
from rolodex.flows.schemas import FlowCreate, FlowPatch, FlowTest, FlowTestOut
from rolodex.flows.templates import KINDS, TEMPLATES, templates
from rolodex.flows.testing import dry_run
from rolodex.integrations import service as connections
from rolodex.integrations.models import Connection

router = dashboard_router()
FLOWS = f"{PREFIX}/flows"
MAX_JSON = 200_000
"""The longest JSON text a flow form takes (a flow's definition is far smaller)."""


def parse_json(field: str, text: str) -> Any:
    """A form field's JSON, or 400 naming the field."""
    if len(text) > MAX_JSON:
        raise ValidationFailed.field(field, f"is longer than {MAX_JSON} characters")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationFailed.field(field, f"is not JSON: {exc}") from None


def problems_of(exc: ValidationFailed) -> list[str]:
    """A refusal as lines to show: each detail with its field, or the message alone."""
    if not exc.details:
        return [exc.message]
    return [
        f"{d['field']}: {d['message']}" if d.get("field") else d["message"] for d in exc.details
    ]


def shown_json(value: Any) -> str:
    """A value as indented JSON text."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


async def _connections(page: Page) -> dict[str, Connection]:
    """The account's connections by id (every flow's names them)."""
    stmt = connections.connections_of(page.principal).where(Connection.deleted_at.is_(None))
    found = await page.session.scalars(stmt.order_by(Connection.name).limit(500))
    return {c.id: c for c in found}


async def _flows_page(
    page: Page,
    *,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    stmt = service.flows_of(page.principal).where(Flow.deleted_at.is_(None))
    flows = list(await page.session.scalars(stmt.order_by(Flow.created_at.desc()).limit(200)))
    by_id = await _connections(page)
    by_kind = {kind: [c for c in by_id.values() if c.kind == kind] for kind in KINDS}
    return page.render(
        "flows.html",
        status_code=status,
        flows=flows,
        connections=by_id,
        templates=TEMPLATES,
        by_kind=by_kind,
        errors=errors or [],
        values=values or {},
    )


@router.get("/flows")
async def list_flows(page: Ctx) -> Response:
    """The account's flows, and a form to create one from a template."""
    return await _flows_page(page)


@router.post("/flows")
async def create_flow(page: Ctx) -> Response:
    """A flow from a template (``GET /flow-templates`` with the chosen connections, then
    ``POST /flows``'s service); created disabled unless asked, so that it runs only
    once its dry run looks right."""
    service.require_manager(page.principal)
    key = page.form.get("template")
    chosen = {kind: page.form.optional(kind) for kind in KINDS}
    values = {"template": key, "name": page.form.get("name")}
    values.update({kind: given or "" for kind, given in chosen.items()})
    found = next((t for t in templates(chosen) if t["key"] == key), None)
    try:
        if found is None:
            raise ValidationFailed.field("template", "names no template")
        flow = dict(found["flow"])
        flow["name"] = page.form.optional("name") or flow["name"]
        flow["enabled"] = page.form.checked("enabled")
        made = await service.create_flow(
            page.session, page.principal, build(FlowCreate, flow), page.settings
        )
    except ValidationFailed as exc:
        return await _flows_page(page, errors=problems_of(exc), values=values, status=400)
    return see_other(f"{FLOWS}/{made.id}", "Flow created. Try it with a dry run.")


def sample_event(flow: Flow) -> dict[str, Any]:
    """An event to start the dry run form with: the trigger's type and empty data."""
    event = flow.trigger_event
    if event.endswith(".*"):
        event = event[:-1] + "created"
    return {"type": event, "data": {}}


async def _flow_page(
    page: Page,
    flow_id: str,
    *,
    mapping_text: str | None = None,
    mapping_errors: list[str] | None = None,
    event_text: str | None = None,
    test_errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    flow = await service.get_flow(page.session, page.principal, flow_id)
    return page.render(
        "flow.html",
        status_code=status,
        flow=flow,
        connections=await _connections(page),
        mapping_text=mapping_text if mapping_text is not None else shown_json(flow.actions),
        mapping_errors=mapping_errors or [],
        event_text=event_text if event_text is not None else shown_json(sample_event(flow)),
        test_errors=test_errors or [],
        shown_json=shown_json,
    )


@router.get("/flows/{flow_id}")
async def show_flow(page: Ctx, flow_id: str) -> Response:
    """One flow: its trigger, condition and each action's mapping, the mapping editor
    and the dry run form."""
    return await _flow_page(page, flow_id)


@router.post("/flows/{flow_id}/actions")
async def update_actions(page: Ctx, flow_id: str) -> Response:
    """New actions, as JSON (``PATCH /flows/{id}`` with ``actions``): checked as the API
    checks them; refused, the flow's page shows each problem with its field."""
    await service.get_flow(page.session, page.principal, flow_id)
    text = page.form.get("actions")
    try:
        actions = parse_json("actions", text)
        body = build(FlowPatch, {"actions": actions})
        await service.update_flow(page.session, page.principal, flow_id, body, page.settings)
    except ValidationFailed as exc:
        return await _flow_page(
            page, flow_id, mapping_text=text, mapping_errors=problems_of(exc), status=400
        )
    return see_other(f"{FLOWS}/{flow_id}", "Mapping saved.")


@router.post("/flows/{flow_id}/enabled")
async def set_enabled(page: Ctx, flow_id: str) -> Response:
    """Enable or disable the flow (``PATCH /flows/{id}`` with ``enabled``)."""
    enabled = page.form.checked("enabled")
    body = build(FlowPatch, {"enabled": enabled})
    await service.update_flow(page.session, page.principal, flow_id, body, page.settings)
    return see_other(f"{FLOWS}/{flow_id}", "Flow enabled." if enabled else "Flow disabled.")


@router.post("/flows/{flow_id}/delete")
async def delete_flow(page: Ctx, flow_id: str) -> Response:
    """Delete the flow (``DELETE /flows/{id}``): it runs no more."""
    await service.delete_flow(page.session, page.principal, flow_id)
    return see_other(FLOWS, "Flow deleted.")


@router.post("/flows/{flow_id}/test")
async def test_flow(page: Ctx, flow_id: str) -> Response:
    """A dry run on the event given as JSON (``POST /flows/{id}/test``'s service): the
    condition, and per action each field's value and source and the exact request —
    having written nothing anywhere."""
    await service.get_flow(page.session, page.principal, flow_id)
    text = page.form.get("event")
    try:
        event = parse_json("event", text)
        result = await dry_run(
            page.session, page.principal, flow_id, build(FlowTest, {"event": event}), page.key_ring
        )
    except ValidationFailed as exc:
        return await _flow_page(
            page, flow_id, event_text=text, test_errors=problems_of(exc), status=400
        )
    shown = FlowTestOut.model_validate(result).model_dump(mode="json")
    flow = await service.get_flow(page.session, page.principal, flow_id)
    names = await _connections(page)
    return page.render(
        "flow_test.html",
        flow=flow,
        test=shown,
        connections=names,
        event_text=text,
        shown_json=shown_json,
    )
