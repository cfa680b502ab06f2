"""Every router of the HighLevel surface, in routing order: a literal path
(``/contacts/search``) before the parameter it would shadow (``/contacts/{contactId}``)."""

from __future__ import annotations

from fastapi import APIRouter

from rolodex.dialects.highlevel import contacts, custom_fields, records

ROUTERS: tuple[APIRouter, ...] = (
    contacts.router,
    records.router,
    custom_fields.locations,
    custom_fields.fields_v2,
)
"""What ``mount(app, HIGHLEVEL, ROUTERS)`` serves under ``/highlevel``."""
