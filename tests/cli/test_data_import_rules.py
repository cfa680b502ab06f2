"""How an import treats the rows of a file, against a live server: empty list and object
cells, rows without an email, repeated emails with ``--match-on id``, every reason of a
rejected row, blank lines and progress; and what export says, where, in what words."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from rolodex.client import Rolodex
from rolodex.dataio.importer import import_rows, open_rows
from rolodex.dataio.kinds import CONTACTS
from tests.cli.test_data_commands import (
    import_report,
    ok,
    one_line_error,
    read_csv,
    rolodex,
    write_csv,
)
from tests.conftest import LiveServer, Tenant

pytestmark = pytest.mark.live


def contact(tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.post("/contacts", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_an_empty_list_or_object_cell_is_empty_on_create_and_unchanged_on_update(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    kept = contact(
        tenant,
        {
            "first_name": "Old",
            "email": f"kept-{tag}@example.com",
            "tags": ["vip"],
            "custom_fields": {"k": 1},
            "address": {"city": "Bonn"},
        },
    )
    cleared = contact(
        tenant,
        {
            "first_name": "Clear",
            "email": f"clear-{tag}@example.com",
            "tags": ["vip"],
            "custom_fields": {"k": 1},
        },
    )
    source = tmp_path / "empty.csv"
    empty = {"tags": "", "custom_fields": "", "address.city": "", "address.country": ""}
    write_csv(
        source,
        [
            {"first_name": "New", "email": f"new-{tag}@example.com", **empty},
            {"first_name": "Renamed", "email": kept["email"], **empty},
            {
                "first_name": "Clear",
                "email": cleared["email"],
                **empty,
                "tags": "[]",
                "custom_fields": "{}",
            },
        ],
    )
    report = import_report(live_server, tenant, source, tmp_path)
    assert (report["created"], report["updated"], report["rejected"]) == (1, 2, []), report

    new = tenant.get("/contacts", params={"email": f"new-{tag}@example.com"}).json()["data"][0]
    assert (new["tags"], new["custom_fields"], new["address"]) == ([], {}, None)
    after = tenant.get(f"/contacts/{kept['id']}").json()["data"]
    assert after["first_name"] == "Renamed"
    assert (after["tags"], after["custom_fields"], after["address"]) == (
        ["vip"],
        {"k": 1},
        kept["address"],
    )
    after = tenant.get(f"/contacts/{cleared['id']}").json()["data"]
    assert (after["tags"], after["custom_fields"]) == ([], {})

    # JSON Lines: a null list or object means the same as an empty cell.
    lines = tmp_path / "empty.jsonl"
    lines.write_text(
        json.dumps({"email": kept["email"], "tags": None, "custom_fields": None, "address": None})
        + "\n",
        encoding="utf-8",
    )
    report = import_report(live_server, tenant, lines, tmp_path)
    assert (report["unchanged"], report["rejected"]) == (1, []), report


def test_a_row_without_an_email_creates_a_contact_by_default(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    email = f"with-{secrets.token_hex(3)}@example.com"
    source = tmp_path / "mixed.csv"
    source.write_text(f"first_name,phone,email\nNo,+49 30 1,\nYes,,{email}\n", encoding="utf-8")
    dry = import_report(live_server, tenant, source, tmp_path, "--dry-run")
    assert (dry["created"], dry["rejected"]) == (2, []), dry
    report = import_report(live_server, tenant, source, tmp_path)
    assert (report["created"], report["rejected"]) == (2, []), report
    listed = tenant.get("/contacts", params={"q": "+49 30 1"}).json()["data"]
    assert [(c["first_name"], c["email"]) for c in listed] == [("No", None)]
    # Again: the row with an email matches; the one without creates another contact.
    again = import_report(live_server, tenant, source, tmp_path)
    assert (again["created"], again["unchanged"]) == (1, 1), again


def test_matching_on_id_does_not_care_about_repeated_emails(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    email = f"twice-{secrets.token_hex(3)}@example.com"
    first = contact(tenant, {"first_name": "One", "email": email})
    second = contact(tenant, {"first_name": "Two", "email": email.upper()})
    exported = tmp_path / "mine.csv"
    ok(rolodex(live_server, tenant, "export", "contacts", str(exported), cwd=tmp_path))

    by_id = import_report(live_server, tenant, exported, tmp_path, "--match-on", "id")
    assert (by_id["unchanged"], by_id["rejected"]) == (2, []), by_id
    # Matching on email, the second row is a repeat, as documented.
    by_email = import_report(live_server, tenant, exported, tmp_path)
    assert [r["reason"] for r in by_email["rejected"]] == ["email: repeats the email of line 2"]

    # A changed row updates its own contact; a row with an id of no contact here (or
    # none) is created; a repeated id is rejected, naming the first line.
    rows = read_csv(exported)
    by_id_rows = {row["id"]: row for row in rows}
    by_id_rows[second["id"]]["last_name"] = "Changed"
    foreign = dict(by_id_rows[first["id"]], id="cnt_01jd6w3q0000000000000000zz", email="")
    no_id = dict(by_id_rows[first["id"]], id="", email="", first_name="Fresh")
    repeated = dict(by_id_rows[first["id"]], last_name="Repeat")
    edited = tmp_path / "edited.csv"
    write_csv(edited, [*by_id_rows.values(), foreign, no_id, repeated])
    report = import_report(live_server, tenant, edited, tmp_path, "--match-on", "id")
    assert (report["created"], report["updated"], report["unchanged"]) == (2, 1, 1), report
    assert [r["reason"] for r in report["rejected"]] == [
        f"id: repeats the id of line {2 + [*by_id_rows].index(first['id'])}"
    ]
    assert tenant.get(f"/contacts/{second['id']}").json()["data"]["last_name"] == "Changed"


def test_a_rejected_row_lists_every_reason(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    email = f"dup-{secrets.token_hex(3)}@example.com"
    source = tmp_path / "bad.csv"
    write_csv(
        source,
        [
            {"first_name": "Ok", "email": email, "birthday": "", "custom_fields": ""},
            # a repeat with a bad birthday and bad JSON: three reasons
            {"first_name": "Dup", "email": email, "birthday": "soon", "custom_fields": "{x"},
            # two reasons from the server
            {
                "first_name": "Bad",
                "email": "not-an-email",
                "birthday": "31.12.1999",
                "custom_fields": "",
            },
        ],
    )
    report = import_report(live_server, tenant, source, tmp_path)
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [3, 4], report
    assert "custom_fields: is not valid JSON" in reasons[3]
    assert "email: repeats the email of line 2" in reasons[3]
    assert "birthday: must be a date" in reasons[3]
    assert reasons[4].startswith("email: is not a valid email address")
    assert "birthday: must be a date" in reasons[4]


def test_a_blank_last_line_is_no_error_and_progress_reaches_the_end(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    source = tmp_path / "blank.jsonl"
    source.write_text(
        "".join(
            json.dumps({"first_name": f"P{i}", "email": f"p{i}-{tag}@example.com"}) + "\n"
            for i in range(3)
        )
        + "\n",
        encoding="utf-8",
    )
    seen: list[int] = []
    with Rolodex(tenant.key, base_url=live_server.url) as client:
        report = import_rows(
            client,
            CONTACTS,
            open_rows(source, "jsonl", {}, CONTACTS),
            on_start=seen.append,
            on_progress=seen.append,
        )
    assert report.summary() == "3 rows: 3 were created, 0 updated, 0 unchanged, 0 rejected"
    assert seen[0] == 4 and seen[-1] == 4, seen  # the total, and all of it done
    result = rolodex(live_server, tenant, "import", "contacts", str(source), cwd=tmp_path)
    assert "3 rows: 0 were created, 0 updated, 3 unchanged, 0 rejected" in ok(result)
    assert "4/4" in result.stderr  # the progress bar's last state


def test_export_refuses_an_unknown_extension_and_keeps_stdout_for_the_data(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    contact(tenant, {"first_name": "Only", "email": f"only-{secrets.token_hex(3)}@example.com"})
    refused = rolodex(live_server, tenant, "export", "contacts", "out.xml", cwd=tmp_path)
    assert "--format" in one_line_error(refused, 2)
    assert not (tmp_path / "out.xml").exists()
    out = ok(
        rolodex(
            live_server, tenant, "export", "contacts", "out.xml", "--format", "jsonl", cwd=tmp_path
        )
    )
    assert out.startswith("1 contact written to out.xml\nnext incremental export: ")
    assert json.loads((tmp_path / "out.xml").read_text(encoding="utf-8"))["first_name"] == "Only"

    result = rolodex(
        live_server, tenant, "export", "contacts", "-", "--format", "jsonl", cwd=tmp_path
    )
    assert [json.loads(line)["first_name"] for line in ok(result).splitlines()] == ["Only"]
    said = result.stderr.splitlines()
    assert said[0] == "1 contact written to stdout"
    since = said[1].removeprefix("next incremental export: --updated-after ")
    assert since != said[1]
    delta = rolodex(
        live_server, tenant, "export", "contacts", "-", "--updated-after", since, cwd=tmp_path
    )
    assert len(ok(delta).splitlines()) == 1  # the header only: nothing changed since
    assert "0 contacts written to stdout" in delta.stderr

    report = rolodex(
        live_server, tenant, "import", "contacts", str(tmp_path / "out.xml"), cwd=tmp_path
    )
    assert "--format" in one_line_error(report, 2)
    bad_match = rolodex(
        live_server,
        tenant,
        "import",
        "tasks",
        str(tmp_path / "out.xml"),
        "--format",
        "jsonl",
        "--match-on",
        "email",
        cwd=tmp_path,
    )
    assert "tasks are matched on id" in one_line_error(bad_match, 2)
