"""Contacts: search, filter, sort and page; create, edit, delete, restore; one contact
with its tasks, notes, appointments and tags, and forms to add them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.responses import Response

from rolodex.appointments import service as appointments
from rolodex.appointments.schemas import AppointmentWrite
from rolodex.companies.models import Company
from rolodex.contacts import service
from rolodex.contacts.children import create_child
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import ContactPatch, ContactWrite
from rolodex.dashboard.forms import Form, build, tag_names
from rolodex.dashboard.listing import company_names, list_page
from rolodex.dashboard.pages import PREFIX, Ctx, Page, dashboard_router, see_other
from rolodex.errors import ValidationFailed
from rolodex.kinds import APPOINTMENT, CONTACT, NOTE, TASK
from rolodex.notes import service as notes
from rolodex.notes.schemas import NoteWrite
from rolodex.tags.models import Tag
from rolodex.tasks import service as tasks
from rolodex.tasks.schemas import TaskWrite

router = dashboard_router()
FIELDS = ("first_name", "last_name", "email", "phone", "job_title", "company_id", "description")
OPTIONS_LIMIT = 200


def utc_input(raw: str | None) -> str | None:
    """A ``datetime-local`` value, which the form labels as UTC, as an ISO time in UTC."""
    if not raw:
        return None
    if len(raw) == 16 and raw[10] == "T":  # YYYY-MM-DDTHH:MM, no zone
        return raw + ":00Z"
    return raw


def contact_values(form: Form) -> dict[str, Any]:
    """A contact form's fields as the write schema takes them (blank → null)."""
    values: dict[str, Any] = {name: form.optional(name) for name in FIELDS}
    values["tags"] = tag_names(form.get("tags"))
    return values


async def _options(page: Page) -> dict[str, Any]:
    """Companies and tags to choose from in forms and filters."""
    account = page.principal.account_id
    companies = await page.session.scalars(
        select(Company)
        .where(Company.account_id == account, Company.deleted_at.is_(None))
        .order_by(Company.name)
        .limit(OPTIONS_LIMIT)
    )
    tags = await page.session.scalars(
        select(Tag)
        .where(Tag.account_id == account, Tag.deleted_at.is_(None))
        .order_by(Tag.name)
        .limit(OPTIONS_LIMIT)
    )
    return {"companies": list(companies), "tags": list(tags)}


@router.get("/contacts")
async def list_contacts(page: Ctx) -> Response:
    """The account's contacts: search, tag and company filters, sort, pages; the
    deleted ones with ``deleted=1``."""
    query = page.query
    company_id = query.optional("company_id")
    tag = query.optional("tag")
    stmt = service.search(
        page.principal,
        q=query.optional("q"),
        tag_names=[tag] if tag else None,
        company_id=company_id,
    )
    deleted = query.checked("deleted")
    if deleted:
        stmt = stmt.where(Contact.deleted_at.is_not(None))
    listing = await list_page(page, stmt, CONTACT, include_deleted=deleted)
    ids = {c.company_id for c in listing.rows if c.company_id}
    return page.render(
        "contacts.html",
        listing=listing,
        deleted=deleted,
        company_names=await company_names(page, ids),
        **await _options(page),
    )


@router.get("/contacts/new")
async def new_contact(page: Ctx) -> Response:
    """The form of a new contact."""
    return page.render(
        "contact_form.html", contact=None, values={}, errors=[], **await _options(page)
    )


@router.post("/contacts")
async def create_contact(page: Ctx) -> Response:
    """Create a contact from the form (the API's rules and messages)."""
    values = contact_values(page.form)
    try:
        contact = await service.create_contact(
            page.session, page.principal, build(ContactWrite, values)
        )
    except ValidationFailed as exc:
        return await _invalid(page, None, values, exc)
    return see_other(f"{PREFIX}/contacts/{contact.id}", "Contact created.")


async def _invalid(
    page: Page, contact: Contact | None, values: dict[str, Any], exc: ValidationFailed
) -> Response:
    """The form again, with what was sent and what to fix (400)."""
    shown = {**values, "tags": ", ".join(values.get("tags") or [])}
    return page.render(
        "contact_form.html",
        status_code=400,
        contact=contact,
        values=shown,
        errors=[exc.message, *(f"{d['field']}: {d['message']}" for d in exc.details or [])],
        **await _options(page),
    )


@router.get("/contacts/{contact_id}")
async def show_contact(page: Ctx, contact_id: str) -> Response:
    """One contact (a deleted one too, to restore it) with its records and tags."""
    contact = await service.get_contact(
        page.session, page.principal, contact_id, include_deleted=True
    )
    company = None
    if contact.company_id:
        company = await page.session.get(Company, contact.company_id)
    live = contact.deleted_at is None

    async def children(stmt: Any, model: Any, *order: Any) -> list[Any]:
        if not live:
            return []
        rows = await page.session.scalars(
            stmt.where(model.deleted_at.is_(None)).order_by(*order).limit(100)
        )
        return list(rows)

    task_model, note_model, appointment_model = TASK.model, NOTE.model, APPOINTMENT.model
    return page.render(
        "contact.html",
        contact=contact,
        company=company,
        tasks=await children(
            tasks.search(page.principal, contact_id=contact.id),
            task_model,
            task_model.completed,
            task_model.created_at.desc(),
        ),
        notes=await children(
            notes.search(page.principal, contact_id=contact.id),
            note_model,
            note_model.pinned.desc(),
            note_model.created_at.desc(),
        ),
        appointments=await children(
            appointments.search(page.principal, contact_id=contact.id),
            appointment_model,
            appointment_model.starts_at.desc(),
        ),
    )


@router.get("/contacts/{contact_id}/edit")
async def edit_contact(page: Ctx, contact_id: str) -> Response:
    """The form of an existing contact."""
    contact = await service.get_contact(page.session, page.principal, contact_id)
    values = {name: getattr(contact, name) for name in FIELDS}
    values["tags"] = ", ".join(contact.tag_names)
    return page.render(
        "contact_form.html", contact=contact, values=values, errors=[], **await _options(page)
    )


@router.post("/contacts/{contact_id}")
async def update_contact(page: Ctx, contact_id: str) -> Response:
    """Change the contact's fields on the form; the others stay as they are."""
    contact = await service.get_contact(page.session, page.principal, contact_id)
    values = contact_values(page.form)
    try:
        await service.update_contact(
            page.session,
            page.principal,
            contact_id,
            build(ContactPatch, values),
            replace=False,
            precondition=None,
        )
    except ValidationFailed as exc:
        return await _invalid(page, contact, values, exc)
    return see_other(f"{PREFIX}/contacts/{contact_id}", "Contact saved.")


@router.post("/contacts/{contact_id}/delete")
async def delete_contact(page: Ctx, contact_id: str) -> Response:
    """Delete the contact (and its records with it); it can be restored."""
    await service.delete_contact(page.session, page.principal, contact_id, precondition=None)
    return see_other(f"{PREFIX}/contacts/{contact_id}", "Contact deleted. Restore it below.")


@router.post("/contacts/{contact_id}/restore")
async def restore_contact(page: Ctx, contact_id: str) -> Response:
    """Bring a deleted contact back, with what was deleted with it."""
    await service.restore_contact(page.session, page.principal, contact_id)
    return see_other(f"{PREFIX}/contacts/{contact_id}", "Contact restored.")


@router.post("/contacts/{contact_id}/tasks")
async def add_task(page: Ctx, contact_id: str) -> Response:
    """A new task on the contact, assigned to the acting user."""
    body = build(
        TaskWrite,
        {
            "title": page.form.get("title"),
            "due_at": utc_input(page.form.optional("due_at")),
            "completed": False,
        },
    )
    await create_child(page.session, page.principal, TASK, tasks.RULES, contact_id, body)
    return see_other(f"{PREFIX}/contacts/{contact_id}", "Task added.")


@router.post("/contacts/{contact_id}/tasks/{task_id}/complete")
async def complete_task(page: Ctx, contact_id: str, task_id: str) -> Response:
    """Mark a task done, or not done again."""
    done = page.form.get("completed", "true") != "false"
    await tasks.set_completed(
        page.session, page.principal, contact_id, task_id, done, precondition=None
    )
    back = page.form.get("back")
    target = back if back.startswith(f"{PREFIX}/") else f"{PREFIX}/contacts/{contact_id}"
    return see_other(target, "Task done." if done else "Task open again.")


@router.post("/contacts/{contact_id}/notes")
async def add_note(page: Ctx, contact_id: str) -> Response:
    """A new note on the contact, written as the acting user."""
    body = build(NoteWrite, {"body": page.form.get("body"), "pinned": page.form.checked("pinned")})
    await create_child(page.session, page.principal, NOTE, notes.RULES, contact_id, body)
    return see_other(f"{PREFIX}/contacts/{contact_id}", "Note added.")


@router.post("/contacts/{contact_id}/appointments")
async def add_appointment(page: Ctx, contact_id: str) -> Response:
    """A new appointment with the contact."""
    body = build(
        AppointmentWrite,
        {
            "title": page.form.get("title"),
            "starts_at": utc_input(page.form.optional("starts_at")),
            "ends_at": utc_input(page.form.optional("ends_at")),
            "location": page.form.optional("location"),
        },
    )
    await create_child(
        page.session, page.principal, APPOINTMENT, appointments.RULES, contact_id, body
    )
    return see_other(f"{PREFIX}/contacts/{contact_id}", "Appointment added.")
