"""Every kind of resource the API serves, in one place (see :mod:`rolodex.kinds`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rolodex.flows.kinds import FLOW
from rolodex.integrations.kinds import INTEGRATION_KINDS
from rolodex.kinds import DOMAIN_KINDS, ResourceKind
from rolodex.runs.kinds import RUN
from rolodex.syncs.kinds import SYNC_KINDS
from rolodex.webhooks.kinds import WEBHOOK_KINDS

KINDS: tuple[ResourceKind, ...] = (
    *DOMAIN_KINDS,
    *WEBHOOK_KINDS,
    *INTEGRATION_KINDS,
    RUN,
    *SYNC_KINDS,
    FLOW,
)
BY_NAME: Mapping[str, ResourceKind] = MappingProxyType({kind.name: kind for kind in KINDS})
BY_PREFIX: Mapping[str, ResourceKind] = MappingProxyType({kind.prefix: kind for kind in KINDS})
