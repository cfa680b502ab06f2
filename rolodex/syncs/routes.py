"""Routes of ``/syncs`` (create, list, read, change, delete, run, runs) and ``/links``."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from rolodex.config import Settings
from rolodex.http.envelope import (
    DataEnvelope,
    DeletedEnvelope,
    JsonResponse,
    ListEnvelope,
    deleted,
    one,
)
from rolodex.http.pagination import (
    ListParams,
    kind_params,
    list_response,
    paginate_kind,
)
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, WritePrecondition, api_router
from rolodex.runs.kinds import RUN
from rolodex.runs.schemas import RunOut
from rolodex.syncs import service
from rolodex.syncs.kinds import LINK, SYNC
from rolodex.syncs.runs import runs_of
from rolodex.syncs.schemas import (
    LinkOut,
    RunRequest,
    SyncCreate,
    SyncOut,
    SyncPatch,
)

router = api_router(SYNC.scope, prefix=SYNC.path, tags=["Syncs"])
links_router = api_router(LINK.scope, prefix=LINK.path, tags=["Syncs"])

SyncId = Annotated[
    str, Path(description="A sync id.", json_schema_extra={"pattern": SYNC.id_pattern})
]
Params = Annotated[ListParams, Depends(kind_params(SYNC))]
LinkParams = Annotated[ListParams, Depends(kind_params(LINK))]
RunParams = Annotated[ListParams, Depends(kind_params(RUN))]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Config = Annotated[Settings, Depends(_settings)]
IdFilter = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get("", response_model=ListEnvelope[SyncOut], summary="List syncs")
async def list_syncs(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    connection_id: Annotated[
        str | None, Query(min_length=1, max_length=40, description="Only this connection's.")
    ] = None,
    enabled: Annotated[bool | None, Query(description="Only enabled (or disabled) ones.")] = None,
) -> JsonResponse:
    stmt = service.syncs_of(principal, connection_id=connection_id, enabled=enabled)
    page = await paginate_kind(session, stmt, SYNC, params=params, secret=secret)
    return list_response(request, page, SyncOut)


@router.post(
    "",
    status_code=201,
    response_model=DataEnvelope[SyncOut],
    summary="Create a sync",
    description="Keeps one record type the same in Rolodex and at a connection.",
)
async def create_sync(
    body: SyncCreate, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    sync = await service.create_sync(session, principal, body)
    return one(SyncOut, sync, status_code=201, location=SYNC.location(sync.id))


@router.get("/{sync_id}", response_model=DataEnvelope[SyncOut], summary="Get a sync")
async def get_sync(sync_id: SyncId, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    return one(SyncOut, await service.get_sync(session, principal, sync_id))


@router.patch("/{sync_id}", response_model=DataEnvelope[SyncOut], summary="Update a sync")
async def update_sync(
    sync_id: SyncId,
    body: SyncPatch,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    sync = await service.update_sync(session, principal, sync_id, body, precondition=precondition)
    return one(SyncOut, sync)


@router.delete("/{sync_id}", response_model=DeletedEnvelope, summary="Delete a sync")
async def delete_sync(
    sync_id: SyncId,
    session: Session,
    principal: CurrentPrincipal,
    precondition: WritePrecondition,
) -> JsonResponse:
    await service.delete_sync(session, principal, sync_id, precondition=precondition)
    return deleted()


@router.post(
    "/{sync_id}/run",
    status_code=202,
    response_model=DataEnvelope[RunOut],
    summary="Run a sync now",
    description="Queues a run (`full`: every record, not just the changed ones; "
    "`dry_run`: answer what would be written, write nothing) and answers it, queued.",
)
async def run_sync(
    sync_id: SyncId,
    session: Session,
    principal: CurrentPrincipal,
    settings: Config,
    body: RunRequest | None = None,
) -> JsonResponse:
    given = body or RunRequest()
    run = await service.request_run(
        session, principal, sync_id, settings, dry_run=given.dry_run, full=given.full
    )
    return one(RunOut, run, status_code=202)


@router.get("/{sync_id}/runs", response_model=ListEnvelope[RunOut], summary="List a sync's runs")
async def list_runs(
    request: Request,
    sync_id: SyncId,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: RunParams,
) -> JsonResponse:
    sync = await service.get_sync(session, principal, sync_id)
    if not params.sort_given:
        params = replace(params, descending=True)
    page = await paginate_kind(
        session, runs_of(sync), RUN, params=params, secret=secret, collection=f"runs:{sync.id}"
    )
    return list_response(request, page, RunOut)


@links_router.get(
    "",
    response_model=ListEnvelope[LinkOut],
    summary="List links",
    description="Which Rolodex record is which remote record, per connection, with the "
    "hash of what each side last held.",
)
async def list_links(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: LinkParams,
    connection_id: IdFilter = None,
    record_id: IdFilter = None,
    remote_id: IdFilter = None,
    sync_id: IdFilter = None,
) -> JsonResponse:
    stmt = service.links_of(
        principal,
        connection_id=connection_id,
        record_id=record_id,
        remote_id=remote_id,
        sync_id=sync_id,
    )
    page = await paginate_kind(session, stmt, LINK, params=params, secret=secret)
    return list_response(request, page, LinkOut)
