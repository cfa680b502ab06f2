"""One pure ASGI middleware that observes every HTTP request: counted and timed by route
template and status (:mod:`rolodex.observability.metrics`) and logged as one event on
the ``rolodex.access`` logger.

It is the outermost middleware, so it sees every answer — a 413 of the body limit or a
405 of the method table too — and the request id that the request-id middleware inside
it chose (read back from the request's shared ``state``, as is the account the pipeline
authenticated). The route label is the path template the request belongs to (the first
one matching, as the method table finds it), or ``unmatched``: raw paths would make a
series per record id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolodex.http.methods import PathTemplate, path_templates
from rolodex.observability.metrics import observe_request

log = logging.getLogger("rolodex.access")

UNMATCHED = "unmatched"
"""The route label of a path no route template matches (a 404 of an unknown path)."""


class ObservabilityMiddleware:
    """Count, time and log each HTTP request (see the module)."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        self._templates: list[PathTemplate] | None = None

    def route_of(self, path: str) -> str:
        """The template ``path`` belongs to, or :data:`UNMATCHED`."""
        if self._templates is None:  # routes are complete once the app serves
            self._templates = path_templates(self.routes)
        normal = path.rstrip("/") or "/"
        found = next((t for t in self._templates if t.pattern.match(normal)), None)
        return found.template if found is not None else UNMATCHED

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # The state is shared by every copy of the scope further in: what the request-id
        # middleware and the pipeline put there is read back below.
        state = scope.setdefault("state", {})
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            seconds = time.perf_counter() - started
            route = self.route_of(_route_path(scope))
            method = scope["method"]
            observe_request(method, route, status, seconds)
            if log.isEnabledFor(logging.INFO):
                query = scope.get("query_string", b"").decode("latin-1")
                target = scope["path"] + (f"?{query}" if query else "")
                duration_ms = round(seconds * 1000, 1)
                client = scope.get("client")
                log.info(
                    "%s %s → %d in %.1f ms",
                    method,
                    target,
                    status,
                    duration_ms,
                    extra={
                        "event": "request",
                        "request_id": state.get("request_id"),
                        "account_id": state.get("account_id"),
                        "method": method,
                        "target": target,
                        "route": route,
                        "status": status,
                        "duration_ms": duration_ms,
                        "client": client[0] if client else None,
                    },
                )


def _route_path(scope: Scope) -> str:
    """The path as routes see it: below the application's ``root_path``, if it has one."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path
