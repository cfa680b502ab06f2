"""Exports import into another account: every kind exported from account A, imported
into a fresh account B and exported again gives the same file, field by field (ids and
the server's timestamps aside).

B lives on a second server with a database of its own, where its users can have the
emails of A's (emails are unique within one deployment), so that owners, assignees and
authors are mapped by email. Into an account of the same deployment, whose users are
others, what cannot be mapped is left unset and said once, and the rows still land."""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rolodex.migrate import upgrade
from tests.cli.test_data_commands import ok
from tests.conftest import PASSWORD, LiveServer, Tenant, _pg_admin, _pg_url, start_server

pytestmark = pytest.mark.live
KINDS = ("companies", "contacts", "tasks", "notes")  # the order references need
SERVER_SET = {"created_at", "updated_at"}
"""Written by the server when a record is created, so never equal across accounts."""
IDS = {"id", "company_id", "owner_id", "contact_id", "assignee_id", "author_id"}


@pytest.fixture(scope="module")
def other_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A second deployment, on a fresh database of the same backend."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('other-db') / 'other.db'}"
        name = None
    else:
        name = f"rolodex_test_{secrets.token_hex(6)}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    try:
        upgrade(url)
        with start_server(url, tmp_path_factory.mktemp("other-live")) as server:
            yield server
    finally:
        if name is not None:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Account:
    """An account reached over HTTP: its key and the calls the test makes."""

    def __init__(self, server: LiveServer, key: str, user_id: str, email: str) -> None:
        self.server, self.key, self.user_id, self.email = server, key, user_id, email
        self.http = httpx.Client(base_url=f"{server.url}/api/v1", headers={"X-API-Key": key})

    def post(self, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        response = self.http.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def cli(self, *args: str, cwd: Path) -> str:
        """``rolodex ARGS`` against this account (it must succeed): its output."""
        env = {**os.environ, "ROLODEX_URL": self.server.url, "ROLODEX_API_KEY": self.key}
        command = [sys.executable, "-m", "rolodex", *args]
        return ok(
            subprocess.run(
                command, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
            )
        )


def account_on(server: LiveServer, email: str) -> Account:
    """A new account on ``server`` whose owner has ``email`` (``rolodex init``)."""
    created = server.cli("init", "--email", email, "--password", PASSWORD, "--json")
    assert created.returncode == 0, created.stderr
    made = json.loads(created.stdout)
    return Account(server, made["api_key"], made["user_id"], email)


def add_member(account: Account, email: str) -> str:
    """A member user (no credential of their own); their id."""
    return account.post("/users", {"email": email, "first_name": "Mem", "role": "member"})["id"]


def fill(a: Account, member: str) -> tuple[dict[str, int], list[str]]:
    """Records of every kind using every field: references to the owner, to a second
    user and to none; tags with commas, nested custom fields, formula-like text, a
    contact without email, an empty address. How many of each kind were made, and the
    contacts' ids (Ada, the one without email, Nobody)."""
    acme = a.post(
        "/companies",
        {
            "name": "Acme GmbH",
            "type": "customer",
            "email": f"info-{secrets.token_hex(3)}@acme.example",
            "phone": "+49 30 100",
            "website": "https://acme.example",
            "address": {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"},
            "owner_id": member,
            "description": "Key account ✓",
            "tags": ["b2b", "key, account"],
            "custom_fields": {"tier": 1, "nested": {"a": [1, "x"]}},
        },
    )
    formula = a.post("/companies", {"name": "=Formula Ltd", "owner_id": None})
    people = [
        a.post(
            "/contacts",
            {
                "first_name": "Ada",
                "last_name": 'O\'Lovelace, "A."',
                "email": f"ada-{secrets.token_hex(3)}@example.com",
                "phone": "+44 20 7946 0000",
                "mobile_phone": "+44 7700 900000",
                "title": "Dr.",
                "job_title": "Analyst\nsecond line",
                "gender": "female",
                "birthday": "1815-12-10",
                "website": "https://ada.example",
                "address": {
                    "line1": "1 St James's Sq",
                    "line2": "Flat 2",
                    "city": "London",
                    "state": "LDN",
                    "postal_code": "SW1Y",
                    "country": "GB",
                },
                "company_id": acme["id"],
                "owner_id": member,
                "source": "import",
                "timezone": "Europe/London",
                "do_not_contact": True,
                "description": "ünïcödé — ✓",
                "tags": ["vip", "=cmd"],
                "custom_fields": {"score": 9, "flags": [True, None]},
            },
        ),
        a.post(
            "/contacts", {"first_name": "Phone", "phone": "030 123", "company_id": formula["id"]}
        ),
        a.post(
            "/contacts",
            {
                "first_name": "Nobody",
                "email": f"nobody-{secrets.token_hex(3)}@example.com",
                "owner_id": None,
            },
        ),
    ]
    ada, nobody = people[0]["id"], people[2]["id"]
    tasks = [
        a.post(
            f"/contacts/{ada}/tasks",
            {
                "title": "Call",
                "body": "About the quote",
                "due_at": "2026-12-01T09:00:00Z",
                "assignee_id": member,
            },
        ),
        a.post(
            f"/contacts/{ada}/tasks",
            {"title": "Done already", "completed": True, "assignee_id": None},
        ),
        a.post(f"/contacts/{nobody}/tasks", {"title": "@mention"}),
    ]
    notes = [
        a.post(f"/contacts/{ada}/notes", {"body": "Met, ✓", "pinned": True}),
        a.post(
            f"/contacts/{nobody}/notes",
            {"body": "By the member"},
            **{"X-Impersonate-User-Id": member},
        ),
    ]
    assert notes[1]["author_id"] == member
    counts = {"companies": 2, "contacts": len(people), "tasks": len(tasks), "notes": len(notes)}
    return counts, [p["id"] for p in people]


def comparable(kind_rows: list[dict[str, Any]]) -> list[str]:
    """Rows without ids and creation times, ``completed_at`` as whether it is set,
    as sorted JSON strings (the order of an export is the order of change)."""
    out = []
    for row in kind_rows:
        kept = {k: v for k, v in row.items() if k not in IDS and k not in SERVER_SET}
        if "completed_at" in kept:
            kept["completed_at"] = bool(kept["completed_at"])
        out.append(json.dumps(kept, sort_keys=True, ensure_ascii=False))
    return sorted(out)


def read(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
        return rows
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_every_kind_exported_from_one_account_imports_into_another_field_for_field(
    live_server: LiveServer,
    tenant: Tenant,
    other_server: LiveServer,
    tmp_path: Path,
    ext: str,
) -> None:
    a = Account(live_server, tenant.key, tenant.user_id, tenant.email)
    member_email = f"member-{secrets.token_hex(4)}@example.com"
    counts, _ = fill(a, add_member(a, member_email))
    b = account_on(other_server, tenant.email)
    b_member = add_member(b, member_email)

    for kind in KINDS:
        source, back = tmp_path / f"a-{kind}.{ext}", tmp_path / f"b-{kind}.{ext}"
        a.cli("export", kind, str(source), "--no-progress", cwd=tmp_path)
        report = json.loads(
            b.cli("import", kind, str(source), "--json", "--no-progress", cwd=tmp_path)
        )
        assert (report["created"], report["rejected"], report["notices"]) == (
            counts[kind],
            [],
            [],
        ), (kind, report)
        b.cli("export", kind, str(back), "--no-progress", cwd=tmp_path)
        exported, again = read(source), read(back)
        assert len(exported) == counts[kind]
        assert comparable(again) == comparable(exported), kind
        if ext == "csv":
            assert header(back) == header(source)
        # The references were mapped, not dropped: B's rows name B's records.
        for row in again:
            for column in IDS - {"id"}:
                if row.get(column):
                    assert row[column] not in {r.get(column) for r in exported}, (kind, column)

    # The member's records in B are the member's: mapped by email, not given to the owner.
    b_contacts = read(tmp_path / f"b-contacts.{ext}")
    assert {r["owner_id"] or None for r in b_contacts} == {b_member, b.user_id, None}
    b_notes = read(tmp_path / f"b-notes.{ext}")
    assert sorted(r["author_id"] for r in b_notes) == sorted([b.user_id, b_member])

    # The same files imported into B again: nothing changes but what has no key to match
    # on (the company and the contact without email are created again, as documented).
    report = json.loads(
        b.cli(
            "import",
            "contacts",
            str(tmp_path / f"a-contacts.{ext}"),
            "--json",
            "--no-progress",
            cwd=tmp_path,
        )
    )
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 0, 2), report


def test_an_export_imports_into_another_account_of_the_same_server_with_notices(
    live_server: LiveServer, tenant: Tenant, make_tenant: Any, tmp_path: Path
) -> None:
    """Owners, assignees and authors that are not users of the target account are left
    unset (the importing user, or none) and said once each; companies not imported are
    left unset; tags are created; a task whose contact cannot be found is rejected."""
    a = Account(live_server, tenant.key, tenant.user_id, tenant.email)
    member_email = f"member-{secrets.token_hex(4)}@example.com"
    member = add_member(a, member_email)
    counts, (_, phone_only, _) = fill(a, member)
    a.post(f"/contacts/{phone_only}/tasks", {"title": "For the contact without email"})
    other = make_tenant()
    c = Account(live_server, other.key, other.user_id, other.email)
    for kind in KINDS:
        a.cli("export", kind, str(tmp_path / f"{kind}.csv"), "--no-progress", cwd=tmp_path)

    # Contacts first, without their companies: the companies are left unset, said once.
    report = json.loads(
        c.cli(
            "import",
            "contacts",
            str(tmp_path / "contacts.csv"),
            "--json",
            "--no-progress",
            cwd=tmp_path,
        )
    )
    assert report["created"] == counts["contacts"] and report["rejected"] == [], report
    notices = report["notices"]
    assert len(notices) == 4, notices  # two owners, two companies
    assert (
        sum(member_email in n and "is not an active user of this account" in n for n in notices)
        == 1
    )
    assert sum(tenant.email in n for n in notices) == 1
    assert sum("Acme GmbH" in n and "is not a company" in n for n in notices) == 1
    assert all("left unset on 1 row" in n for n in notices), notices
    listed = c.http.get("/contacts", params={"per_page": 10}).json()["data"]
    by_name = {row["first_name"]: row for row in listed}
    assert by_name["Ada"]["owner_id"] == other.user_id  # unset: the importing user's
    assert by_name["Nobody"]["owner_id"] is None  # none in A, none here
    assert {row["company_id"] for row in listed} == {None}
    assert sorted(by_name["Ada"]["tags"]) == ["=cmd", "vip"]
    tags = {t["name"] for t in c.http.get("/tags").json()["data"]}
    assert {"vip", "=cmd"} <= tags

    # Tasks: the contact without email has none in C to be found by; its task is rejected.
    report = json.loads(
        c.cli(
            "import", "tasks", str(tmp_path / "tasks.csv"), "--json", "--no-progress", cwd=tmp_path
        )
    )
    assert report["created"] == counts["tasks"], report
    [rejected] = report["rejected"]
    assert rejected["reason"] == f"contact_id: {phone_only} is not a contact of this account"
    assert len(report["notices"]) == 2, report  # the member and the owner of A, once each
    assert [n for n in report["notices"] if n.startswith(f"assignee {member_email} (")], report
    report = json.loads(
        c.cli(
            "import", "notes", str(tmp_path / "notes.csv"), "--json", "--no-progress", cwd=tmp_path
        )
    )
    assert report["created"] == counts["notes"] and report["rejected"] == [], report
    assert [n for n in report["notices"] if "author" in n and member_email in n], report
    notes = c.http.get("/notes").json()["data"]
    assert {n["author_id"] for n in notes} == {other.user_id}
