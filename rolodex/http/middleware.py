"""Pure ASGI middleware: the request id, the body size limit and path normalisation."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rolodex.http.errors import PayloadTooLarge, error_response, renderer_for
from rolodex.ids import PREFIXES, new_id

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Give every request an id (the client's, when valid) and echo it as ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = Request(scope).headers.get("x-request-id", "")
        request_id = sent if _CLIENT_REQUEST_ID.match(sent) else new_id(PREFIXES["request"])
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class _BodyTooLarge(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            status_code=413, detail=f"The request body is larger than {max_bytes} bytes"
        )


class BodyLimitMiddleware:
    """Refuse bodies above the limit: at once from ``Content-Length``, else while reading.

    The streaming case raises an ``HTTPException`` from ``receive`` so that the
    framework lets it through to the error handlers as a 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Request(scope).headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            message = f"The request body is larger than {self.max_bytes} bytes"
            request = Request(scope)
            # Drawn by the surface the path belongs to (a dialect's body under its prefix).
            response = error_response(request, PayloadTooLarge(message), renderer_for(request))
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


class TrailingSlashMiddleware:
    """Serve ``/api/v1/contacts/`` as ``/api/v1/contacts`` instead of redirecting.

    A redirect would make clients resend a POST body, and many do not.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope, path=path.rstrip("/") or "/")
                raw = scope.get("raw_path")
                if raw:
                    scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
