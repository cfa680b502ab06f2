"""Companies: search, sort and page; create, edit, delete, restore; a company with its
contacts."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from rolodex.companies import service
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyPatch, CompanyWrite
from rolodex.contacts import service as contacts
from rolodex.contacts.models import Contact
from rolodex.dashboard.forms import Form, build, tag_names
from rolodex.dashboard.listing import list_page
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.errors import ValidationFailed
from rolodex.kinds import COMPANY

router = dashboard_router()
FIELDS = ("name", "email", "phone", "website", "description")


def company_values(form: Form) -> dict[str, Any]:
    """A company form's fields as the write schema takes them (blank → null)."""
    values: dict[str, Any] = {name: form.optional(name) for name in FIELDS}
    values["tags"] = tag_names(form.get("tags"))
    return values


@router.get("/companies")
async def list_companies(page: Ctx) -> Response:
    """The account's companies: search by name, sort, pages; deleted ones with
    ``deleted=1``."""
    stmt = service.search(page.principal, q=page.query.optional("q"))
    deleted = page.query.checked("deleted")
    if deleted:
        stmt = stmt.where(Company.deleted_at.is_not(None))
    listing = await list_page(page, stmt, COMPANY, default_sort="name", include_deleted=deleted)
    return page.render("companies.html", listing=listing, deleted=deleted)


@router.get("/companies/new")
async def new_company(page: Ctx) -> Response:
    """The form of a new company."""
    return page.render("company_form.html", company=None, values={}, errors=[])


def _invalid(
    page: Page, company: Company | None, values: dict[str, Any], exc: Exception
) -> Response:
    assert isinstance(exc, ValidationFailed)
    shown = {**values, "tags": ", ".join(values.get("tags") or [])}
    errors = [exc.message, *(f"{d['field']}: {d['message']}" for d in exc.details or [])]
    return page.render(
        "company_form.html", status_code=400, company=company, values=shown, errors=errors
    )


@router.post("/companies")
async def create_company(page: Ctx) -> Response:
    """Create a company from the form."""
    values = company_values(page.form)
    try:
        company = await service.create_company(
            page.session, page.principal, build(CompanyWrite, values)
        )
    except ValidationFailed as exc:
        return _invalid(page, None, values, exc)
    return see_other(f"{PREFIX}/companies/{company.id}", "Company created.")


@router.get("/companies/{company_id}")
async def show_company(page: Ctx, company_id: str) -> Response:
    """One company (a deleted one too, to restore it) with its contacts."""
    company = await service.get_company(
        page.session, page.principal, company_id, include_deleted=True
    )
    people = await page.session.scalars(
        contacts.search(page.principal, company_id=company.id)
        .where(Contact.deleted_at.is_(None))
        .order_by(Contact.last_name, Contact.id)
        .limit(100)
    )
    return page.render("company.html", company=company, contacts=list(people))


@router.get("/companies/{company_id}/edit")
async def edit_company(page: Ctx, company_id: str) -> Response:
    """The form of an existing company."""
    company = await service.get_company(page.session, page.principal, company_id)
    values = {name: getattr(company, name) for name in FIELDS}
    values["tags"] = ", ".join(company.tag_names)
    return page.render("company_form.html", company=company, values=values, errors=[])


@router.post("/companies/{company_id}")
async def update_company(page: Ctx, company_id: str) -> Response:
    """Change the company's fields on the form; the others stay."""
    company = await service.get_company(page.session, page.principal, company_id)
    values = company_values(page.form)
    try:
        await service.update_company(
            page.session,
            page.principal,
            company_id,
            build(CompanyPatch, values),
            replace=False,
            precondition=None,
        )
    except ValidationFailed as exc:
        return _invalid(page, company, values, exc)
    return see_other(f"{PREFIX}/companies/{company_id}", "Company saved.")


@router.post("/companies/{company_id}/delete")
async def delete_company(page: Ctx, company_id: str) -> Response:
    """Delete the company; its contacts keep their link for a restore."""
    await service.delete_company(page.session, page.principal, company_id, precondition=None)
    return see_other(f"{PREFIX}/companies/{company_id}", "Company deleted. Restore it below.")


@router.post("/companies/{company_id}/restore")
async def restore_company(page: Ctx, company_id: str) -> Response:
    """Bring a deleted company back."""
    await service.restore_company(page.session, page.principal, company_id)
    return see_other(f"{PREFIX}/companies/{company_id}", "Company restored.")
