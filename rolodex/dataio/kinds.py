"""What the data commands know of each kind they move: the fields a file may set, the
columns an export writes, and the references a record makes to others.

A reference is written twice: by id (``owner_id``), exact within one account, and by a
key another account can find it by (``owner_email``, ``company_name``,
``contact_email``). An import keeps an id the account has, else looks the key up
(:mod:`rolodex.dataio.references`), so that an export of one account imports into
another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from rolodex.client.models import Company, Contact, Note, Task

Target = Literal["users", "companies", "contacts"]
ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")


@dataclass(frozen=True)
class Reference:
    """A field naming another record of the account, and the column naming it by key."""

    field: str
    """The id column: ``owner_id``."""
    key: str
    """The column naming the same record by its email or name: ``owner_email``."""
    target: Target
    """The collection the record is in."""
    label: str
    """What the record is to the row, in messages: ``owner``."""
    required: bool = False
    """A row cannot be written without it (the contact of a task)."""


@dataclass(frozen=True)
class DataKind:
    """One kind of record as the data commands read and write it."""

    name: str
    """The plural, as commands name it: ``contacts``."""
    singular: str
    model: type[BaseModel]
    """The client's model of a record (what an export writes)."""
    fields: tuple[str, ...]
    """The fields a row may set, as the API takes them."""
    read_only: tuple[str, ...]
    """Columns an export writes and an import ignores (``id`` aside)."""
    references: tuple[Reference, ...]
    match_on: tuple[str, ...]
    """What an upsert may match on; the first is the default."""
    prefix: str
    """The prefix of its ids."""
    batch: bool
    """Written through ``POST /<kind>/batch`` (else one request a row)."""

    @property
    def key_columns(self) -> tuple[str, ...]:
        """The reference key columns (``owner_email``…), in the order exports write them."""
        return tuple(ref.key for ref in self.references)

    def columns(self) -> list[str]:
        """The CSV columns of an export: id, every field of the model (the address in its
        parts), the timestamps, then the reference keys."""
        names = [
            name
            for name in self.model.model_fields
            if name not in ("id", "object", "created_at", "updated_at")
        ]
        columns = ["id"]
        for name in names:
            if name == "address":
                columns.extend(f"address.{part}" for part in ADDRESS_PARTS)
            else:
                columns.append(name)
        return [*columns, "created_at", "updated_at", *self.key_columns]

    def accepts(self, target: str) -> bool:
        """Whether a column (or ``--map`` target) means something to an import."""
        if target in self.fields or target in self.read_only or target in self.key_columns:
            return True
        if target == "id":
            return True
        head, _, tail = target.partition(".")
        if head == "address" and "address" in self.fields:
            return tail in ADDRESS_PARTS
        return head == "custom_fields" and bool(tail) and "custom_fields" in self.fields

    def plural(self, count: int) -> str:
        """``1 contact``, ``2 contacts``."""
        return f"{count} {self.singular if count == 1 else self.name}"


OWNER = Reference("owner_id", "owner_email", "users", "owner")
CONTACT_OF = Reference("contact_id", "contact_email", "contacts", "contact", required=True)
COMMON_READ_ONLY = ("object", "created_at", "updated_at", "deleted_at")

CONTACTS = DataKind(
    name="contacts",
    singular="contact",
    model=Contact,
    fields=(
        "first_name",
        "last_name",
        "email",
        "phone",
        "mobile_phone",
        "title",
        "job_title",
        "gender",
        "birthday",
        "website",
        "address",
        "company_id",
        "owner_id",
        "source",
        "timezone",
        "do_not_contact",
        "description",
        "tags",
        "custom_fields",
    ),
    read_only=(*COMMON_READ_ONLY, "name"),
    references=(OWNER, Reference("company_id", "company_name", "companies", "company")),
    match_on=("email", "id"),
    prefix="cnt",
    batch=True,
)
COMPANIES = DataKind(
    name="companies",
    singular="company",
    model=Company,
    fields=(
        "name",
        "type",
        "email",
        "phone",
        "website",
        "address",
        "owner_id",
        "description",
        "tags",
        "custom_fields",
    ),
    read_only=COMMON_READ_ONLY,
    references=(OWNER,),
    match_on=("email", "id"),
    prefix="cmp",
    batch=True,
)
TASKS = DataKind(
    name="tasks",
    singular="task",
    model=Task,
    fields=("contact_id", "title", "body", "due_at", "completed", "assignee_id"),
    read_only=(*COMMON_READ_ONLY, "completed_at"),
    references=(CONTACT_OF, Reference("assignee_id", "assignee_email", "users", "assignee")),
    match_on=("id",),
    prefix="tsk",
    batch=False,
)
NOTES = DataKind(
    name="notes",
    singular="note",
    model=Note,
    fields=("contact_id", "body", "pinned", "author_id"),
    read_only=COMMON_READ_ONLY,
    references=(CONTACT_OF, Reference("author_id", "author_email", "users", "author")),
    match_on=("id",),
    prefix="nte",
    batch=False,
)
KINDS: dict[str, DataKind] = {kind.name: kind for kind in (COMPANIES, CONTACTS, TASKS, NOTES)}
"""Every kind, in the order an import into another account needs them: companies before
the contacts that name them, contacts before their tasks and notes."""
