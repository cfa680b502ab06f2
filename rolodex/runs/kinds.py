"""The kind of runs, as every surface sees it (see :mod:`rolodex.kinds`): guarded by the
``integrations`` scopes and shown to owners and admins only, like connections."""

from __future__ import annotations

from types import MappingProxyType

from rolodex.kinds import ResourceKind
from rolodex.runs.models import Run
from rolodex.runs.schemas import RunOut

RUN = ResourceKind(
    name="run",
    plural="runs",
    model=Run,
    out=RunOut,
    scope_family="integrations",
    managers_only=True,
    sorts=MappingProxyType({"created_at": Run.created_at, "updated_at": Run.updated_at}),
)
