"""The scopes an OAuth client may ask for: those the API's routes require.

Every route declares its scope once (``api_router("contacts")`` → ``contacts.readonly``
for reads, ``contacts.write`` for changes), so the scopes are collected from the routes
themselves and a new resource is covered without a list to keep. Managing credentials
(``api_keys``, ``oauth_clients``) is left to API keys: a token that could mint a key
would escape its own scopes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.routing import iter_route_contexts

NOT_GRANTABLE = frozenset({"api_keys", "oauth_clients"})


def flat_routes(routes: Iterable[Any]) -> Iterator[tuple[str, Any]]:
    """Every route under ``routes``, included routers walked, with its full path."""
    for context in iter_route_contexts(list(routes)):
        yield context.path or "", getattr(context, "original_route", context)


def scopes_of(routes: Iterable[Any]) -> frozenset[str]:
    """The scopes required by ``routes`` that an OAuth token may carry."""
    found = set()
    for _, route in flat_routes(routes):
        scope = getattr(route, "required_scope", None)
        if isinstance(scope, str) and scope.split(".", 1)[0] not in NOT_GRANTABLE:
            found.add(scope)
    return frozenset(found)
