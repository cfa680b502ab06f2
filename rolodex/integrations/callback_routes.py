"""``GET /integrations/oauth/callback``: where a remote sends the user back after they
authorized a connection. A browser comes here, not an API client: it carries no API key
(the state it brings back is what identifies the flow), and it is answered with a small
HTML page, never cached."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse

from rolodex.http.errors import request_id_of
from rolodex.integrations.authorize import CALLBACK_PATH, Completed, complete_authorization

router = APIRouter(include_in_schema=False)
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


def page(result: Completed) -> HTMLResponse:
    """The page the user sees once the flow is over."""
    title = "Connected" if result.ok else "Not connected"
    name = f" {escape(result.connection_name)}" if result.connection_name else ""
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}{name}</h1><p>{escape(result.message)}</p>"
        "<p>You may close this window.</p></body></html>"
    )
    return HTMLResponse(body, status_code=200 if result.ok else 400, headers=HEADERS)


@router.get(CALLBACK_PATH)
async def oauth_callback(request: Request) -> HTMLResponse:
    """Finish the authorization the ``state`` names."""
    query = request.query_params
    state = query.get("state")
    if not state or len(state) > 200:
        return page(Completed(False, "The remote sent no valid state back."))
    state_app = request.app.state
    result = await complete_authorization(
        state_app.sessions,
        state_app.settings,
        state_app.key_ring,
        state=state,
        code=query.get("code"),
        error=query.get("error"),
        request_id=request_id_of(request),
    )
    return page(result)
