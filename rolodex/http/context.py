"""The request context: what the pipeline knows of a request, handed to what needs it.

The pipeline (:mod:`rolodex.http.pipeline`) builds one :class:`RequestContext` per API
request once it has authenticated it: the unit of work's session, the principal, the
audit context its changes are recorded under, the write's precondition and the headers
every answer to it carries (the rate limit's). Routes receive it through one FastAPI
dependency (``Context`` in :mod:`rolodex.http.pipeline`), or the parts they need
(``Session``, ``CurrentPrincipal``, ``WritePrecondition``, all derived from it), and
pass the parts on to services as plain arguments: a service never looks anything up
from the request.

FastAPI's dependency injection sees only the request, so the pipeline hands the context
over on it, under one key that only :func:`request_context` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolodex.accounts.principal import Principal
from rolodex.audit.capture import AuditContext
from rolodex.preconditions import Precondition

_KEY = "rolodex.context"


@dataclass
class RequestContext:
    """One API request, as the pipeline resolved it."""

    request_id: str | None
    session: AsyncSession
    principal: Principal
    audit: AuditContext
    precondition: Precondition | None
    """The write's ``If-Match`` / ``If-None-Match``; None for reads and without them."""
    response_headers: dict[str, str] = field(default_factory=dict)
    """Headers sent with the request's answer, success or error."""


def attach(request: Request, context: RequestContext) -> None:
    """Make ``context`` the one :func:`request_context` gives this request's route."""
    request.scope[_KEY] = context
    # For the request's log event (rolodex.observability.middleware), which sees the state.
    request.state.account_id = context.principal.account_id


async def request_context(request: Request) -> RequestContext:
    """The context the pipeline built for this request (the dependency of routes)."""
    context: RequestContext = request.scope[_KEY]
    return context
