"""``rolodex contacts|companies|tasks|notes|appointments``, each kind through the same
steps against a live server: create, get, list (filtered, JSON and table), update,
refusals (nothing to change, an invalid value), delete, restore where the kind has it,
and a missing id; then the options every kind shares (``--file``, ``--field``) and the
wrong arguments that exit with 2 before anything is sent."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import run_cli
from tests.cli.test_data_commands import ok, one_line_error, rolodex
from tests.conftest import LiveServer, Tenant

CONTACT = "{contact}"  # stands for the id of a contact made for the test
TOKEN = "{token}"  # stands for a random word, so that a filter finds only this record


@dataclass(frozen=True)
class Case:
    """One kind's walk: the options of each step and what the record then holds."""

    plural: str
    create: tuple[str, ...]
    created: dict[str, Any]
    update: tuple[str, ...]
    updated: dict[str, Any]
    invalid: tuple[str, ...]
    filter: tuple[str, ...]
    missing_id: str
    missing: str
    restorable: bool = False
    unchanged: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "contacts",
        create=("--first-name", "Ada", "--email", f"{TOKEN}@example.com", "--tag", "vip",
                "--field", 'custom_fields={"k": 1}'),
        created={"first_name": "Ada", "email": f"{TOKEN}@example.com", "tags": ["vip"],
                 "custom_fields": {"k": 1}},
        update=("--last-name", "Lovelace", "--tag", "new", "--field", "phone=null"),
        updated={"last_name": "Lovelace", "tags": ["new"], "phone": None},
        unchanged={"first_name": "Ada"},
        invalid=("--email", "not-an-email"),
        filter=("--email", f"{TOKEN}@example.com"),
        missing_id="cnt_01jd6w3q0000000000000000zz",
        missing="404 NOT_FOUND",
        restorable=True,
    ),
    Case(
        "companies",
        create=("--name", f"Acme {TOKEN}", "--type", "customer", "--tag", "vip"),
        created={"name": f"Acme {TOKEN}", "type": "customer", "tags": ["vip"]},
        update=("--website", "https://acme.example.com", "--field", "type=null"),
        updated={"website": "https://acme.example.com", "type": None},
        unchanged={"name": f"Acme {TOKEN}"},
        invalid=("--type", "bogus"),
        filter=("--q", TOKEN),
        missing_id="cmp_01jd6w3q0000000000000000zz",
        missing="404 NOT_FOUND",
        restorable=True,
    ),
    Case(
        "tasks",
        create=("--contact", CONTACT, "--title", "Call", "--due-at", "2026-12-01T09:00:00Z"),
        created={"title": "Call", "contact_id": CONTACT, "completed": False},
        update=("--completed", "--body", "Done."),
        updated={"completed": True, "body": "Done."},
        unchanged={"title": "Call", "contact_id": CONTACT},
        invalid=("--due-at", "someday"),
        filter=("--contact", CONTACT),
        missing_id="tsk_01jd6w3q0000000000000000zz",
        missing="no task with id",
    ),
    Case(
        "notes",
        create=("--contact", CONTACT, "--body", "Met.", "--pinned"),
        created={"body": "Met.", "contact_id": CONTACT, "pinned": True},
        update=("--no-pinned", "--field", "body=Met again."),
        updated={"pinned": False, "body": "Met again."},
        unchanged={"contact_id": CONTACT},
        invalid=("--field", "body=null"),
        filter=("--contact", CONTACT),
        missing_id="nte_01jd6w3q0000000000000000zz",
        missing="no note with id",
    ),
    Case(
        "appointments",
        create=("--contact", CONTACT, "--title", "Kick-off", "--starts-at",
                "2026-12-01T09:00:00Z"),
        created={"title": "Kick-off", "contact_id": CONTACT, "status": "scheduled"},
        update=("--status", "confirmed", "--location", "Room 1"),
        updated={"status": "confirmed", "location": "Room 1"},
        unchanged={"title": "Kick-off"},
        invalid=("--status", "bogus"),
        filter=("--contact", CONTACT),
        missing_id="apt_01jd6w3q0000000000000000zz",
        missing="no appointment with id",
    ),
]  # fmt: skip


def _filled(value: Any, words: dict[str, str]) -> Any:
    """``value`` with the placeholders replaced, in strings, lists and dicts."""
    if isinstance(value, str):
        for placeholder, word in words.items():
            value = value.replace(placeholder, word)
        return value
    if isinstance(value, list | tuple):
        return type(value)(_filled(v, words) for v in value)
    if isinstance(value, dict):
        return {k: _filled(v, words) for k, v in value.items()}
    return value


def _subset(data: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    return {name: data.get(name) for name in expected}


@pytest.mark.live
@pytest.mark.parametrize("case", CASES, ids=[case.plural for case in CASES])
def test_each_kind_is_created_shown_listed_changed_and_deleted(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path, case: Case
) -> None:
    contact = tenant.post("/contacts", json={"first_name": "About"}).json()["data"]["id"]
    words = {CONTACT: contact, TOKEN: f"rec{secrets.token_hex(4)}"}

    def cli(*args: str) -> Any:
        return rolodex(live_server, tenant, case.plural, *args, cwd=tmp_path)

    created = json.loads(ok(cli("create", *_filled(case.create, words), "--json")))
    assert _subset(created, _filled(case.created, words)) == _filled(case.created, words)
    record_id = created["id"]
    assert json.loads(ok(cli("get", record_id, "--json"))) == created
    shown = ok(cli("get", record_id))  # a table of fields
    assert record_id in shown and "created_at" in shown

    listed = json.loads(ok(cli("list", *_filled(case.filter, words), "--json")))
    assert [row["id"] for row in listed] == [record_id]
    assert record_id in ok(cli("list", *_filled(case.filter, words)))
    assert len(json.loads(ok(cli("list", "--limit", "1", "--json")))) == 1

    updated = json.loads(ok(cli("update", record_id, *_filled(case.update, words), "--json")))
    expected = {**_filled(case.updated, words), **_filled(case.unchanged, words)}
    assert _subset(updated, expected) == expected
    assert "nothing to change" in one_line_error(cli("update", record_id), 2)
    assert "VALIDATION_ERROR" in one_line_error(cli("update", record_id, *case.invalid))

    said = ok(cli("delete", record_id))
    assert record_id in said and "deleted" in said
    one_line_error(cli("get", record_id))
    if case.restorable:
        restored = json.loads(ok(cli("restore", record_id, "--json")))
        assert restored["id"] == record_id and restored["deleted_at"] is None
        assert json.loads(ok(cli("get", record_id, "--json")))["deleted_at"] is None
    else:
        assert "No such command" in one_line_error(cli("restore", record_id), 2)
    assert case.missing in one_line_error(cli("get", case.missing_id))
    assert case.missing in one_line_error(cli("delete", case.missing_id))


@pytest.mark.live
def test_a_file_gives_the_body_and_options_win_over_it(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    contact = tenant.post("/contacts", json={"first_name": "About"}).json()["data"]["id"]
    body = tmp_path / "task.json"
    body.write_text(json.dumps({"title": "From the file", "body": "Kept."}), encoding="utf-8")
    args = ("tasks", "create", "--contact", contact, "--file", str(body))
    created = json.loads(ok(rolodex(live_server, tenant, *args, "--title", "Given", "--json",
                                    cwd=tmp_path)))  # fmt: skip
    assert (created["title"], created["body"]) == ("Given", "Kept.")
    body.write_text("[1, 2]", encoding="utf-8")
    refused = rolodex(live_server, tenant, *args, cwd=tmp_path)
    assert "one JSON object" in one_line_error(refused)
    assert tenant.get("/tasks", params={"contact_id": contact}).json()["meta"]["total"] == 1


@pytest.mark.parametrize("plural", ["contacts", "companies", "tasks", "notes", "appointments"])
def test_wrong_arguments_exit_with_2_before_anything_is_sent(tmp_path, plural) -> None:
    no_key = run_cli(tmp_path, plural, "list", ROLODEX_API_KEY="")
    assert "API key" in one_line_error(no_key, 2)
    bad_url = run_cli(tmp_path, plural, "get", "x_1", "--url", "ftp://x", ROLODEX_API_KEY="k")
    assert "--url must start with http" in one_line_error(bad_url, 2)
    update = (plural, "update", "x_1")
    bad_field = run_cli(tmp_path, *update, "--field", "no-equals", ROLODEX_API_KEY="k")
    assert "NAME=VALUE" in one_line_error(bad_field, 2)
    no_file = run_cli(tmp_path, *update, "--file", "missing.json", ROLODEX_API_KEY="k")
    assert "no such file" in one_line_error(no_file, 2)
