"""Resource kinds: what every surface needs to know of one kind of resource, said once.

A :class:`ResourceKind` names a resource (``contact``), its id prefix, its table, its output
schema and how to load it as shown, the columns a list may sort on, where its collection
lives under :data:`API_PREFIX`, the OAuth scope that guards it, the events its changes
make and the secret fields its schema declares. The routes, the outbox, batches, the
records under a contact and the tenant-isolation walk read it instead of repeating it.

This module sits low: it imports models and schemas only, never a service or a route. The
kinds of webhooks live in :mod:`rolodex.webhooks.kinds` (their schemas check event types,
which come from here); :mod:`rolodex.registry` holds every kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from rolodex.accounts.models import ApiKey, User
from rolodex.accounts.schemas import ApiKeyCreated, UserOut
from rolodex.appointments.models import Appointment
from rolodex.appointments.schemas import AppointmentOut, AppointmentPatch, AppointmentWrite
from rolodex.audit.models import AuditEntry
from rolodex.audit.schemas import AuditEntryOut
from rolodex.companies.models import Company
from rolodex.companies.schemas import CompanyOut, CompanyPatch, CompanyWrite
from rolodex.contacts.models import Contact
from rolodex.contacts.schemas import ContactOut, ContactPatch, ContactWrite
from rolodex.events.models import Event
from rolodex.events.schemas import EventOut
from rolodex.ids import PREFIXES, id_pattern, new_id
from rolodex.notes.models import Note
from rolodex.notes.schemas import NoteOut, NotePatch, NoteWrite
from rolodex.oauth.models import OAuthClient
from rolodex.oauth.schemas import OAuthClientCreated
from rolodex.schemas import WriteModel
from rolodex.secret_fields import secret_fields
from rolodex.tags.models import Tag
from rolodex.tags.schemas import TagOut
from rolodex.tasks.models import Task
from rolodex.tasks.schemas import TaskOut, TaskPatch, TaskWrite

API_PREFIX = "/api/v1"
"""Where the API lives; every collection path below is relative to it."""

CHANGE_ACTIONS = ("created", "updated", "deleted", "restored")
TAG_ACTIONS = ("tags_added", "tags_removed")


def _no_sorts() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ResourceKind:
    """One kind of resource, as every surface sees it."""

    name: str
    """The singular name: in messages (``No contact with id …``), audit entries and event
    types (``contact.created``); also the key of its id prefix in :data:`rolodex.ids.PREFIXES`."""
    plural: str
    """The collection's name, as list cursors carry it (``contacts``, ``api_keys``)."""
    model: Any
    """The SQLAlchemy model of its table."""
    out: type[BaseModel]
    """The output schema: the resource as the API shows it (on creation, where that shows
    more, such as a new key's secret)."""
    label: str = ""
    """How messages name it (``API key``); the name with spaces when empty."""
    segment: str = ""
    """Its path segment (``api-keys``); the plural with dashes when empty."""
    parent: ResourceKind | None = None
    """The kind it lives under (a task under a contact): its scope, and its nested path."""
    write: type[WriteModel] | None = None
    """The body of a create or a PUT."""
    patch: type[WriteModel] | None = None
    """The body of a PATCH."""
    load: tuple[ExecutableOption, ...] = ()
    """Loader options of a record as the API shows it (its tags)."""
    sorts: Mapping[str, Any] = field(default_factory=_no_sorts)
    """The ``sort`` values its lists accept, and the column each sorts on."""
    tagged: bool = False
    """Whether it carries tags (and makes ``tags_added`` / ``tags_removed`` events)."""
    event_actions: tuple[str, ...] = ()
    """The actions its changes make events of (``created`` …); none when it makes none."""
    managers_only: bool = False
    """Whether only owners and admins (and account keys) may read it, whatever the scope;
    a kind that lives under another inherits its parent's (see :attr:`for_managers`)."""
    scope_family: str = ""
    """The OAuth scope family that guards it when that is not its plural (connections are
    guarded by ``integrations``); see :attr:`scope`."""

    @property
    def secret_fields(self) -> frozenset[str]:
        """Fields of its output schema that hold a secret, as the schema declares them
        (:func:`rolodex.secret_fields.secret_field`); stored copies redact them."""
        return secret_fields(self.out)

    @property
    def title(self) -> str:
        """How messages name it: ``No API key with id …``."""
        return self.label or self.name.replace("_", " ")

    @property
    def prefix(self) -> str:
        """The prefix of its ids (``cnt``)."""
        return PREFIXES[self.name]

    @property
    def scope(self) -> str:
        """The OAuth scope family that guards it (``contacts`` → ``contacts.readonly`` and
        ``contacts.write``); a kind that lives under another shares its parent's, and a
        kind may name its own family (:attr:`scope_family`)."""
        if self.parent is not None:
            return self.parent.scope
        return self.scope_family or self.plural

    @property
    def for_managers(self) -> bool:
        """Whether only owners and admins may read it: its own word, or its parent's."""
        return self.managers_only or (self.parent is not None and self.parent.for_managers)

    @property
    def path(self) -> str:
        """Its collection under :data:`API_PREFIX`, account-wide (``/tasks``)."""
        return "/" + (self.segment or self.plural.replace("_", "-"))

    @property
    def id_param(self) -> str:
        """The name of its id in a path template (``contact_id``)."""
        return f"{self.name}_id"

    @property
    def nested_path(self) -> str:
        """Its collection under one parent record (``/contacts/{contact_id}/tasks``); the
        account-wide path for a kind without a parent."""
        if self.parent is None:
            return self.path
        return f"{self.parent.path}/{{{self.parent.id_param}}}{self.path}"

    @property
    def id_pattern(self) -> str:
        """The regular expression of its ids, for the OpenAPI document."""
        return id_pattern(self.prefix)

    @property
    def event_types(self) -> tuple[str, ...]:
        """Every event type its changes make (``contact.created`` …)."""
        return tuple(f"{self.name}.{action}" for action in self.event_actions)

    def new_id(self) -> str:
        """A fresh id of this kind."""
        return new_id(self.prefix)

    def location(self, record_id: str, parent_id: str | None = None) -> str:
        """The URL path of one record, as a ``Location`` header gives it."""
        if self.parent is None:
            return f"{API_PREFIX}{self.path}/{record_id}"
        return f"{API_PREFIX}{self.parent.path}/{parent_id}{self.path}/{record_id}"


CONTACT = ResourceKind(
    name="contact",
    plural="contacts",
    model=Contact,
    out=ContactOut,
    write=ContactWrite,
    patch=ContactPatch,
    load=(selectinload(Contact.tags),),
    sorts=MappingProxyType(
        {
            "created_at": Contact.created_at,
            "updated_at": Contact.updated_at,
            "first_name": Contact.first_name,
            "last_name": Contact.last_name,
            "email": Contact.email,
        }
    ),
    tagged=True,
    event_actions=(*CHANGE_ACTIONS, *TAG_ACTIONS),
)
COMPANY = ResourceKind(
    name="company",
    plural="companies",
    model=Company,
    out=CompanyOut,
    write=CompanyWrite,
    patch=CompanyPatch,
    load=(selectinload(Company.tags),),
    sorts=MappingProxyType(
        {"created_at": Company.created_at, "updated_at": Company.updated_at, "name": Company.name}
    ),
    tagged=True,
    event_actions=(*CHANGE_ACTIONS, *TAG_ACTIONS),
)
TASK = ResourceKind(
    name="task",
    plural="tasks",
    model=Task,
    out=TaskOut,
    parent=CONTACT,
    write=TaskWrite,
    patch=TaskPatch,
    sorts=MappingProxyType(
        {
            "created_at": Task.created_at,
            "updated_at": Task.updated_at,
            "due_at": Task.due_at,
            "title": Task.title,
        }
    ),
    event_actions=(*CHANGE_ACTIONS, "completed"),
)
NOTE = ResourceKind(
    name="note",
    plural="notes",
    model=Note,
    out=NoteOut,
    parent=CONTACT,
    write=NoteWrite,
    patch=NotePatch,
    sorts=MappingProxyType({"created_at": Note.created_at, "updated_at": Note.updated_at}),
    event_actions=CHANGE_ACTIONS,
)
APPOINTMENT = ResourceKind(
    name="appointment",
    plural="appointments",
    model=Appointment,
    out=AppointmentOut,
    parent=CONTACT,
    write=AppointmentWrite,
    patch=AppointmentPatch,
    sorts=MappingProxyType(
        {
            "created_at": Appointment.created_at,
            "updated_at": Appointment.updated_at,
            "starts_at": Appointment.starts_at,
        }
    ),
    event_actions=CHANGE_ACTIONS,
)
TAG = ResourceKind(
    name="tag",
    plural="tags",
    model=Tag,
    out=TagOut,
    sorts=MappingProxyType(
        {"created_at": Tag.created_at, "updated_at": Tag.updated_at, "name": Tag.name}
    ),
)
USER = ResourceKind(
    name="user",
    plural="users",
    model=User,
    out=UserOut,
    sorts=MappingProxyType(
        {
            "created_at": User.created_at,
            "updated_at": User.updated_at,
            "email": User.email,
            "last_name": User.last_name,
        }
    ),
)
API_KEY = ResourceKind(
    name="api_key",
    plural="api_keys",
    label="API key",
    model=ApiKey,
    out=ApiKeyCreated,
    sorts=MappingProxyType(
        {"created_at": ApiKey.created_at, "updated_at": ApiKey.updated_at, "name": ApiKey.name}
    ),
)
OAUTH_CLIENT = ResourceKind(
    name="oauth_client",
    plural="oauth_clients",
    label="OAuth client",
    model=OAuthClient,
    out=OAuthClientCreated,
    sorts=MappingProxyType(
        {
            "created_at": OAuthClient.created_at,
            "updated_at": OAuthClient.updated_at,
            "name": OAuthClient.name,
        }
    ),
)
EVENT = ResourceKind(
    name="event",
    plural="events",
    model=Event,
    out=EventOut,
    # The feed is ordered by the account's event sequence, which follows commit order;
    # `created_at` is its public name (the two agree up to the clocks of the servers).
    sorts=MappingProxyType({"created_at": Event.sequence}),
)
AUDIT_ENTRY = ResourceKind(
    name="audit_entry",
    plural="audit_log",
    model=AuditEntry,
    out=AuditEntryOut,
    managers_only=True,
    sorts=MappingProxyType({"created_at": AuditEntry.created_at}),
)

RECORDS: tuple[ResourceKind, ...] = (CONTACT, COMPANY, TASK, NOTE, APPOINTMENT, TAG)
"""The kinds of the CRM's own records, those the dialects and imports speak of."""
CHILDREN: tuple[ResourceKind, ...] = tuple(kind for kind in RECORDS if kind.parent is CONTACT)
"""The kinds of records that live under a contact."""
EVENT_SOURCES: Mapping[str, ResourceKind] = MappingProxyType(
    {kind.name: kind for kind in RECORDS if kind.event_actions}
)
"""The kinds whose changes become events, by name (an event's ``resource_type``)."""
DOMAIN_KINDS: tuple[ResourceKind, ...] = (
    *RECORDS,
    USER,
    API_KEY,
    OAUTH_CLIENT,
    EVENT,
    AUDIT_ENTRY,
)
"""Every kind of this module; :data:`rolodex.registry.KINDS` adds those of webhooks."""
