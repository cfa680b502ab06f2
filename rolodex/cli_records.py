"""``rolodex <kind> list|get|create|update|delete[|restore]`` for every kind of
:data:`rolodex.cli_kinds.RECORD_KINDS`, built from its description: the same commands,
output (a table, or ``--json``), errors (one ``error:`` line; exit code 2 for a wrong
argument, 1 otherwise) and client calls for contacts, companies, tasks, notes and
appointments.

A kind's options differ, so each command is one function over ``**values`` whose
signature, made from the description, is what Typer reads its options from.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from rolodex.cli_kinds import Field, RecordKind
from rolodex.cli_lazy import group_of
from rolodex.cli_remote import (
    DEFAULT_URL,
    ApiKeyOption,
    AsJson,
    Url,
    connect,
    failures,
    fields_of,
    show,
    text_of,
)
from rolodex.client import Rolodex
from rolodex.dataio.formats import UsageError

LIST_LIMIT = 25
MAX_PER_PAGE = 250
UPDATED_AFTER = Field(
    "updated_after", "Only those changed after this ISO 8601 time, oldest change first."
)


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Parameter(name, keyword, annotation=annotation, default=default)


def _option(field: Field, help_: str | None = None) -> inspect.Parameter:
    """The parameter of an optional field: unset (None) unless given."""
    kind = bool | None if field.flag else str | None
    option = typer.Option(field.spelling, help=help_ or field.help)
    return _param(field.name, Annotated[kind, option], None)


def _server() -> list[inspect.Parameter]:
    return [_param("url", Url, DEFAULT_URL), _param("api_key", ApiKeyOption, None)]


def _id_argument(kind: RecordKind) -> inspect.Parameter:
    help_ = f"A {kind.singular} id ({kind.prefix}_…)."
    return _param("record_id", Annotated[str, typer.Argument(help=help_)])


def _json_output() -> inspect.Parameter:
    return _param("as_json", AsJson, False)


def _body_options(kind: RecordKind, *, update: bool) -> list[inspect.Parameter]:
    """The options that make a create or update body."""
    params = [_option(field) for field in kind.fields]
    if kind.tags:
        tag_help = "A tag name; repeat for more." + (" Replaces the tags." if update else "")
        params.append(_param("tag", Annotated[list[str] | None, typer.Option(help=tag_help)], None))
    field_help = "Any other field as NAME=VALUE (JSON values allowed"
    field_help += "; NAME=null clears it); repeatable." if update else "); repeatable."
    params.append(_param("field", Annotated[list[str] | None, typer.Option(help=field_help)], None))
    file_help = "A JSON object of fields (- for standard input); the options above win."
    params.append(_param("file", Annotated[str | None, typer.Option(help=file_help)], None))
    return params


def _command(
    function: Callable[..., None], params: list[inspect.Parameter], doc: str
) -> Callable[..., None]:
    """``function`` as Typer sees a command with ``params``."""
    function.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    function.__annotations__ = {param.name: param.annotation for param in params}
    function.__doc__ = doc
    return function


def _file_body(file: str | None) -> dict[str, Any]:
    if file is None:
        return {}
    if file != "-" and not Path(file).is_file():
        raise UsageError(f"--file {file}: no such file")
    text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"--file {file}: not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ValueError(f"--file {file}: must hold one JSON object")
    return body


def body_of(kind: RecordKind, values: dict[str, Any]) -> dict[str, Any]:
    """The request body of a create or update: ``--file``, then the field options, the
    tags and ``--field`` on top."""
    body = _file_body(values["file"])
    body.update({f.name: values[f.name] for f in kind.fields if values[f.name] is not None})
    if values.get("tag"):
        body["tags"] = values["tag"]
    body.update(fields_of(values["field"]))
    return body


class Records:
    """One kind's calls through the client: at ``/<plural>``, or for kinds under a
    contact at ``/contacts/{id}/<plural>``, after finding the record's contact."""

    def __init__(self, kind: RecordKind, client: Rolodex) -> None:
        self.kind = kind
        self.client = client
        self.listed = getattr(client, kind.plural)

    def _of_contact(self, contact_id: str) -> Any:
        return getattr(self.client.contacts, self.kind.plural)(contact_id)

    def _found(self, record_id: str) -> dict[str, Any]:
        """A record under a contact, as ``/<plural>?ids=`` lists it."""
        for record in self.listed.list(ids=record_id, per_page=1):
            found: dict[str, Any] = record.to_dict()
            return found
        raise ValueError(f"no {self.kind.singular} with id {record_id!r}")

    def _writer(self, record_id: str) -> Any:
        if self.kind.under_contact:
            return self._of_contact(self._found(record_id)["contact_id"])
        return self.listed

    def list(self, limit: int, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """At most ``limit`` records matching the filters."""
        rows: list[dict[str, Any]] = []
        for record in self.listed.list(per_page=min(limit, MAX_PER_PAGE), **filters):
            rows.append(record.to_dict())
            if len(rows) >= limit:
                break
        return rows

    def get(self, record_id: str) -> dict[str, Any]:
        """One record."""
        if self.kind.under_contact:
            return self._found(record_id)
        data: dict[str, Any] = self.listed.get(record_id).to_dict()
        return data

    def create(self, body: dict[str, Any], contact_id: str | None) -> dict[str, Any]:
        """A new record (under ``contact_id`` for kinds under a contact)."""
        writer = self._of_contact(contact_id) if contact_id is not None else self.listed
        data: dict[str, Any] = writer.create(body).to_dict()
        return data

    def update(self, record_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The record with the fields of ``body`` changed."""
        data: dict[str, Any] = self._writer(record_id).update(record_id, body).to_dict()
        return data

    def delete(self, record_id: str) -> None:
        """Delete the record (softly)."""
        self._writer(record_id).delete(record_id)

    def restore(self, record_id: str) -> dict[str, Any]:
        """Bring a deleted record back (restorable kinds)."""
        data: dict[str, Any] = self.listed.restore(record_id).to_dict()
        return data


def _records(kind: RecordKind, values: dict[str, Any]) -> Records:
    return Records(kind, connect(values["url"], values["api_key"]))


def _print_table(kind: RecordKind, rows: list[dict[str, Any]]) -> None:
    table = Table(*kind.columns)
    for row in rows:
        table.add_row(*(text_of(row.get(column)) for column in kind.columns))
    Console(width=None if sys.stdout.isatty() else 240).print(table)


def _list_command(kind: RecordKind) -> Callable[..., None]:
    filters = (*kind.filters, UPDATED_AFTER)

    def list_records(**values: Any) -> None:
        with failures():
            query = {f.name: values[f.name] for f in filters if values[f.name] is not None}
            rows = _records(kind, values).list(values["limit"], query)
        if values["as_json"]:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            _print_table(kind, rows)

    limit_help = f"At most this many {kind.plural}."
    limit = _param("limit", Annotated[int, typer.Option(min=1, help=limit_help)], LIST_LIMIT)
    params = [*_server(), *(_option(f) for f in filters), limit, _json_output()]
    order = "newest first; oldest change first with --updated-after"
    return _command(list_records, params, f"List {kind.plural} ({order}).")


def _get_command(kind: RecordKind) -> Callable[..., None]:
    def get_record(**values: Any) -> None:
        with failures():
            data = _records(kind, values).get(values["record_id"])
        show(data, values["as_json"])

    params = [_id_argument(kind), *_server(), _json_output()]
    return _command(get_record, params, f"Show one {kind.singular}.")


def _create_command(kind: RecordKind) -> Callable[..., None]:
    def create_record(**values: Any) -> None:
        with failures():
            body = body_of(kind, values)
            data = _records(kind, values).create(body, values.get("contact"))
        show(data, values["as_json"])

    params = _server()
    if kind.under_contact:
        contact_help = f"The contact (cnt_…) the {kind.singular} is about."
        params.append(_param("contact", Annotated[str, typer.Option(help=contact_help)]))
    params += [*_body_options(kind, update=False), _json_output()]
    return _command(create_record, params, f"Create a {kind.singular}.")


def _update_command(kind: RecordKind) -> Callable[..., None]:
    def update_record(**values: Any) -> None:
        with failures():
            body = body_of(kind, values)
            if not body:
                raise UsageError("nothing to change: give at least one field option")
            data = _records(kind, values).update(values["record_id"], body)
        show(data, values["as_json"])

    params = [_id_argument(kind), *_server(), *_body_options(kind, update=True), _json_output()]
    doc = f"Change the fields given of a {kind.singular}; the others stay as they are."
    return _command(update_record, params, doc)


def _delete_command(kind: RecordKind) -> Callable[..., None]:
    def delete_record(**values: Any) -> None:
        with failures():
            _records(kind, values).delete(values["record_id"])
        print(f"{kind.singular.capitalize()} {values['record_id']} deleted.")

    doc = f"Delete a {kind.singular}"
    doc += f" (soft: `rolodex {kind.plural} restore` brings it back)." if kind.restorable else "."
    return _command(delete_record, [_id_argument(kind), *_server()], doc)


def _restore_command(kind: RecordKind) -> Callable[..., None]:
    def restore_record(**values: Any) -> None:
        with failures():
            data = _records(kind, values).restore(values["record_id"])
        show(data, values["as_json"])

    params = [_id_argument(kind), *_server(), _json_output()]
    return _command(restore_record, params, f"Bring back a deleted {kind.singular}.")


def record_app(kind: RecordKind) -> typer.Typer:
    """The Typer app of ``rolodex <kind>``."""
    app = typer.Typer(help=kind.help, no_args_is_help=True)
    app.command("list")(_list_command(kind))
    app.command("get")(_get_command(kind))
    app.command("create")(_create_command(kind))
    app.command("update")(_update_command(kind))
    app.command("delete")(_delete_command(kind))
    if kind.restorable:
        app.command("restore")(_restore_command(kind))
    return app


def record_group(kind: RecordKind) -> Any:
    """The click group of ``rolodex <kind>``, as :data:`rolodex.cli.LAZY` loads it."""
    return group_of(record_app(kind), kind.plural)
