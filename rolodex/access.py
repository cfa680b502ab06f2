"""Who may read what: one rule for every route that shows a resource's data.

A resource's data reaches a client through its own routes, through the event feed and
webhooks (an event's ``data`` is the resource) and through the audit log (an entry's
``changes`` hold its values). Each of those asks :func:`may_read`, so a credential sees a
kind's data by every route or by none.
"""

from __future__ import annotations

from collections.abc import Iterable

from rolodex.accounts.principal import READ_SUFFIX, Principal
from rolodex.accounts.service import is_manager
from rolodex.kinds import ResourceKind


def may_read(principal: Principal, kind: ResourceKind) -> bool:
    """Whether ``principal`` may read resources of ``kind``: its credential grants
    ``<scope>.readonly``, and, for a kind only owners and admins see (webhook endpoints,
    the audit log), it acts as one of them."""
    if kind.for_managers and not is_manager(principal):
        return False
    return principal.allows(kind.scope + READ_SUFFIX)


def readable(principal: Principal, kinds: Iterable[ResourceKind]) -> frozenset[str]:
    """The names of those of ``kinds`` that ``principal`` may read."""
    return frozenset(kind.name for kind in kinds if may_read(principal, kind))
