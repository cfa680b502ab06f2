"""The kind of flows, as every surface sees it (see :mod:`rolodex.kinds`): guarded by the
``integrations`` scopes, shown to owners and admins only."""

from __future__ import annotations

from types import MappingProxyType

from rolodex.flows.models import Flow
from rolodex.flows.schemas import FlowOut
from rolodex.kinds import ResourceKind

FLOW = ResourceKind(
    name="flow",
    plural="flows",
    model=Flow,
    out=FlowOut,
    scope_family="integrations",
    managers_only=True,
    event_actions=("run_failed",),
    sorts=MappingProxyType(
        {"created_at": Flow.created_at, "updated_at": Flow.updated_at, "name": Flow.name}
    ),
)
