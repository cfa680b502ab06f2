"""The kinds of syncs and links, as every surface sees them (see :mod:`rolodex.kinds`).

Both are guarded by the ``integrations`` scopes and shown to owners and admins only, as
connections are. Links are read-only: the engine makes them.
"""

from __future__ import annotations

from types import MappingProxyType

from rolodex.kinds import ResourceKind
from rolodex.syncs.models import Link, Sync
from rolodex.syncs.schemas import LinkOut, SyncOut

SYNC = ResourceKind(
    name="sync",
    plural="syncs",
    model=Sync,
    out=SyncOut,
    scope_family="integrations",
    managers_only=True,
    sorts=MappingProxyType({"created_at": Sync.created_at, "updated_at": Sync.updated_at}),
)
LINK = ResourceKind(
    name="link",
    plural="links",
    model=Link,
    out=LinkOut,
    scope_family="integrations",
    managers_only=True,
    sorts=MappingProxyType(
        {"created_at": Link.created_at, "updated_at": Link.updated_at, "synced_at": Link.synced_at}
    ),
)

SYNC_KINDS: tuple[ResourceKind, ...] = (SYNC, LINK)
