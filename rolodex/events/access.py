"""Who may see which events: the permission of the resource an event is about.

An event's ``data`` is the resource as the API shows it, so an event is as secret as its
resource. One rule, :func:`rolodex.access.may_read`, says whether a principal may read resources
of a kind by any route; the feed shows only the events of such kinds
(:func:`readable_families`), and a webhook endpoint may subscribe only to event types of
such kinds (:func:`check_subscription`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from rolodex.access import may_read, readable
from rolodex.accounts.principal import READ_SUFFIX, Principal
from rolodex.accounts.service import is_manager
from rolodex.errors import Detail, Forbidden
from rolodex.events.types import FAMILIES, families_of
from rolodex.kinds import ResourceKind
from rolodex.registry import BY_NAME

EVENT_KINDS: Mapping[str, ResourceKind] = MappingProxyType(
    {family: BY_NAME[family] for family in sorted(FAMILIES)}
)
"""The kinds events are about, by an event's ``resource_type``."""


def readable_families(principal: Principal) -> frozenset[str]:
    """The ``resource_type`` of every event ``principal`` may see."""
    return readable(principal, EVENT_KINDS.values())


def _refusal(principal: Principal, kind: ResourceKind) -> str:
    if kind.for_managers and not is_manager(principal):
        return f"{kind.name} events are shown to owners and admins only"
    return f"{kind.name} events need the {kind.scope}{READ_SUFFIX} scope"


def check_subscription(principal: Principal, patterns: Iterable[str]) -> None:
    """Refuse (403) event type patterns that select events ``principal`` may not see,
    with one detail per pattern naming what it lacks."""
    details: list[Detail] = []
    for index, pattern in enumerate(patterns):
        for family in sorted(families_of(pattern)):
            kind = EVENT_KINDS[family]
            if not may_read(principal, kind):
                message = f"{pattern!r} selects {_refusal(principal, kind)}"
                details.append({"field": f"events.{index}", "message": message})
    if details:
        raise Forbidden(
            "This credential may not read every event type the endpoint subscribes to",
            details=details,
        )
