"""The dashboard's request pipeline, the browser's twin of the API's
(:mod:`rolodex.http.pipeline`), inside one unit of work:

find the session (or send the browser to sign in) → the same :class:`Principal` an API
key of the user would give → check the CSRF token of an unsafe method → bind the audit
context (``origin.kind = "dashboard"``) → run the page → write the events of its changes
→ commit. A page that answers with an error status, or raises, changes nothing: the
unit of work rolls back, and the error is drawn as a page that says what to do.

Pages take a :class:`Page` (``Ctx``) and call the same domain services as the API
routes, passing its session and principal.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, RedirectResponse, Response

from rolodex.accounts.principal import Principal
from rolodex.accounts.service import is_manager
from rolodex.audit.capture import AuditContext, bind_audit
from rolodex.config import Settings
from rolodex.dashboard import csrf, forms
from rolodex.dashboard.sessions import COOKIE, SignedIn, find_session
from rolodex.dashboard.templating import render_template
from rolodex.db import unit_of_work
from rolodex.errors import Forbidden
from rolodex.events.outbox import emit_changes
from rolodex.http.errors import Failure, failure_of, request_id_of
from rolodex.keyring import KeyRing

PREFIX = "/dashboard"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
_KEY = "rolodex.dashboard"


@dataclass
class Page:
    """One dashboard request as the pipeline resolved it."""

    request: Request
    session: AsyncSession
    settings: Settings
    key_ring: KeyRing
    form: forms.Form
    query: forms.Form
    signed_in: SignedIn | None = None
    flash: list[str] = field(default_factory=list)

    @property
    def principal(self) -> Principal:
        """Who the page acts as (only on pages behind sign-in)."""
        assert self.signed_in is not None
        return self.signed_in.principal

    @property
    def manager(self) -> bool:
        """Whether the acting user is an owner or admin (shows the admin pages)."""
        return self.signed_in is not None and is_manager(self.signed_in.principal)

    def require_manager(self) -> None:
        """A page for owners and admins only: 403 for anyone else."""
        if not self.manager:
            raise Forbidden("Only owners and admins may open this page")

    @property
    def csrf_token(self) -> str:
        """The token every form of this page carries."""
        if self.signed_in is None:
            return ""
        return csrf.session_token(self.key_ring, self.signed_in.row.token_hash)

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        """A page drawn from ``template`` with the common values (user, token, nav)."""
        signed = self.signed_in
        common = {
            "request": self.request,
            "csrf_token": self.csrf_token,
            "principal": signed.principal if signed else None,
            "manager": self.manager,
            "path": self.request.url.path,
            "query": self.query,
            "flash": self.flash,
        }
        html = render_template(template, {**common, **values})
        return HTMLResponse(html, status_code=status_code, headers=dict(PAGE_HEADERS))


def see_other(path: str, message: str | None = None) -> RedirectResponse:
    """After a change: back to a page (Post/Redirect/Get), with a note to show there."""
    if message:
        path += ("&" if "?" in path else "?") + "done=" + quote(message)
    return RedirectResponse(path, status_code=303)


class _Discard(Exception):
    """A page that answered with an error: roll back and send this answer."""

    def __init__(self, response: Response) -> None:
        self.response = response


def error_page(failure: Failure, request_id: str | None, page: Page | None = None) -> Response:
    """An error drawn as a page: what happened and what to do."""
    values = {
        "status": failure.status,
        "message": failure.message,
        "details": failure.details or [],
        "request_id": request_id,
    }
    if page is not None:
        return page.render("error.html", status_code=failure.status, **values)
    html = render_template(
        "error.html", {"principal": None, "manager": False, "csrf_token": "", **values}
    )
    return HTMLResponse(html, status_code=failure.status, headers=dict(PAGE_HEADERS))


def render_failure(failure: Failure, request_id: str | None) -> Response:
    """The dashboard's error renderer for errors outside its pages (unknown path, wrong
    method)."""
    return error_page(failure, request_id)


class DashboardRoute(APIRoute):
    """A page behind sign-in."""

    public = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        public = self.public

        async def pipeline(request: Request) -> Response:
            try:
                response = await run(request)
            except _Discard as discard:
                response = discard.response
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        async def run(request: Request) -> Response:
            state = request.app.state
            request_id = request_id_of(request)
            page: Page | None = None
            async with unit_of_work(state.sessions) as session:
                try:
                    body = b"" if request.method in SAFE_METHODS else await request.body()
                    page = Page(
                        request=request,
                        session=session,
                        settings=state.settings,
                        key_ring=state.key_ring,
                        form=forms.parse_body(request.headers.get("content-type"), body),
                        query=forms.parse(request.url.query),
                    )
                    done = page.query.get("done")
                    if done:
                        page.flash.append(done[:200])
                    page.signed_in = await find_session(
                        session, request.cookies.get(COOKIE), state.settings
                    )
                    if not public:
                        refused = _refusal(request, page)
                        if refused is not None:
                            raise _Discard(refused)
                        assert page.signed_in is not None
                        audit = AuditContext.acting_as(page.principal, request_id)
                        audit.origin_kind = "dashboard"
                        bind_audit(session, audit)
                    request.scope[_KEY] = page
                    response = await handler(request)
                    if response.status_code >= 400:
                        raise _Discard(response)
                    if not public:
                        await emit_changes(session, state.event_subscribers)
                except _Discard:
                    raise
                except Exception as exc:
                    raise _Discard(
                        error_page(failure_of(exc, request_id), request_id, page)
                    ) from exc
            return response

        return pipeline


class PublicRoute(DashboardRoute):
    """A page shown without sign-in (the sign-in page itself)."""

    public = True


def _refusal(request: Request, page: Page) -> Response | None:
    """Why a page behind sign-in is not shown: no session (to the sign-in page), or an
    unsafe method without this session's CSRF token (403)."""
    if page.signed_in is None:
        if request.method in SAFE_METHODS:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"{PREFIX}/login?next={quote(target)}", status_code=303)
        return error_page(
            Failure(401, "UNAUTHORIZED", "You are signed out; sign in and send the form again."),
            request_id_of(request),
        )
    if request.method not in SAFE_METHODS:
        submitted = page.form.get(csrf.FIELD) or request.headers.get(csrf.HEADER)
        if not csrf.session_token_valid(page.key_ring, page.signed_in.row.token_hash, submitted):
            return error_page(
                Failure(
                    403,
                    "FORBIDDEN",
                    "This form has expired or did not come from this dashboard; "
                    "reload the page and send it again.",
                ),
                request_id_of(request),
                page,
            )
    return None


def _page(request: Request) -> Page:
    found: Page = request.scope[_KEY]
    return found


Ctx = Annotated[Page, Depends(_page)]
"""The page's context, for a dashboard route."""


def dashboard_router() -> APIRouter:
    """A router of pages behind sign-in."""
    return APIRouter(prefix=PREFIX, route_class=DashboardRoute, include_in_schema=False)


def public_router() -> APIRouter:
    """A router of pages shown to anyone (sign-in)."""
    return APIRouter(prefix=PREFIX, route_class=PublicRoute, include_in_schema=False)
