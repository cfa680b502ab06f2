"""``rolodex contacts update|delete|restore``: change contacts on a server, through the
client library. They join ``rolodex contacts list|get|create`` (rolodex/dataio/commands.py)
under one ``rolodex contacts`` (rolodex/cli.py puts them together)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rolodex.cli_remote import (
    DEFAULT_URL,
    ApiKeyOption,
    AsJson,
    Url,
    connect,
    failures,
    fields_of,
    show,
)

contacts_edit_app = typer.Typer(no_args_is_help=True)
ContactId = Annotated[str, typer.Argument(help="A contact id (cnt_…).")]


@contacts_edit_app.command("update")
def contacts_update(
    contact_id: ContactId,
    url: Url = DEFAULT_URL,
    api_key: ApiKeyOption = None,
    first_name: Annotated[str | None, typer.Option()] = None,
    last_name: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    tag: Annotated[
        list[str] | None, typer.Option(help="A tag name; repeat for more. Replaces the tags.")
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            help="Any other field as NAME=VALUE (JSON values allowed; NAME=null clears it); "
            "repeatable."
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Change the fields given of a contact; the others stay as they are."""
    with failures():
        body: dict[str, Any] = {
            name: value
            for name, value in {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phone": phone,
            }.items()
            if value is not None
        }
        if tag:
            body["tags"] = tag
        body.update(fields_of(field))
        if not body:
            raise ValueError("nothing to change: give at least one field option")
        data = connect(url, api_key).contacts.update(contact_id, body).to_dict()
    show(data, as_json)


@contacts_edit_app.command("delete")
def contacts_delete(
    contact_id: ContactId, url: Url = DEFAULT_URL, api_key: ApiKeyOption = None
) -> None:
    """Delete a contact (soft: `rolodex contacts restore` brings it back)."""
    with failures():
        connect(url, api_key).contacts.delete(contact_id)
    print(f"Contact {contact_id} deleted.")


@contacts_edit_app.command("restore")
def contacts_restore(
    contact_id: ContactId,
    url: Url = DEFAULT_URL,
    api_key: ApiKeyOption = None,
    as_json: AsJson = False,
) -> None:
    """Bring back a deleted contact."""
    with failures():
        data = connect(url, api_key).contacts.restore(contact_id).to_dict()
    show(data, as_json)
