"""The catalog: every trigger and action of every connector, with JSON Schemas.

Read from the connectors' declarations (:data:`~rolodex.integrations.connectors_registry.
CONNECTORS`), once per process: an item is ``{"connector", "kind", "key", "title",
"description", "input_schema", "output_schema"}``, the schemas those of the operation's
input model and of what running it answers. The connectors' ``check`` calls are not in
it: they are the connections' own ``POST /connections/{id}/check``.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from rolodex.errors import ValidationFailed
from rolodex.integrations.connector import Operation
from rolodex.integrations.connectors_registry import CONNECTORS, KINDS

KINDS_OF_OPERATION = ("action", "trigger")


class CatalogItem(BaseModel):
    """One operation of a connector."""

    connector: str
    kind: Literal["action", "trigger"]
    key: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]


def output_schema(operation: Operation) -> dict[str, Any]:
    """The JSON Schema of what running ``operation`` answers (``null`` for nothing)."""
    if operation.output is None:
        return {"type": "null"}
    schema: dict[str, Any] = TypeAdapter(operation.output).json_schema(mode="serialization")
    return schema


def item_of(connector: str, operation: Operation) -> CatalogItem:
    """The catalog's item for one operation of ``connector``."""
    return CatalogItem(
        connector=connector,
        kind=operation.kind,
        key=operation.key,
        title=operation.title,
        description=operation.description or operation.title,
        input_schema=operation.input.model_json_schema(),
        output_schema=output_schema(operation),
    )


@cache
def catalog() -> tuple[CatalogItem, ...]:
    """Every item, connector by connector in the registry's order, each connector's in
    the order it declares them."""
    return tuple(
        item_of(kind, operation)
        for kind, connector in CONNECTORS.items()
        for operation in connector.operations.values()
    )


def filtered(connector: str | None = None, kind: str | None = None) -> list[CatalogItem]:
    """The items of one connector and/or one kind; an unknown value is 400."""
    if connector is not None and connector not in KINDS:
        raise ValidationFailed.field("connector", f"must be one of: {', '.join(KINDS)}")
    if kind is not None and kind not in KINDS_OF_OPERATION:
        raise ValidationFailed.field("kind", f"must be one of: {', '.join(KINDS_OF_OPERATION)}")
    return [
        item
        for item in catalog()
        if (connector is None or item.connector == connector)
        and (kind is None or item.kind == kind)
    ]
