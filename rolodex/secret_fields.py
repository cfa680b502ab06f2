"""Secret fields: declared once, on the output schemas, and kept out of every stored copy.

A few responses carry a secret that Rolodex shows exactly once — the ``key`` of a new API
key, the ``secret`` of a new or rotated webhook endpoint, the ``client_secret`` of a new
OAuth client. Such a field is declared with :func:`secret_field` on its output schema,
and :class:`rolodex.schemas.OutModel` registers it under the schema's ``object`` type.

Every writer of a stored copy of a response or resource — the stored responses of
Idempotency-Keys, events, logs — passes it through :func:`redact` first, which sets each
declared secret of each object it finds (at any depth) to ``null``. Nothing else needs to
know which fields are secret, and a new resource with a secret is covered by declaring
its field. In the OpenAPI document a secret field carries ``"x-secret": true``, and a
route whose response schema has one answers with ``Cache-Control: no-store``
(:func:`carries_secret`, read by the request pipeline). Log
records are masked as they are made (:func:`install_log_redaction`): Rolodex's secrets
have recognisable prefixes (``rdx_k_``, ``rdx_cs_``, ``rdx_at_``, ``rdx_rt_``, ``whsec_``).

Columns of tables are another matter: a column holds a secret's hash or ciphertext, never
the secret, and the audit log leaves out every column whose name says it holds one
(:func:`rolodex.audit.capture.is_secret_column`).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel, Field

EXTENSION = "x-secret"
"""The OpenAPI extension that marks a secret field."""

_BY_OBJECT: dict[str, frozenset[str]] = {}


def secret_field(description: str, **kwargs: Any) -> Any:
    """A field holding a secret shown only in the response that made it; ``null`` in any
    stored copy of that response (a replayed Idempotency-Key answer included)."""
    return Field(
        default=None,
        description=f"{description} Null when the response is replayed.",
        json_schema_extra={EXTENSION: True},
        **kwargs,
    )


def secret_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields of ``model`` declared with :func:`secret_field`."""
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(EXTENSION)
    )


def carries_secret(model: Any) -> bool:
    """Whether a response of schema ``model`` (an envelope or any model) can carry a
    secret field, at any depth: such a response is sent with ``Cache-Control: no-store``."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return False
    return _marks_secret(model.model_json_schema())


def _marks_secret(schema: Any) -> bool:
    if isinstance(schema, list):
        return any(_marks_secret(item) for item in schema)
    if not isinstance(schema, dict):
        return False
    return schema.get(EXTENSION) is True or any(_marks_secret(v) for v in schema.values())


def register(model: type[BaseModel]) -> None:
    """Remember the secret fields of ``model`` under its ``object`` type, if it has any."""
    fields = secret_fields(model)
    object_field = model.model_fields.get("object")
    if not fields or object_field is None or not isinstance(object_field.default, str):
        return
    kind = object_field.default
    _BY_OBJECT[kind] = _BY_OBJECT.get(kind, frozenset()) | fields


def secrets_of(object_type: str) -> frozenset[str]:
    """The secret fields declared for objects of ``object_type`` (empty for most)."""
    return _BY_OBJECT.get(object_type, frozenset())


def redact(value: Any) -> Any:
    """``value`` (JSON-like) with every declared secret of every object in it set to None.

    Objects are recognised by their ``object`` member, at any depth: a single resource, a
    list envelope, a batch's results or an event's ``data`` alike."""
    if isinstance(value, list):
        return [redact(item) for item in value]
    if not isinstance(value, dict):
        return value
    hidden = secrets_of(value["object"]) if isinstance(value.get("object"), str) else frozenset()
    return {
        name: None if name in hidden and item is not None else redact(item)
        for name, item in value.items()
    }


TOKEN_PATTERN = re.compile(r"\b(rdx_[a-z]{1,3}_|whsec_)[A-Za-z0-9_\-+/=]{8,}")
"""Rolodex's own secrets in text: API keys, OAuth client secrets and tokens, webhook
secrets (each has a recognisable prefix)."""


CALLBACK_PATTERN = re.compile(r"/integrations/oauth/callback\?[^\s\"']*")
"""The URL a remote sends a user back to after authorizing a connection, as a request
line in a log shows it: its query holds an authorization code and a state."""
_CALLBACK_SECRET = re.compile(r"\b(code|state)=(?!\[redacted\])[^&]*")


def _mask_callback(match: re.Match[str]) -> str:
    return _CALLBACK_SECRET.sub(lambda part: f"{part.group(1)}=[redacted]", match.group(0))


def redact_text(text: str) -> str:
    """``text`` with every Rolodex secret in it replaced by its prefix and ``[redacted]``,
    and the code and state of an OAuth callback's URL masked."""
    text = TOKEN_PATTERN.sub(lambda match: f"{match.group(1)}[redacted]", text)
    return CALLBACK_PATTERN.sub(_mask_callback, text)


def _redacted(value: object) -> object:
    return redact_text(value) if isinstance(value, str) else value


def redact_log_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with Rolodex secrets masked in its message, arguments and traceback."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a malformed call; the handler will report it
        return record
    if redact_text(message) == message and not record.exc_info:
        return record
    # Argument by argument first, so that formatters that read the arguments (uvicorn's
    # access log does) still find them; an argument that hides a secret inside another
    # object (a dict of tokens, say) leaves only the masked message.
    record.msg = _redacted(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redacted(arg) for arg in record.args)
    elif isinstance(record.args, dict):
        record.args = {name: _redacted(arg) for name, arg in record.args.items()}
    shown = record.getMessage()
    if redact_text(shown) != shown:
        record.msg, record.args = redact_text(shown), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
    return record


def install_log_redaction() -> None:
    """Mask Rolodex secrets in every log record of the process, whatever its logger or
    handler (uvicorn's, a test's, an operator's): installed once, by the application."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_secrets", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_log_record(previous(*args, **kwargs))

    factory.redacts_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
