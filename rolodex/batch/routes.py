"""``POST /contacts/batch`` and ``POST /companies/batch``."""

from __future__ import annotations

from typing import Any

from rolodex.batch.schemas import BatchRequest, BatchResponse
from rolodex.batch.service import BatchWriter, run_batch
from rolodex.companies import service as companies
from rolodex.contacts import service as contacts
from rolodex.http.envelope import JsonResponse
from rolodex.http.errors import item_error
from rolodex.http.pipeline import CurrentPrincipal, Session, api_router
from rolodex.kinds import COMPANY, CONTACT

DESCRIPTION = """\
Up to 250 items in one request, counted once against the rate limit. Each item is checked
and written as the single-item route writes it (validation, references, tags, audit log):
valid items land even when others fail. The answer is `200` with one result
per item, in order: `created`, `updated`, `unchanged` or `error` (with the code, message
and details the single-item route would give). An `Idempotency-Key` covers the whole
batch. `If-Match` does not apply to a batch and is ignored.
"""


async def _patch_contact(session: Any, principal: Any, record_id: str, body: Any) -> Any:
    # A batch has no precondition: If-Match is ignored (see DESCRIPTION).
    return await contacts.update_contact(
        session, principal, record_id, body, replace=False, precondition=None
    )


async def _patch_company(session: Any, principal: Any, record_id: str, body: Any) -> Any:
    return await companies.update_company(
        session, principal, record_id, body, replace=False, precondition=None
    )


CONTACTS = BatchWriter(
    kind=CONTACT,
    rules=contacts.RULES,
    create=contacts.create_contact,
    update=_patch_contact,
)
COMPANIES = BatchWriter(
    kind=COMPANY,
    rules=companies.RULES,
    create=companies.create_company,
    update=_patch_company,
)

contacts_router = api_router(CONTACT.scope, prefix=CONTACT.path, tags=["Contacts"])
companies_router = api_router(COMPANY.scope, prefix=COMPANY.path, tags=["Companies"])


@contacts_router.post(
    "/batch",
    response_model=BatchResponse,
    summary="Create or upsert up to 250 contacts",
    description=DESCRIPTION,
)
async def batch_contacts(
    body: BatchRequest, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return JsonResponse(
        await run_batch(session, CONTACTS, principal, body, describe_error=item_error)
    )


@companies_router.post(
    "/batch",
    response_model=BatchResponse,
    summary="Create or upsert up to 250 companies",
    description=DESCRIPTION,
)
async def batch_companies(
    body: BatchRequest, session: Session, principal: CurrentPrincipal
) -> JsonResponse:
    return JsonResponse(
        await run_batch(session, COMPANIES, principal, body, describe_error=item_error)
    )
