"""The data commands against a live server: contacts list/get/create, import (round trip
of every field, upsert twice changing nothing, dry run, mapping, malformed rows reported
row by row while good rows land) and export (every kind, incremental)."""

from __future__ import annotations

import csv
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, Tenant

pytestmark = pytest.mark.live
ADDRESS = ("line1", "line2", "city", "state", "postal_code", "country")


def rolodex(
    server: LiveServer, tenant: Tenant, *args: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ROLODEX_URL": server.url, "ROLODEX_API_KEY": tenant.key}
    return subprocess.run(
        [sys.executable, "-m", "rolodex", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The one ``error:`` line of a failed command (exit code 2 for a wrong argument)."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def full_row(i: int, tag: str) -> dict[str, str]:
    """A contact with every writable field set (CSV cells)."""
    return {
        "first_name": f"Fïrst {i}",
        "last_name": f'O\'Last, "{i}"',
        "email": f"row{i}-{tag}@example.com",
        "phone": f"+49 30 {i:06d}",
        "mobile_phone": f"+49 170 {i:06d}",
        "title": "Dr." if i % 2 else "",
        "job_title": f"Engineer\nline two {i}",
        "gender": "female" if i % 3 else "male",
        "birthday": f"19{50 + i % 50:02d}-0{1 + i % 9}-1{i % 10}",
        "website": f"https://example.com/{i}",
        "address.line1": f"Street {i}",
        "address.line2": "" if i % 4 else "Back building",
        "address.city": "Berlin",
        "address.state": "",
        "address.postal_code": f"{10000 + i}",
        "address.country": "DE",
        "source": "import",
        "timezone": "Europe/Berlin",
        "do_not_contact": "true" if i % 5 == 0 else "false",
        "description": f"Row {i} — ünïcödé ✓",
        "tags": "customer,vip" if i % 2 else "lead",
        "custom_fields": json.dumps({"score": i, "nested": {"a": [1, "x"]}}, sort_keys=True),
    }


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def import_report(
    live_server: LiveServer, tenant: Tenant, source: Path, cwd: Path, *flags: str
) -> dict[str, Any]:
    """``rolodex import contacts SOURCE --json`` (it must succeed): its report."""
    args = ("import", "contacts", str(source), "--json", "--no-progress", *flags)
    report: dict[str, Any] = json.loads(ok(rolodex(live_server, tenant, *args, cwd=cwd)))
    return report


def audit_count(tenant: Tenant) -> int:
    return int(tenant.get("/audit-log", params={"per_page": 1}).json()["meta"]["total"])


def test_contacts_create_get_and_list(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    email = f"cli-{secrets.token_hex(4)}@example.com"
    created = json.loads(
        ok(
            rolodex(
                live_server,
                tenant,
                "contacts",
                "create",
                "--first-name",
                "Ada",
                "--email",
                email,
                "--tag",
                "vip",
                "--field",
                'custom_fields={"k": 1}',
                "--json",
                cwd=tmp_path,
            )
        )
    )
    assert created["email"] == email and created["tags"] == ["vip"]
    assert created["custom_fields"] == {"k": 1}
    got = json.loads(
        ok(rolodex(live_server, tenant, "contacts", "get", created["id"], "--json", cwd=tmp_path))
    )
    assert got == created
    table = ok(rolodex(live_server, tenant, "contacts", "list", "--email", email, cwd=tmp_path))
    assert created["id"] in table and "Ada" in table
    listed = json.loads(
        ok(rolodex(live_server, tenant, "contacts", "list", "--json", "--limit", "1", cwd=tmp_path))
    )
    assert len(listed) == 1

    missing = rolodex(
        live_server, tenant, "contacts", "get", "cnt_01jd6w3q0000000000000000zz", cwd=tmp_path
    )
    assert "404 NOT_FOUND" in one_line_error(missing)
    invalid = rolodex(live_server, tenant, "contacts", "create", "--email", "nope", cwd=tmp_path)
    assert "VALIDATION_ERROR" in one_line_error(invalid)
    bad_key = subprocess.run(
        [
            sys.executable,
            "-m",
            "rolodex",
            "contacts",
            "list",
            "--url",
            live_server.url,
            "--api-key",
            "rdx_k_wrong",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("ROLODEX_")},
    )
    assert "401 UNAUTHORIZED" in one_line_error(bad_key)
    no_key = subprocess.run(
        [sys.executable, "-m", "rolodex", "contacts", "list", "--url", live_server.url],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if not k.startswith("ROLODEX_")},
    )
    assert "API key" in one_line_error(no_key, 2)
    unreachable = subprocess.run(
        [
            sys.executable,
            "-m",
            "rolodex",
            "contacts",
            "list",
            "--url",
            "http://127.0.0.1:1",
            "--api-key",
            "rdx_k_x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert "failed" in one_line_error(unreachable)


def test_import_and_export_round_trip_every_field_and_upsert_twice_changes_nothing(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    rows = [full_row(i, tag) for i in range(300)]
    source = tmp_path / "contacts.csv"
    write_csv(source, rows)
    report = import_report(live_server, tenant, source, tmp_path)
    assert report["created"] == 300 and report["rejected"] == [], report

    exported = tmp_path / "export.csv"
    out = ok(rolodex(live_server, tenant, "export", "contacts", str(exported), cwd=tmp_path))
    assert "300 contacts written" in out
    back = {row["email"]: row for row in read_csv(exported)}
    assert len(back) == 300
    for row in rows:
        got = back[row["email"]]
        for column, value in row.items():
            if column == "custom_fields":
                assert json.loads(got[column]) == json.loads(value), column
            elif column == "tags":
                assert sorted(got[column].split(",")) == sorted(value.split(",")), column
            elif column in ("phone", "mobile_phone"):
                # "+49 …" would run as a formula in a spreadsheet: quoted on export.
                assert got[column] == f"'{value}", (column, got[column], value)
            else:
                assert got[column] == value, (column, got[column], value)
        assert got["id"].startswith("cnt_") and got["owner_id"] == tenant.user_id

    before = audit_count(tenant)
    again = import_report(live_server, tenant, source, tmp_path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 300), again
    assert again["rejected"] == [], again
    # The exported file itself, ids and timestamps included, also changes nothing.
    third = import_report(live_server, tenant, exported, tmp_path)
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 0, 300), third
    assert audit_count(tenant) == before

    # JSON Lines: every contact exported, and imported back it changes nothing either.
    jsonl = tmp_path / "export.jsonl"
    ok(rolodex(live_server, tenant, "export", "contacts", str(jsonl), cwd=tmp_path))
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert {line["object"] for line in lines} == {"contact"}
    assert sorted(line["email"] for line in lines) == sorted(row["email"] for row in rows)
    fourth = import_report(live_server, tenant, jsonl, tmp_path)
    assert (fourth["created"], fourth["updated"], fourth["unchanged"]) == (0, 0, 300), fourth
    assert audit_count(tenant) == before


def test_a_malformed_csv_is_reported_row_by_row_and_the_good_rows_land(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    tag = secrets.token_hex(3)
    good = [f"good{i}-{tag}@example.com" for i in range(3)]
    raw = (
        b"first_name,last_name,email\n"
        + f"Ana,One,{good[0]}\n".encode()  # line 2
        + b"B\xe9a,Latin1,latin1@example.com\n"  # line 3: not UTF-8
        + b"Ragged,Row\n"  # line 4: two cells
        + b"Bad,Email,not-an-email\n"  # line 5
        + f"Cleo,Two,{good[1]}\n".encode()  # line 6
        + f"Dup,Three,{good[0].upper()}\n".encode()  # line 7: repeats line 2
        + b"Too,Many,x@example.com,extra\n"  # line 8
        + b",,\n"  # line 9: empty
        + f"Dee,Four,{good[2]}\n".encode()  # line 10
        + b"Worse,Email,a@@b\n"  # line 11
    )
    source = tmp_path / "bad.csv"
    source.write_bytes(raw)
    report_file = tmp_path / "rejected.csv"
    result = rolodex(
        live_server,
        tenant,
        "import",
        "contacts",
        str(source),
        "--report",
        str(report_file),
        "--no-progress",
        cwd=tmp_path,
    )
    out = ok(result)
    assert "3 were created" in out and "7 rejected" in out, out
    rejected = {int(r["line"]): r["reason"] for r in read_csv(report_file)}
    assert sorted(rejected) == [3, 4, 5, 7, 8, 9, 11], rejected
    assert "UTF-8" in rejected[3]
    assert "2 cells" in rejected[4] and "4 cells" in rejected[8]
    assert rejected[5].startswith("email:") and rejected[11].startswith("email:")
    assert "line 2" in rejected[7]
    assert "empty" in rejected[9]
    for address in good:
        assert tenant.get("/contacts", params={"email": address}).json()["meta"]["total"] == 1


def test_a_dry_run_reports_and_writes_nothing(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    existing = f"dry-{secrets.token_hex(4)}@example.com"
    tenant.post("/contacts", json={"first_name": "Old", "email": existing})
    source = tmp_path / "dry.jsonl"
    fresh = f"fresh-{secrets.token_hex(4)}@example.com"
    source.write_text(
        "\n".join(
            json.dumps(item)
            for item in (
                {"first_name": "New", "email": existing},
                {"first_name": "Old", "email": existing.upper()},
                {"first_name": "Fresh", "email": fresh},
                {"first_name": "Broken", "email": "x"},
            )
        )
        + "\n{not json\n",
        encoding="utf-8",
    )
    before = audit_count(tenant)
    report = import_report(live_server, tenant, source, tmp_path, "--dry-run")
    assert report["dry_run"] is True
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 0), report
    assert [r["line"] for r in report["rejected"]] == [2, 4, 5]
    assert audit_count(tenant) == before
    assert tenant.get("/contacts", params={"email": fresh}).json()["meta"]["total"] == 0


def test_columns_are_mapped_and_unknown_columns_refused(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    email = f"map-{secrets.token_hex(4)}@example.com"
    source = tmp_path / "mapped.csv"
    source.write_text(
        f"Vorname,E-Mail,Stadt,Kundennummer,Notiz\nJörg,{email},Köln,K-17,skip me\n",
        encoding="utf-8",
    )
    refused = rolodex(live_server, tenant, "import", "contacts", str(source), cwd=tmp_path)
    assert "Vorname" in one_line_error(refused)  # the file's fault: exit code 1
    ok(
        rolodex(
            live_server,
            tenant,
            "import",
            "contacts",
            str(source),
            "--no-progress",
            "--map",
            "Vorname=first_name",
            "--map",
            "E-Mail=email",
            "--map",
            "Stadt=address.city",
            "--map",
            "Kundennummer=custom_fields.customer_no",
            "--map",
            "Notiz=-",
            cwd=tmp_path,
        )
    )
    contact = tenant.get("/contacts", params={"email": email}).json()["data"][0]
    assert contact["first_name"] == "Jörg" and contact["address"]["city"] == "Köln"
    assert contact["custom_fields"] == {"customer_no": "K-17"}
    assert contact["description"] is None
    bad_map = rolodex(
        live_server, tenant, "import", "contacts", str(source), "--map", "Nope=email", cwd=tmp_path
    )
    assert "Nope" in one_line_error(bad_map, 2)  # a wrong argument


def test_export_every_kind_and_incrementally(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    company = tenant.post("/companies", json={"name": "Export GmbH"}).json()["data"]
    contacts = [
        tenant.post("/contacts", json={"first_name": f"E{i}", "company_id": company["id"]}).json()[
            "data"
        ]
        for i in range(3)
    ]
    tenant.post(f"/contacts/{contacts[0]['id']}/tasks", json={"title": "Call"})
    tenant.post(f"/contacts/{contacts[0]['id']}/notes", json={"body": "Met, ✓"})
    for kind, expected in (("companies", 1), ("tasks", 1), ("notes", 1), ("contacts", 3)):
        for ext in ("csv", "jsonl"):
            target = tmp_path / f"{kind}.{ext}"
            out = ok(rolodex(live_server, tenant, "export", kind, str(target), cwd=tmp_path))
            singular = {"companies": "company", "tasks": "task", "notes": "note"}.get(kind)
            assert f"{expected} {singular or kind} written" in out
            if ext == "jsonl":
                assert len(target.read_text(encoding="utf-8").splitlines()) == expected
            else:
                assert len(read_csv(target)) == expected
    out = ok(
        rolodex(live_server, tenant, "export", "contacts", str(tmp_path / "all.csv"), cwd=tmp_path)
    )
    since = out.split("--updated-after ")[1].strip()
    tenant.patch(f"/contacts/{contacts[1]['id']}", json={"last_name": "Changed"})
    out = ok(
        rolodex(
            live_server,
            tenant,
            "export",
            "contacts",
            str(tmp_path / "delta.csv"),
            "--updated-after",
            since,
            cwd=tmp_path,
        )
    )
    assert "1 contact written" in out
    delta = read_csv(tmp_path / "delta.csv")
    assert [(r["id"], r["last_name"]) for r in delta] == [(contacts[1]["id"], "Changed")]
    stdout = ok(
        rolodex(live_server, tenant, "export", "notes", "-", "--format", "jsonl", cwd=tmp_path)
    )
    assert json.loads(stdout.splitlines()[0])["body"] == "Met, ✓"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_export_quotes_cells_a_spreadsheet_would_run_and_import_strips_the_quotes(
    live_server: LiveServer, tenant: Tenant, tmp_path: Path
) -> None:
    """Names, titles, tags, custom fields, phone numbers, company names and note bodies
    that begin like a formula are written with a ' in front; importing the file gives back
    exactly what was exported (a value that itself begins with ' keeps its quote)."""
    company = tenant.post("/companies", json={"name": '=HYPERLINK("http://x","y")'})
    assert company.status_code == 201, company.text
    body = {
        "first_name": "=1+1",
        "last_name": "'=already quoted",
        "email": f"formula-{secrets.token_hex(3)}@example.com",
        "phone": "+49 30 123456",
        "job_title": "@SUM(A1:A9)",
        "title": "-2+3",
        "description": "''+two quotes",
        "tags": ["+vip", "=cmd|' /C calc'!A0"],
        "custom_fields": {"note": "-10", "plain": "fine"},
        "company_id": company.json()["data"]["id"],
    }
    contact = tenant.post("/contacts", json=body)
    assert contact.status_code == 201, contact.text
    contact_id = contact.json()["data"]["id"]
    note = tenant.post(f"/contacts/{contact_id}/notes", json={"body": "@here call back"})
    assert note.status_code == 201, note.text

    for kind in ("contacts", "companies", "notes"):
        target = tmp_path / f"{kind}.csv"
        ok(rolodex(live_server, tenant, "export", kind, str(target), cwd=tmp_path))
        cells = [cell for row in read_csv(target) for cell in row.values()]
        assert not [c for c in cells if c.startswith(FORMULA_STARTS)], (kind, cells)
    row = read_csv(tmp_path / "contacts.csv")[0]
    assert row["first_name"] == "'=1+1"
    assert row["last_name"] == "''=already quoted"
    assert row["phone"] == "'+49 30 123456"
    assert row["job_title"] == "'@SUM(A1:A9)" and row["title"] == "'-2+3"
    assert row["description"] == "'" + "''+two quotes"
    assert row["tags"].startswith("'")
    assert read_csv(tmp_path / "companies.csv")[0]["name"].startswith("'=HYPERLINK(")
    assert read_csv(tmp_path / "notes.csv")[0]["body"] == "'@here call back"

    # The exported file imported back changes nothing: the quotes are stripped exactly.
    before = audit_count(tenant)
    again = import_report(live_server, tenant, tmp_path / "contacts.csv", tmp_path)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1), again
    assert audit_count(tenant) == before

    # For machine consumers: the values as they are, and read back as they are.
    raw = tmp_path / "raw.csv"
    args = ("export", "contacts", str(raw), "--no-formula-escape")
    ok(rolodex(live_server, tenant, *args, cwd=tmp_path))
    row = read_csv(raw)[0]
    assert (row["first_name"], row["last_name"], row["phone"]) == (
        "=1+1",
        "'=already quoted",
        "+49 30 123456",
    )
    third = import_report(live_server, tenant, raw, tmp_path, "--no-formula-escape")
    assert (third["created"], third["updated"], third["unchanged"]) == (0, 0, 1), third
    assert audit_count(tenant) == before
    fetched = tenant.get(f"/contacts/{contact_id}").json()["data"]
    for name, value in body.items():
        if name == "tags":
            assert sorted(fetched[name]) == sorted(value)
        else:
            assert fetched[name] == value, name
