"""The kind of connections, as every surface sees it (see :mod:`rolodex.kinds`).

Connections are guarded by the ``integrations`` scopes and shown to owners and admins
only: a connection acts on another system for the whole account.
"""

from __future__ import annotations

from types import MappingProxyType

from rolodex.integrations.models import Connection
from rolodex.integrations.schemas import ConnectionOut
from rolodex.kinds import ResourceKind

CONNECTION_EVENTS = ("created", "updated", "deleted", "needs_auth", "failing")

CONNECTION = ResourceKind(
    name="connection",
    plural="connections",
    model=Connection,
    out=ConnectionOut,
    scope_family="integrations",
    managers_only=True,
    event_actions=CONNECTION_EVENTS,
    sorts=MappingProxyType(
        {
            "created_at": Connection.created_at,
            "updated_at": Connection.updated_at,
            "name": Connection.name,
        }
    ),
)

INTEGRATION_KINDS: tuple[ResourceKind, ...] = (CONNECTION,)
