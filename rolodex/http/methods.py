"""Which methods a path has: one table of the application's path templates, read before
routing.

The router alone takes the first route that matches a request's path *and* method, so a
method a literal path lacks falls through to a parameter path that has it
(``PATCH /users/me`` reached ``PATCH /users/{user_id}`` with the id ``"me"``), and a 405
lists the methods of one route only. Here a path belongs to the first template that
matches it, in the routes' order (a literal segment is declared before the parameter it
would shadow), and:

- a method that template has goes on to the router;
- ``HEAD`` on a template with ``GET`` is answered as that ``GET``, without the body (the
  OpenAPI document keeps listing ``GET`` only);
- any other method is ``405 METHOD_NOT_ALLOWED`` whose ``Allow`` lists every method of the
  template, drawn by the surface the path belongs to.

An unknown path goes on to the router too, which answers 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolodex.http.errors import MethodNotAllowed, error_response, renderer_for

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """One path template and every method its routes answer."""

    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str]

    @property
    def allow(self) -> str:
        """The ``Allow`` header: the methods in a stable order."""
        known = [m for m in METHOD_ORDER if m in self.methods]
        return ", ".join(known + sorted(self.methods - set(METHOD_ORDER)))


def path_templates(routes: Iterable[BaseRoute]) -> list[PathTemplate]:
    """The templates of ``routes`` (included routers walked), in routing order, each with
    the union of its routes' methods; ``HEAD`` wherever there is ``GET``."""
    methods: dict[str, set[str]] = {}
    for route in iter_route_contexts(list(routes)):
        path, route_methods = route.path, route.methods
        if path is None or not route_methods:
            continue
        methods.setdefault(path, set()).update(m.upper() for m in route_methods)
    table = []
    for template, names in methods.items():
        if "GET" in names:
            names.add("HEAD")
        table.append(PathTemplate(template, compile_path(template)[0], frozenset(names)))
    return table


class MethodMiddleware:
    """Answer a path's wrong method with a full 405, and HEAD as GET (see the module)."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.templates = path_templates(routes)
        self._by_prefix = _by_literal_prefix(self.templates)

    def owner(self, path: str) -> PathTemplate | None:
        """The template a path belongs to: the first that matches it.

        Only the templates whose literal leading segments the path starts with are tried
        (a few, not every route of the application), in the routes' order."""
        segments = path.split("/", PREFIX_SEGMENTS + 1)[1 : PREFIX_SEGMENTS + 1]
        candidates: list[tuple[int, PathTemplate]] = []
        for depth in range(len(segments) + 1):
            candidates += self._by_prefix.get(tuple(segments[:depth]), ())
        candidates.sort(key=lambda pair: pair[0])
        return next((t for _, t in candidates if t.pattern.match(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        template = self.owner(_route_path(scope))
        method = scope["method"]
        if template is None or method in template.methods - {"HEAD"}:
            await self.app(scope, receive, send)
        elif method == "HEAD" and "HEAD" in template.methods:
            await self.app(dict(scope, method="GET"), receive, _without_body(send))
        else:
            request = Request(scope)
            error = MethodNotAllowed(
                f"{method} is not allowed on this path; it allows {template.allow}",
                headers={"Allow": template.allow},
            )
            await error_response(request, error, renderer_for(request))(scope, receive, send)


PREFIX_SEGMENTS = 3
"""How many leading path segments index the templates (``api``, ``v1``, ``contacts``)."""


def _by_literal_prefix(
    templates: list[PathTemplate],
) -> dict[tuple[str, ...], list[tuple[int, PathTemplate]]]:
    """Templates (with their routing position) by their literal leading segments, at most
    :data:`PREFIX_SEGMENTS` of them: a path can match only those whose key it starts with."""
    table: dict[tuple[str, ...], list[tuple[int, PathTemplate]]] = {}
    for position, template in enumerate(templates):
        literal = []
        for segment in template.template.split("/")[1 : PREFIX_SEGMENTS + 1]:
            if "{" in segment:
                break
            literal.append(segment)
        table.setdefault(tuple(literal), []).append((position, template))
    return table


def _route_path(scope: Scope) -> str:
    """The path as routes see it: below the application's ``root_path``, if it has one."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path


def _without_body(send: Send) -> Send:
    """``send`` for a HEAD: the GET's status and headers (``Content-Length`` included),
    no body."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_head
