"""Every event type Rolodex emits: those of the kinds whose changes become events (see
:data:`rolodex.kinds.EVENT_SOURCES`), the webhook endpoints' own and the connections'
(:data:`rolodex.integrations.kinds.CONNECTION`, which are written by its service)."""

from __future__ import annotations

from rolodex.kinds import EVENT_SOURCES

# Every event type Rolodex emits, for documentation and for validating filters.
EVENT_TYPES: tuple[str, ...] = (
    *(name for kind in EVENT_SOURCES.values() for name in kind.event_types),
    "webhook_endpoint.disabled",
    "webhook_endpoint.ping",
    "connection.created",
    "connection.updated",
    "connection.deleted",
    "connection.needs_auth",
    "connection.failing",
    "sync.run_failed",
    "flow.run_failed",
)
