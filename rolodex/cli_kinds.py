"""What ``rolodex contacts|companies|tasks|notes|appointments`` know about each kind: its
name, the options that set its fields and filter its list, the columns of its table, and
how the API reaches it. :mod:`rolodex.cli_records` builds each kind's commands from this.

Nothing but the standard library is imported here: ``rolodex --help`` reads the help
lines and names without loading the client.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """An option of a command: ``name`` is the body field (create, update) or the query
    parameter (list) it sets; ``option`` its spelling when not ``--name`` with dashes.
    A ``flag`` is ``--x/--no-x`` and sends ``true``/``false``; any other option sends
    its text."""

    name: str
    help: str = ""
    flag: bool = False
    option: str | None = None

    @property
    def spelling(self) -> str:
        """The option as typed: ``--first-name`` (``--completed/--no-completed``)."""
        option = self.option or "--" + self.name.replace("_", "-")
        return f"{option}/--no-{option[2:]}" if self.flag else option


@dataclass(frozen=True)
class RecordKind:
    """One kind of record and its commands.

    ``under_contact`` kinds (tasks, notes, appointments) are written at
    ``/contacts/{id}/<plural>``: ``create`` names the contact, and the other commands
    find a record's contact by its id in ``/<plural>``. ``restorable`` kinds have
    ``restore``; ``tags`` kinds a repeatable ``--tag``."""

    plural: str
    singular: str
    prefix: str
    fields: tuple[Field, ...]
    filters: tuple[Field, ...]
    columns: tuple[str, ...]
    tags: bool = False
    restorable: bool = False
    under_contact: bool = False

    @property
    def help(self) -> str:
        """The line ``rolodex --help`` shows, and the group's own help."""
        verbs = "create, change, delete and restore"
        if not self.restorable:
            verbs = "create, change and delete"
        return f"List, show, {verbs} {self.plural} on a server."


CONTACT_FILTER = Field("contact_id", "Only those of this contact (cnt_…).", option="--contact")
ASSIGNEE_FILTER = Field("assignee_id", "Only those assigned to this user (usr_…).")

CONTACTS = RecordKind(
    plural="contacts",
    singular="contact",
    prefix="cnt",
    fields=(Field("first_name"), Field("last_name"), Field("email"), Field("phone")),
    filters=(
        Field("q", "Part of name, email, phone, company."),
        Field("email", "Exact email, any case."),
        Field("tags", "Comma-separated tag names."),
    ),
    columns=("id", "name", "email", "phone", "tags", "updated_at"),
    tags=True,
    restorable=True,
)
COMPANIES = RecordKind(
    plural="companies",
    singular="company",
    prefix="cmp",
    fields=(
        Field("name"),
        Field("type", "customer, supplier or organization."),
        Field("email"),
        Field("phone"),
        Field("website"),
    ),
    filters=(
        Field("q", "Part of the name."),
        Field("type", "customer, supplier or organization."),
        Field("owner_id", "Only those owned by this user (usr_…)."),
    ),
    columns=("id", "name", "type", "email", "phone", "tags", "updated_at"),
    tags=True,
    restorable=True,
)
TASKS = RecordKind(
    plural="tasks",
    singular="task",
    prefix="tsk",
    fields=(
        Field("title"),
        Field("body"),
        Field("due_at", "ISO 8601 time."),
        Field("completed", flag=True),
        Field("assignee_id", "A user (usr_…); default: you."),
    ),
    filters=(
        CONTACT_FILTER,
        ASSIGNEE_FILTER,
        Field("completed", "Only completed (or, --no-completed, open) tasks.", flag=True),
        Field("due_before", "Due before this ISO 8601 time."),
        Field("due_after", "Due after this ISO 8601 time."),
    ),
    columns=("id", "title", "contact_id", "due_at", "completed", "updated_at"),
    under_contact=True,
)
NOTES = RecordKind(
    plural="notes",
    singular="note",
    prefix="nte",
    fields=(Field("body"), Field("pinned", flag=True)),
    filters=(
        CONTACT_FILTER,
        Field("author_id", "Only those written by this user (usr_…)."),
        Field("pinned", "Only pinned (or, --no-pinned, unpinned) notes.", flag=True),
    ),
    columns=("id", "body", "contact_id", "pinned", "updated_at"),
    under_contact=True,
)
APPOINTMENTS = RecordKind(
    plural="appointments",
    singular="appointment",
    prefix="apt",
    fields=(
        Field("title"),
        Field("starts_at", "ISO 8601 time."),
        Field("ends_at", "ISO 8601 time."),
        Field("location"),
        Field("status", "scheduled, confirmed, cancelled, completed or no_show."),
        Field("assignee_id", "A user (usr_…); default: you."),
        Field("description"),
    ),
    filters=(
        CONTACT_FILTER,
        ASSIGNEE_FILTER,
        Field("status", "scheduled, confirmed, cancelled, completed or no_show."),
        Field("starts_after", "Starting after this ISO 8601 time."),
        Field("starts_before", "Starting before this ISO 8601 time."),
    ),
    columns=("id", "title", "contact_id", "starts_at", "status", "updated_at"),
    under_contact=True,
)
RECORD_KINDS = {kind.plural: kind for kind in (CONTACTS, COMPANIES, TASKS, NOTES, APPOINTMENTS)}
