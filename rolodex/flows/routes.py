"""Routes of ``/flows`` (create, list, read, change, delete, runs, test) and
``/flow-templates``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.config import Settings
from rolodex.flows import service
from rolodex.flows.kinds import FLOW
from rolodex.flows.schemas import (
    FlowCreate,
    FlowOut,
    FlowPatch,
    FlowTest,
    FlowTestOut,
    TemplateOut,
)
from rolodex.flows.templates import templates
from rolodex.flows.testing import dry_run
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import ListParams, Page, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition, api_router
from rolodex.runs.kinds import RUN
from rolodex.runs.schemas import RunOut
from rolodex.runs.service import runs_of

router = api_router(FLOW.scope, prefix=FLOW.path, tags=["Flows"])
templates_router = api_router(FLOW.scope, prefix="/flow-templates", tags=["Flows"])

FlowId = Annotated[
    str, Path(description="A flow id.", json_schema_extra={"pattern": FLOW.id_pattern})
]
Params = Annotated[ListParams, Depends(kind_params(FLOW))]
RunParams = Annotated[ListParams, Depends(kind_params(RUN))]
ConnectionParam = Annotated[str | None, Query(max_length=40)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]


@router.get("", response_model=ListEnvelope[FlowOut], summary="List flows")
async def list_flows(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    enabled: Annotated[bool | None, Query(description="Only enabled (or disabled) flows.")] = None,
    event: Annotated[str | None, Query(max_length=100, description="Only this trigger.")] = None,
) -> JsonResponse:
    stmt = service.flows_of(principal, enabled=enabled, event=event)
    page = await paginate_kind(session, stmt, FLOW, params=params, secret=secret)
    return list_response(request, page, FlowOut)


@router.post(
    "",
    status_code=201,
    response_model=DataEnvelope[FlowOut],
    summary="Create a flow",
    description="Checked when saved: `400` with a detail per problem.",
)
async def create_flow(
    body: FlowCreate, session: Session, principal: CurrentPrincipal, settings: Config
) -> JsonResponse:
    flow = await service.create_flow(session, principal, body, settings)
    return one(FlowOut, flow, status_code=201, location=FLOW.location(flow.id))


@router.get("/{flow_id}", response_model=DataEnvelope[FlowOut], summary="Get a flow")
async def get_flow(flow_id: FlowId, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    return one(FlowOut, await service.get_flow(session, principal, flow_id))


@router.patch(
    "/{flow_id}",
    response_model=DataEnvelope[FlowOut],
    summary="Update a flow",
    description="`trigger` and `actions` are replaced whole; a change of the definition "
    'makes a new `version`. `{"enabled": false}` disables it.',
)
async def update_flow(
    flow_id: FlowId,
    body: FlowPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
    settings: Config,
) -> JsonResponse:
    flow = await service.update_flow(
        session, principal, flow_id, body, settings, precondition=precondition
    )
    return one(FlowOut, flow)


@router.delete("/{flow_id}", response_model=DeletedEnvelope, summary="Delete a flow")
async def delete_flow(
    flow_id: FlowId, session: Session, principal: CurrentPrincipal, precondition: WritePrecondition
) -> JsonResponse:
    await service.delete_flow(session, principal, flow_id, precondition=precondition)
    return deleted()


@router.get("/{flow_id}/runs", response_model=ListEnvelope[RunOut], summary="A flow's runs")
async def flow_runs(
    request: Request,
    flow_id: FlowId,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: RunParams,
) -> JsonResponse:
    flow = await service.get_flow(session, principal, flow_id)
    stmt = runs_of(principal, kind="flow", owner_id=flow.id)
    page = await paginate_kind(
        session, stmt, RUN, params=params, secret=secret, collection=f"runs:{flow.id}"
    )
    return list_response(request, page, RunOut)


@router.post(
    "/{flow_id}/test",
    response_model=DataEnvelope[FlowTestOut],
    summary="Dry-run a flow",
    description="What the flow would do with an event (`event_id`, or `event` given "
    "whole): the condition, every mapped field and where it came from, the validation "
    "errors and the exact request of each action — having written nothing anywhere.",
)
async def test_flow(
    flow_id: FlowId, body: FlowTest, session: Session, principal: CurrentPrincipal, key: Secret
) -> JsonResponse:
    shown = await dry_run(session, principal, flow_id, body, key)
    return JsonResponse({"data": FlowTestOut.model_validate(shown).model_dump(mode="json")})


@templates_router.get(
    "",
    response_model=ListEnvelope[TemplateOut],
    summary="Flow templates",
    description="The seed's flows, ready to create: give the connection of each kind "
    "they need (`highlevel`, `moco`, `rolodex`) and post a template's `flow`.",
)
async def flow_templates(
    request: Request,
    principal: CurrentPrincipal,
    highlevel: ConnectionParam = None,
    moco: ConnectionParam = None,
    rolodex: ConnectionParam = None,
) -> JsonResponse:
    service.require_manager(principal)
    found = templates({"highlevel": highlevel, "moco": moco, "rolodex": rolodex})
    params = ListParams(
        page=1,
        per_page=max(len(found), 1),
        sort="key",
        descending=False,
        sort_given=False,
        after=None,
        updated_after=None,
        ids=None,
        include_deleted=False,
    )
    page = Page(rows=found, params=params, total=len(found), next_cursor=None)
    return list_response(request, page, TemplateOut)
