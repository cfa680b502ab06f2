"""Routes of ``/runs``: list, read, retry."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request

from rolodex.config import Settings
from rolodex.http.envelope import DataEnvelope, JsonResponse, ListEnvelope, one
from rolodex.http.pagination import ListParams, kind_params, list_response, paginate_kind
from rolodex.http.pipeline import CurrentPrincipal, Secret, Session, api_router
from rolodex.runs import service
from rolodex.runs.kinds import RUN
from rolodex.runs.schemas import RunOut

router = api_router(RUN.scope, prefix=RUN.path, tags=["Runs"])

RunId = Annotated[str, Path(description="A run id.", json_schema_extra={"pattern": RUN.id_pattern})]
Params = Annotated[ListParams, Depends(kind_params(RUN))]
OwnerId = Annotated[str | None, Query(max_length=40)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("", response_model=ListEnvelope[RunOut], summary="List runs")
async def list_runs(
    request: Request,
    session: Session,
    principal: CurrentPrincipal,
    secret: Secret,
    params: Params,
    kind: Annotated[
        Literal["sync", "flow", "operation"] | None, Query(description="Only this kind.")
    ] = None,
    status: Annotated[
        Literal["queued", "running", "succeeded", "failed", "skipped", "waiting"] | None,
        Query(description="Only this status."),
    ] = None,
    flow_id: Annotated[str | None, Query(max_length=40, description="Only this flow's.")] = None,
    sync_id: Annotated[str | None, Query(max_length=40, description="Only this sync's.")] = None,
    connection_id: Annotated[
        str | None, Query(max_length=40, description="Only those of this connection.")
    ] = None,
    dry_run: Annotated[bool | None, Query(description="Only dry runs, or only live ones.")] = None,
) -> JsonResponse:
    stmt = service.runs_of(
        principal,
        kind=kind,
        status=status,
        owner_id=flow_id or sync_id,
        connection_id=connection_id,
        dry_run=dry_run,
    )
    page = await paginate_kind(session, stmt, RUN, params=params, secret=secret)
    return list_response(request, page, RunOut)


@router.get("/{run_id}", response_model=DataEnvelope[RunOut], summary="Get a run")
async def get_run(run_id: RunId, session: Session, principal: CurrentPrincipal) -> JsonResponse:
    return one(RunOut, await service.get_run(session, principal, run_id))


@router.post(
    "/{run_id}/retry",
    status_code=202,
    response_model=DataEnvelope[RunOut],
    summary="Run a finished run again",
    description="Queues the same work again as a new run (`retry_of` names this one); "
    "`409` for a run still under way or a dry run.",
)
async def retry_run(
    request: Request, run_id: RunId, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    again = await service.retry_run(session, principal, run_id, _settings(request))
    return one(RunOut, again, status_code=202, location=RUN.location(again.id))
