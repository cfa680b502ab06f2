"""The operations of the ``moco`` connector, in MOCO's own paths and fields.

Actions (``<resource>.<verb>``): ``people.*`` (``/contacts/people``), ``companies.*``
(with ``archive`` and ``unarchive``), ``comments.*`` (with ``create_bulk``),
``taggings.*`` (``/taggings/{entity}/{entity_id}``: ``get``, ``add``, ``replace``,
``remove``), ``tags.*`` and ``users.list`` / ``users.get``. Ids are MOCO's integers;
lists take MOCO's global filters (``page``, ``sort_by``, ``ids``, ``updated_after``)
and answer one page, ``{"data": […], "meta": {"page", "per_page", "total",
"next_page"}}`` from MOCO's ``X-Page``, ``X-Per-Page``, ``X-Total`` and ``Link``
headers.

Triggers: MOCO's web-hook target and event (``Contact.create`` … ``Comment.delete``),
which MOCO pushes; run on their own they answer the newest records of their target, a
page of samples of what a delivery carries (as a REST-hook trigger's sample list does).
And polled ``<resource>.new_or_updated`` triggers: the records changed after
``updated_after``, oldest change first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from rolodex.integrations.connector import (
    Operation,
    RemoteRequest,
    RemoteResponse,
    default_build,
    operations,
)
from rolodex.integrations.connectors.headers import links

MocoId = Annotated[int, Field(ge=1, description="A MOCO id.")]
Text = Annotated[str, Field(max_length=5000)]
TagList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=100)
]
Gender = Literal["F", "M", "U"]
CompanyType = Literal["customer", "supplier", "organization"]
TagContext = Literal[
    "Company", "Contact", "Project", "Deal", "Purchase", "Invoice", "Offer", "User"
]
TaggingEntity = TagContext
CommentableType = Literal[
    "Contact",
    "Company",
    "Deal",
    "DeliveryNote",
    "Project",
    "User",
    "Unit",
    "Offer",
    "OfferConfirmation",
    "Invoice",
    "InvoiceReminder",
    "InvoiceDeletion",
    "InvoiceBookkeepingExport",
    "Expense",
    "RecurringExpense",
    "Receipt",
    "ReceiptRefundRequest",
    "Purchase",
    "PurchaseBookkeepingExport",
    "PurchaseDraft",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- what MOCO answers -------------------------------------------------------------


class MocoRef(_Open):
    """An embedded reference (``company``, ``user``)."""

    id: int
    name: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    type: str | None = None


class MocoPerson(_Open):
    """A MOCO person (``/contacts/people``)."""

    id: int
    gender: str | None = None
    firstname: str = ""
    lastname: str = ""
    title: str = ""
    job_position: str = ""
    mobile_phone: str = ""
    work_fax: str = ""
    work_phone: str = ""
    work_email: str = ""
    work_address: str = ""
    home_email: str = ""
    home_address: str = ""
    birthday: str | None = None
    info: str | None = None
    tags: list[str] = []
    custom_properties: dict[str, Any] = {}
    company: MocoRef | None = None
    user: MocoRef | None = None
    created_at: str | None = None
    updated_at: str | None = None


class MocoCompany(_Open):
    """A MOCO company."""

    id: int
    type: str | None = None
    name: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    info: str = ""
    tags: list[str] = []
    custom_properties: dict[str, Any] = {}
    user: MocoRef | None = None
    active: bool | None = None
    archived_on: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class MocoComment(_Open):
    """A MOCO comment."""

    id: int
    commentable_id: int
    commentable_type: str
    text: str
    manual: bool | None = None
    user: MocoRef | None = None
    created_at: str | None = None
    updated_at: str | None = None


class MocoTag(_Open):
    """A MOCO tag."""

    id: int
    name: str
    context: str | None = None


class MocoUser(_Open):
    """A MOCO user."""

    id: int
    firstname: str = ""
    lastname: str = ""
    active: bool | None = None
    email: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class MocoPageMeta(BaseModel):
    """Where a page of a MOCO list stands."""

    page: int | None
    per_page: int | None
    total: int | None
    next_page: int | None
    """The page to ask for next; None on the last page."""


def _page_of(item: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{item.__name__}Page",
        data=(list[item], ...),  # type: ignore[valid-type]
        meta=(MocoPageMeta, ...),
    )


# --- what MOCO takes ---------------------------------------------------------------


class MocoListInput(_Strict):
    """MOCO's global list filters: one page (100 records), sorted, by ids, or changed
    after a moment."""

    page: Annotated[int, Field(ge=1)] = 1
    sort_by: Annotated[str, Field(max_length=64, description="`field` or `field desc`.")] | None = (
        None
    )
    ids: Annotated[list[MocoId], Field(max_length=100)] | None = None
    updated_after: datetime | None = None


class PeopleListInput(MocoListInput):
    """People: MOCO's filters besides the global ones."""

    tags: TagList | None = None
    term: Annotated[str, Field(max_length=200)] | None = None
    phone: Annotated[str, Field(max_length=50)] | None = None


class CompaniesListInput(MocoListInput):
    """Companies: MOCO's filters besides the global ones."""

    type: CompanyType | None = None
    tags: TagList | None = None
    term: Annotated[str, Field(max_length=200)] | None = None
    identifier: Annotated[str, Field(max_length=100)] | None = None
    include_archived: bool | None = None


class CommentsListInput(MocoListInput):
    """Comments: MOCO's filters besides the global ones."""

    commentable_type: CommentableType | None = None
    commentable_id: MocoId | None = None
    user_id: MocoId | None = None
    manual: bool | None = None


class TagsListInput(MocoListInput):
    """Tags of one context."""

    context: TagContext | None = None


class UsersListInput(MocoListInput):
    """Users: MOCO's filters besides the global ones."""

    include_archived: bool | None = None
    tags: TagList | None = None


class ById(_Strict):
    """One record by its MOCO id."""

    id: MocoId


class _PersonFields(_Strict):
    firstname: Annotated[str, Field(max_length=255)] | None = None
    title: Annotated[str, Field(max_length=255)] | None = None
    job_position: Annotated[str, Field(max_length=255)] | None = None
    company_id: MocoId | None = None
    user_id: MocoId | None = Field(None, description="Responsible; the key's user by default.")
    mobile_phone: Annotated[str, Field(max_length=64)] | None = None
    work_fax: Annotated[str, Field(max_length=64)] | None = None
    work_phone: Annotated[str, Field(max_length=64)] | None = None
    work_email: Annotated[str, Field(max_length=255)] | None = None
    work_address: Text | None = None
    home_email: Annotated[str, Field(max_length=255)] | None = None
    home_address: Text | None = None
    birthday: date | None = None
    info: Text | None = None
    tags: TagList | None = None
    custom_properties: dict[str, Any] | None = None


class PersonCreate(_PersonFields):
    """A new person: ``lastname`` and ``gender`` are required."""

    lastname: Annotated[str, Field(min_length=1, max_length=255)]
    gender: Gender


class PersonUpdate(_PersonFields):
    """Only the fields given change."""

    id: MocoId
    lastname: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    gender: Gender | None = None


class _CompanyFields(_Strict):
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    vat_identifier: Annotated[str, Field(max_length=64)] | None = None
    alternative_correspondence_language: bool | None = None
    website: Annotated[str, Field(max_length=255)] | None = None
    fax: Annotated[str, Field(max_length=64)] | None = None
    phone: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=255)] | None = None
    billing_email_cc: Annotated[str, Field(max_length=255)] | None = None
    billing_notes: Text | None = None
    address: Text | None = None
    info: Text | None = None
    custom_properties: dict[str, Any] | None = None
    tags: TagList | None = None
    user_id: MocoId | None = None
    footer: Text | None = None
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    identifier: Annotated[str, Field(max_length=64)] | None = None
    default_invoice_due_days: Annotated[int, Field(ge=0)] | None = None
    iban: Annotated[str, Field(max_length=64)] | None = None
    bank_bic: Annotated[str, Field(max_length=64)] | None = None
    bank_owner: Annotated[str, Field(max_length=255)] | None = None


class CompanyCreate(_CompanyFields):
    """A new company: ``name`` and ``type`` are required (and a customer's
    ``currency``, where MOCO assigns no default)."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    type: CompanyType


class CompanyUpdate(_CompanyFields):
    """Only the fields given change."""

    id: MocoId
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    type: CompanyType | None = None


class CommentCreate(_Strict):
    """A comment on a record (plain text or MOCO's small HTML)."""

    commentable_id: MocoId
    commentable_type: CommentableType
    text: Annotated[str, Field(min_length=1, max_length=50_000)]
    attachment_filename: Annotated[str, Field(max_length=255)] | None = None
    attachment_content: str | None = Field(None, description="The file, base64-encoded.")
    created_at: datetime | None = Field(None, description="When migrating comments.")


class CommentBulkCreate(_Strict):
    """One comment on many records of one type."""

    commentable_ids: Annotated[list[MocoId], Field(min_length=1, max_length=100)]
    commentable_type: CommentableType
    text: Annotated[str, Field(min_length=1, max_length=50_000)]


class CommentUpdate(_Strict):
    """A comment's new text."""

    id: MocoId
    text: Annotated[str, Field(min_length=1, max_length=50_000)]


class TaggingTarget(_Strict):
    """The record whose tags these are."""

    entity: TaggingEntity
    entity_id: MocoId


class TaggingChange(TaggingTarget):
    """Tag names for one record (unknown names are created)."""

    tags: TagList


class TagCreate(_Strict):
    """A new tag in one context."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    context: TagContext


class TagUpdate(_Strict):
    """A tag's new name."""

    id: MocoId
    name: Annotated[str, Field(min_length=1, max_length=100)]


# --- how requests and answers are read ----------------------------------------------


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _next_page(headers: Mapping[str, str]) -> int | None:
    url = links(headers).get("next")
    if not url or "page=" not in url:
        return None
    raw = url.split("page=", 1)[1].split("&", 1)[0]
    return int(raw) if raw.isdigit() else None


def parse_page(response: RemoteResponse) -> dict[str, Any]:
    """A MOCO list page: its records and where it stands, from MOCO's headers."""
    body = response.json()
    return {
        "data": body if isinstance(body, list) else [],
        "meta": {
            "page": _header_int(response.headers, "X-Page"),
            "per_page": _header_int(response.headers, "X-Per-Page"),
            "total": _header_int(response.headers, "X-Total"),
            "next_page": _next_page(response.headers),
        },
    }


def _query(values: Mapping[str, Any]) -> dict[str, Any]:
    """Query values as MOCO reads them: lists comma-separated, booleans ``true`` /
    ``false``, nothing for None."""
    query: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, list):
            query[key] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            query[key] = "true" if value else "false"
        else:
            query[key] = value
    return query


def build_list(
    operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
) -> RemoteRequest:
    """A MOCO list request: its filters in the query."""
    return RemoteRequest("GET", operation.path, params=_query(values))


def _sorted_by(sort: str) -> Any:
    def build(
        operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
    ) -> RemoteRequest:
        return RemoteRequest("GET", operation.path, params=_query({"sort_by": sort, **values}))

    return build


def build_empty_body(
    operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
) -> RemoteRequest:
    """A ``PUT`` that takes no body (archive, unarchive): ``{}``, as MOCO's examples send
    ``Content-Type: application/json``."""
    request = default_build(operation, values, context)
    return RemoteRequest(request.method, request.path, json={})


def parse_none(response: RemoteResponse) -> None:
    """A deletion answers nothing (204)."""
    return None


# --- the declarations ---------------------------------------------------------------


def _resource(
    key: str,
    path: str,
    noun: str,
    item: type[BaseModel],
    list_input: type[BaseModel],
    create: type[BaseModel] | None,
    update: type[BaseModel] | None,
    delete: bool,
) -> list[Operation]:
    found = [
        Operation(
            key=f"{key}.list",
            kind="action",
            title=f"List {noun}s",
            description=f"One page of `GET {path}` (100 a page).",
            method="GET",
            path=path,
            input=list_input,
            output=_page_of(item),
            build=build_list,
            parse=parse_page,
        ),
        Operation(
            key=f"{key}.get",
            kind="action",
            title=f"Get a {noun}",
            description=f"`GET {path}/{{id}}`.",
            method="GET",
            path=f"{path}/{{id}}",
            input=ById,
            output=item,
        ),
    ]
    if create is not None:
        found.append(
            Operation(
                key=f"{key}.create",
                kind="action",
                title=f"Create a {noun}",
                description=f"`POST {path}`.",
                method="POST",
                path=path,
                input=create,
                output=item,
                writes=True,
            )
        )
    if update is not None:
        found.append(
            Operation(
                key=f"{key}.update",
                kind="action",
                title=f"Update a {noun}",
                description=f"`PUT {path}/{{id}}`: only the fields given change.",
                method="PUT",
                path=f"{path}/{{id}}",
                input=update,
                output=item,
                writes=True,
            )
        )
    if delete:
        found.append(
            Operation(
                key=f"{key}.delete",
                kind="action",
                title=f"Delete a {noun}",
                description=f"`DELETE {path}/{{id}}`.",
                method="DELETE",
                path=f"{path}/{{id}}",
                input=ById,
                output=None,
                parse=parse_none,
                writes=True,
            )
        )
    return found


def _archive(verb: Literal["archive", "unarchive"]) -> Operation:
    return Operation(
        key=f"companies.{verb}",
        kind="action",
        title=f"{'Archive' if verb == 'archive' else 'Reactivate'} a company",
        description=f"`PUT /companies/{{id}}/{verb}`.",
        method="PUT",
        path=f"/companies/{{id}}/{verb}",
        input=ById,
        output=MocoCompany,
        build=build_empty_body,
        writes=True,
    )


def _tagging(verb: str, method: str, title: str, changes: bool) -> Operation:
    return Operation(
        key=f"taggings.{verb}",
        kind="action",
        title=title,
        description=f"`{method} /taggings/{{entity}}/{{entity_id}}`; answers the record's "
        "tag names now.",
        method=method,
        path="/taggings/{entity}/{entity_id}",
        input=TaggingChange if changes else TaggingTarget,
        output=list[str],
        writes=changes,
    )


SamplesInput = create_model(
    "MocoSamplesInput",
    __base__=_Strict,
    updated_after=(datetime | None, None),
    page=(Annotated[int, Field(ge=1)], 1),
)
"""A web-hook trigger run on its own: the newest records of its target."""

ChangedAfterInput = create_model(
    "MocoChangedAfterInput",
    __base__=_Strict,
    updated_after=(datetime, ...),
    page=(Annotated[int, Field(ge=1)], 1),
)
"""A polled trigger: the records changed after ``updated_after``."""

WEB_HOOK_TARGETS: dict[str, tuple[str, type[BaseModel]]] = {
    "Contact": ("/contacts/people", MocoPerson),
    "Company": ("/companies", MocoCompany),
    "Comment": ("/comments", MocoComment),
}
"""The web-hook targets Rolodex's records answer to, and the list each is sampled from."""
WEB_HOOK_EVENTS = ("create", "update", "delete")


def web_hook_trigger(target: str, event: str) -> Operation:
    """The trigger of MOCO's web hook for ``target`` and ``event``."""
    path, item = WEB_HOOK_TARGETS[target]
    sort = "created_at desc" if event == "create" else "updated_at desc"
    return Operation(
        key=f"{target}.{event}",
        kind="trigger",
        title=f"When a MOCO {target.lower()} is {event}d",
        description=f"MOCO's web hook `{target}`/`{event}` delivers the {target.lower()} as "
        f"it is{' (as it was, for a deletion)' if event == 'delete' else ''}. Run on its "
        f"own: samples, the newest of `GET {path}` (sorted by `{sort}`).",
        method="GET",
        path=path,
        input=SamplesInput,
        output=_page_of(item),
        build=_sorted_by(sort),
        parse=parse_page,
    )


POLLED: dict[str, tuple[str, str, type[BaseModel]]] = {
    "people": ("/contacts/people", "person", MocoPerson),
    "companies": ("/companies", "company", MocoCompany),
    "comments": ("/comments", "comment", MocoComment),
    "tags": ("/tags", "tag", MocoTag),
    "users": ("/users", "user", MocoUser),
}


def polled_trigger(resource: str) -> Operation:
    """``<resource>.new_or_updated``: what changed after a moment, oldest change first."""
    path, noun, item = POLLED[resource]
    return Operation(
        key=f"{resource}.new_or_updated",
        kind="trigger",
        title=f"New or updated MOCO {noun}s",
        description=f"Polled: `GET {path}?updated_after=…&sort_by=updated_at`, one page.",
        method="GET",
        path=path,
        input=ChangedAfterInput,
        output=_page_of(item),
        build=_sorted_by("updated_at"),
        parse=parse_page,
    )


MOCO_OPERATIONS = operations(
    *_resource(
        "people",
        "/contacts/people",
        "person",
        MocoPerson,
        PeopleListInput,
        PersonCreate,
        PersonUpdate,
        delete=True,
    ),
    *_resource(
        "companies",
        "/companies",
        "company",
        MocoCompany,
        CompaniesListInput,
        CompanyCreate,
        CompanyUpdate,
        delete=True,
    ),
    _archive("archive"),
    _archive("unarchive"),
    *_resource(
        "comments",
        "/comments",
        "comment",
        MocoComment,
        CommentsListInput,
        CommentCreate,
        CommentUpdate,
        delete=True,
    ),
    Operation(
        key="comments.create_bulk",
        kind="action",
        title="Comment on many records",
        description="`POST /comments/bulk`: one comment on each record named.",
        method="POST",
        path="/comments/bulk",
        input=CommentBulkCreate,
        output=list[MocoComment],
        writes=True,
    ),
    _tagging("get", "GET", "A record's tags", changes=False),
    _tagging("add", "PATCH", "Add tags to a record", changes=True),
    _tagging("replace", "PUT", "Replace a record's tags", changes=True),
    _tagging("remove", "DELETE", "Remove tags from a record", changes=True),
    *_resource("tags", "/tags", "tag", MocoTag, TagsListInput, TagCreate, TagUpdate, delete=True),
    *_resource("users", "/users", "user", MocoUser, UsersListInput, None, None, delete=False),
    *(web_hook_trigger(target, event) for target in WEB_HOOK_TARGETS for event in WEB_HOOK_EVENTS),
    *(polled_trigger(resource) for resource in POLLED),
)
"""Every operation of the ``moco`` connector, by key."""
