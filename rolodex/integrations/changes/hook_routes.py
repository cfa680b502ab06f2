"""``POST /integrations/hooks/{connection_id}``: where a connection's remote sends its
webhooks. No API key: the remote's signature is what authenticates it
(:mod:`.hooks`). Answers in the native shape: ``200 {"data": {"object":
"webhook_receipt", "received", "stored"}}``; ``404`` for no such connection, ``401`` when
the signature does not verify, ``413`` past :data:`~.hooks.MAX_HOOK_BYTES`, ``400`` for
a verified body that is not the remote's webhook."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rolodex.http.errors import PayloadTooLarge, Unauthorized, error_response, request_id_of
from rolodex.integrations.changes.hooks import (
    MAX_HOOK_BYTES,
    HookRefused,
    find_connection,
    receive,
)

HOOKS_PATH = "/integrations/hooks/{connection_id}"
router = APIRouter(include_in_schema=False)
TOO_LARGE = f"The webhook body is larger than {MAX_HOOK_BYTES} bytes"


async def bounded_body(request: Request, limit: int = MAX_HOOK_BYTES) -> bytes:
    """The raw body, refused (413) as soon as it grows past ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(HOOKS_PATH)
async def receive_hook(request: Request, connection_id: str) -> Response:
    """Verify and store one webhook of the connection."""
    state = request.app.state
    try:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_HOOK_BYTES:
            raise PayloadTooLarge(TOO_LARGE)
        await find_connection(state.sessions, connection_id)
        body = await bounded_body(request)
        receipt = await receive(
            state.sessions, state.key_ring, connection_id, dict(request.headers), body
        )
    except HookRefused as exc:
        return error_response(request, Unauthorized(str(exc)))
    except Exception as exc:
        return error_response(request, exc)
    data = {"object": "webhook_receipt", "received": receipt.received, "stored": receipt.stored}
    response = JSONResponse({"data": data})
    request_id = request_id_of(request)
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response
