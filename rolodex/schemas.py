"""Bases of request and response schemas.

A write schema refuses unknown fields but quietly ignores the read-only ones a client
gets back from a GET (``id``, ``object``, timestamps…), so that GET → edit → PUT works.
Its PATCH twin is derived, not written again: :func:`partial`. Every string it is sent,
however deeply nested and dictionary keys included, must be storable text (no NUL, no lone
surrogate: :func:`rolodex.validation.clean_text`), so no field a schema forgot to type as
text can carry one to the database.

Every surface that shows a resource — a response, an event's ``data``, a batch result —
turns it into JSON through its output schema with :func:`dump`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, create_model, field_validator, model_validator

from rolodex.secret_fields import register as register_secret_fields
from rolodex.validation import clean_text

SERVER_FIELDS = frozenset({"id", "object", "created_at", "updated_at", "deleted_at"})


class WriteModel(BaseModel):
    """A request body: unknown fields are an error, server-set fields are ignored."""

    model_config = ConfigDict(extra="forbid")
    read_only: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, value: Any) -> Any:
        if isinstance(value, dict):
            ignored = SERVER_FIELDS | cls.read_only
            return {k: v for k, v in value.items() if k not in ignored}
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        _check_strings(value)
        return value


def _check_strings(value: Any) -> None:
    """Raise ``ValueError`` for a string anywhere in ``value`` that no database can store.
    Nested write models have checked their own fields already."""
    if isinstance(value, str):
        clean_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_strings(item)


def partial(model: type[WriteModel], name: str) -> type[WriteModel]:
    """The PATCH form of a write schema: every field optional, only those sent apply."""
    fields: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        # Top-level Annotated metadata (lengths, validators) lives apart from the
        # annotation; put it back so that PATCH checks a value exactly as POST does.
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[field] = (annotation | None, None)
    patch: type[WriteModel] = create_model(name, __base__=model, **fields)
    patch.__doc__ = f"Fields of {model.__name__} to change; only those sent are applied."
    return patch


class OutModel(BaseModel):
    """A resource as the API shows it. Fields declared with
    :func:`rolodex.secret_fields.secret_field` are registered under the schema's ``object``
    type, so that no stored copy keeps them."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        register_secret_fields(cls)

    id: str
    created_at: datetime
    updated_at: datetime


def dump(schema: type[BaseModel], obj: Any) -> dict[str, Any]:
    """A resource (an ORM object) as the API shows it: through its output schema, as
    JSON values."""
    return schema.model_validate(obj, from_attributes=True).model_dump(mode="json")
