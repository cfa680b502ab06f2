"""The operations of the ``rolodex`` connector: the native resources of another Rolodex.

They are derived from the resource kinds (:mod:`rolodex.kinds`), so each is said once:
for contacts, companies and tags, and for tasks, notes and appointments under a contact,
``<plural>.list``, ``.get``, ``.create``, ``.update`` and ``.delete``; ``.restore`` for
contacts and companies; ``contacts.add_tags`` and ``contacts.remove_tags``;
``tasks.complete``. Their input is the kind's own write schema (with the ids the path
needs), their output its output schema. The triggers are the remote's event types
(``contact.created`` …), read from its event feed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from rolodex.events.catalog import EVENT_TYPES
from rolodex.events.schemas import EventOut
from rolodex.http.envelope import ListEnvelope
from rolodex.integrations.connector import (
    Operation,
    RemoteRequest,
    RemoteResponse,
    operations,
)
from rolodex.kinds import COMPANY, CONTACT, RECORDS, TAG, TASK, ResourceKind
from rolodex.tags.schemas import TagNamesBody, TagPatch, TagWrite
from rolodex.tasks.schemas import TaskCompletion


class ListInput(BaseModel):
    """One page of a list."""

    model_config = ConfigDict(extra="forbid")

    page: Annotated[int, Field(ge=1)] = 1
    per_page: Annotated[int, Field(ge=1, le=250)] = 100
    sort: str | None = None
    order: Literal["asc", "desc"] | None = None
    updated_after: datetime | None = None


class FeedInput(BaseModel):
    """Events of one type, oldest first, after a moment."""

    model_config = ConfigDict(extra="forbid")

    created_after: datetime | None = None
    per_page: Annotated[int, Field(ge=1, le=250)] = 100


def _data(response: RemoteResponse) -> Any:
    """The resource of a ``{"data": …}`` answer (None for a deletion)."""
    body = response.json()
    return body.get("data") if isinstance(body, dict) else body


def _page(response: RemoteResponse) -> Any:
    """A list answer as it is: ``{"data": […], "meta": {…}}``."""
    return response.json()


def _ids(kind: ResourceKind, *, own: bool) -> dict[str, Any]:
    """The path ids an operation on ``kind`` needs, as input fields."""
    fields: dict[str, Any] = {}
    if kind.parent is not None:
        fields[kind.parent.id_param] = (str, Field(min_length=1, max_length=40))
    if own:
        fields[kind.id_param] = (str, Field(min_length=1, max_length=40))
    return fields


def _model(name: str, base: type[BaseModel], fields: Mapping[str, Any]) -> type[BaseModel]:
    """``base`` with ``fields`` added; a write schema's read-only fields that are now
    inputs (a task's ``contact_id``) are read again."""
    model: type[BaseModel] = create_model(name, __base__=base, **dict(fields))
    read_only = getattr(base, "read_only", None)
    if isinstance(read_only, frozenset):
        setattr(model, "read_only", read_only - set(fields))  # noqa: B010 - a ClassVar
    return model


def _ids_model(name: str, kind: ResourceKind, *, own: bool) -> type[BaseModel]:
    return _model(name, _Ids, _ids(kind, own=own))


class _Ids(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _camel(kind: ResourceKind) -> str:
    return "".join(part.title() for part in kind.plural.split("_"))


def _item_path(kind: ResourceKind) -> str:
    return f"{kind.nested_path}/{{{kind.id_param}}}"


def kind_operations(
    kind: ResourceKind,
    write: type[BaseModel] | None = None,
    patch: type[BaseModel] | None = None,
) -> list[Operation]:
    """The five operations every record kind has (``list``, ``get``, ``create``,
    ``update``, ``delete``); ``write`` and ``patch``: its bodies, when its descriptor
    does not name them."""
    name, title = _camel(kind), kind.title
    write = write or kind.write
    patch = patch or kind.patch
    assert write is not None and patch is not None
    return [
        Operation(
            key=f"{kind.plural}.list",
            kind="action",
            title=f"List {kind.plural.replace('_', ' ')}",
            method="GET",
            path=kind.nested_path,
            input=_model(f"Rolodex{name}ListInput", ListInput, _ids(kind, own=False)),
            output=ListEnvelope[kind.out],  # type: ignore[name-defined]
            parse=_page,
        ),
        Operation(
            key=f"{kind.plural}.get",
            kind="action",
            title=f"Get a {title}",
            method="GET",
            path=_item_path(kind),
            input=_ids_model(f"Rolodex{name}GetInput", kind, own=True),
            output=kind.out,
            parse=_data,
        ),
        Operation(
            key=f"{kind.plural}.create",
            kind="action",
            title=f"Create a {title}",
            method="POST",
            path=kind.nested_path,
            input=_model(f"Rolodex{name}CreateInput", write, _ids(kind, own=False)),
            output=kind.out,
            parse=_data,
            writes=True,
        ),
        Operation(
            key=f"{kind.plural}.update",
            kind="action",
            title=f"Update a {title}",
            description="Only the fields given change.",
            method="PATCH",
            path=_item_path(kind),
            input=_model(f"Rolodex{name}UpdateInput", patch, _ids(kind, own=True)),
            output=kind.out,
            parse=_data,
            writes=True,
        ),
        Operation(
            key=f"{kind.plural}.delete",
            kind="action",
            title=f"Delete a {title}",
            method="DELETE",
            path=_item_path(kind),
            input=_ids_model(f"Rolodex{name}DeleteInput", kind, own=True),
            output=None,
            parse=_data,
            writes=True,
        ),
    ]


def _restore(kind: ResourceKind) -> Operation:
    return Operation(
        key=f"{kind.plural}.restore",
        kind="action",
        title=f"Restore a deleted {kind.title}",
        method="POST",
        path=f"{_item_path(kind)}/restore",
        input=_ids_model(f"Rolodex{_camel(kind)}RestoreInput", kind, own=True),
        output=kind.out,
        parse=_data,
        writes=True,
    )


def _tags(verb: Literal["add", "remove"]) -> Operation:
    return Operation(
        key=f"contacts.{verb}_tags",
        kind="action",
        title=f"{verb.title()} tags {'to' if verb == 'add' else 'from'} a contact",
        description="Answers the contact's tag names now.",
        method="POST" if verb == "add" else "DELETE",
        path=f"{_item_path(CONTACT)}/tags",
        input=_model(
            f"RolodexContactTags{verb.title()}Input", TagNamesBody, _ids(CONTACT, own=True)
        ),
        output=list[str],
        parse=_data,
        writes=True,
    )


def _complete_task() -> Operation:
    return Operation(
        key="tasks.complete",
        kind="action",
        title="Mark a task completed or not",
        method="PUT",
        path=f"{_item_path(TASK)}/completed",
        input=_model("RolodexTaskCompleteInput", TaskCompletion, _ids(TASK, own=True)),
        output=TASK.out,
        parse=_data,
        writes=True,
    )


def _feed(
    operation: Operation, values: dict[str, Any], context: Mapping[str, Any]
) -> RemoteRequest:
    params: dict[str, Any] = {"type": operation.key, "order": "asc", **values}
    return RemoteRequest("GET", "/events", params={k: v for k, v in params.items() if v})


def trigger(event_type: str) -> Operation:
    """The trigger of one of the remote's event types, polled from its event feed."""
    return Operation(
        key=event_type,
        kind="trigger",
        title=f"When {event_type.replace('.', ' ').replace('_', ' ')}",
        description=f"`{event_type}` events of the remote Rolodex, from `GET /events`.",
        method="GET",
        path="/events",
        input=FeedInput,
        output=ListEnvelope[EventOut],
        build=_feed,
        parse=_page,
    )


NATIVE_OPERATIONS = operations(
    *(op for kind in RECORDS if kind is not TAG for op in kind_operations(kind)),
    *kind_operations(TAG, TagWrite, TagPatch),
    _restore(CONTACT),
    _restore(COMPANY),
    _tags("add"),
    _tags("remove"),
    _complete_task(),
    *(trigger(event_type) for event_type in EVENT_TYPES),
)
"""Every operation of the ``rolodex`` connector, by key."""
