"""The ``rolodex`` command, run as real processes, and its keys against a real server."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import httpx
import pytest

PASSWORD = "correct-horse-battery"
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/x"


def new_email() -> str:
    return f"cli-{secrets.token_hex(6)}@example.com"


def run_cli(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`rolodex <args>` outside the live server, with extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "rolodex", *args],
        env={**os.environ, "ROLODEX_SECRET_KEY": "cli-secret", **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert result.stdout.strip() == ""
    return lines[0]


def init(live_server, email: str) -> dict[str, str]:
    result = live_server.cli("init", "--email", email, "--password", PASSWORD, "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def api(live_server, method: str, path: str, key: str, **kwargs) -> httpx.Response:
    return httpx.request(
        method, f"{live_server.url}/api/v1{path}", headers={"X-API-Key": key}, timeout=10, **kwargs
    )


@pytest.mark.live
def test_init_creates_an_account_whose_key_works_against_the_server(live_server) -> None:
    email = new_email()
    created = init(live_server, email)
    assert set(created) == {"account_id", "user_id", "api_key"}
    assert created["account_id"].startswith("acc_")
    assert created["user_id"].startswith("usr_")
    assert created["api_key"].startswith("rdx_k_")

    me = api(live_server, "GET", "/users/me", created["api_key"])
    assert me.status_code == 200, me.text
    user = me.json()["data"]
    assert user["id"] == created["user_id"]
    assert user["account_id"] == created["account_id"]
    assert user["email"] == email
    assert user["role"] == "owner" and user["staff"] is True
    contact = api(live_server, "POST", "/contacts", created["api_key"], json={"first_name": "Ada"})
    assert contact.status_code == 201, contact.text

    second = init(live_server, new_email())
    assert second["account_id"] != created["account_id"]
    assert second["api_key"] != created["api_key"]
    theirs = api(live_server, "GET", "/contacts", second["api_key"])
    assert theirs.status_code == 200
    assert theirs.json()["data"] == []
    contact_id = contact.json()["data"]["id"]
    assert api(live_server, "GET", f"/contacts/{contact_id}", second["api_key"]).status_code == 404


@pytest.mark.live
def test_init_with_a_taken_email_fails_with_one_line(live_server) -> None:
    email = new_email()
    init(live_server, email)
    again = live_server.cli("init", "--email", email.upper(), "--password", PASSWORD, "--json")
    line = assert_one_line_error(again)
    assert "already exists" in line
    # and says what to do instead
    assert f"rolodex key create --email {email}" in line
    assert again.returncode == 1


@pytest.mark.live
def test_key_create_prints_a_scoped_key_that_the_server_honours(live_server) -> None:
    email = new_email()
    owner = init(live_server, email)
    result = live_server.cli(
        "key", "create", "--email", email, "--scope", "read_only", "--name", "Reporting", "--json"
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert set(created) == {"id", "key", "scope", "kind"}
    assert created["kind"] == "user"
    assert created["id"].startswith("key_")
    assert created["key"].startswith("rdx_k_")
    assert created["scope"] == "read_only"

    key = created["key"]
    assert api(live_server, "GET", "/users/me", key).json()["data"]["id"] == owner["user_id"]
    refused = api(live_server, "POST", "/contacts", key, json={"first_name": "x"})
    assert refused.status_code == 403
    shown = api(live_server, "GET", f"/api-keys/{created['id']}", owner["api_key"]).json()
    assert shown["data"]["name"] == "Reporting"
    assert shown["data"]["scope"] == "read_only"

    default = live_server.cli("key", "create", "--email", email, "--json")
    assert default.returncode == 0, default.stderr
    full = json.loads(default.stdout)
    assert full["scope"] == "full"
    made = api(live_server, "POST", "/contacts", full["key"], json={"first_name": "x"})
    assert made.status_code == 201


@pytest.mark.live
def test_key_create_account_level_makes_a_key_of_no_user(live_server) -> None:
    email = new_email()
    owner = init(live_server, email)
    result = live_server.cli(
        "key", "create", "--email", email, "--account-level", "--name", "Sync", "--json"
    )
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["kind"] == "account" and created["scope"] == "full"
    shown = api(live_server, "GET", f"/api-keys/{created['id']}", created["key"]).json()["data"]
    assert shown["kind"] == "account" and shown["user_id"] is None
    assert shown["created_by_id"] == owner["user_id"]
    assert api(live_server, "GET", "/users/me", created["key"]).status_code == 404

    # a member cannot be the maker of an account key
    member = api(
        live_server, "POST", "/users", owner["api_key"], json={"email": new_email()}
    ).json()["data"]
    refused = live_server.cli(
        "key", "create", "--email", member["email"], "--account-level", "--json"
    )
    assert "not an owner or admin" in assert_one_line_error(refused)


@pytest.mark.live
def test_key_create_for_an_unknown_email_fails_with_one_line(live_server) -> None:
    result = live_server.cli("key", "create", "--email", new_email(), "--json")
    line = assert_one_line_error(result)
    assert "no user" in line


def test_unreachable_database_fails_with_one_line(tmp_path) -> None:
    result = run_cli(
        tmp_path,
        "init",
        "--email",
        new_email(),
        "--password",
        PASSWORD,
        "--json",
        ROLODEX_DATABASE_URL=UNREACHABLE,
    )
    line = assert_one_line_error(result)
    assert "database" in line


def test_worker_with_an_unreachable_database_fails_with_one_line(tmp_path) -> None:
    result = run_cli(tmp_path, "worker", ROLODEX_DATABASE_URL=UNREACHABLE)
    line = assert_one_line_error(result)
    assert "database" in line


@pytest.mark.parametrize(
    "args",
    [
        ("init", "--email", "a@example.com"),
        ("key", "create"),
        ("init", "--bogus"),
        ("worker", "--concurrency", "0"),
    ],
    ids=["init-without-password", "key-without-email", "unknown-option", "worker-concurrency"],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, args) -> None:
    result = run_cli(tmp_path, *args, ROLODEX_DATABASE_URL=UNREACHABLE)
    assert_one_line_error(result)
    assert result.returncode == 2


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"ROLODEX_SECRET_KEYS": "new,old"},  # beside run_cli's ROLODEX_SECRET_KEY
            "error: set ROLODEX_SECRET_KEYS or ROLODEX_SECRET_KEY, not both",
        ),
        (
            {"ROLODEX_SECRET_KEYS": "new,,old", "ROLODEX_SECRET_KEY": ""},
            "error: ROLODEX_SECRET_KEYS must not hold an empty key",
        ),
    ],
    ids=["both-settings", "empty-key"],
)
def test_a_key_ring_that_cannot_be_used_fails_with_one_line(tmp_path, env, expected) -> None:
    result = run_cli(tmp_path, "rekey", ROLODEX_DATABASE_URL=UNREACHABLE, **env)
    line = assert_one_line_error(result)
    assert line.startswith(expected), line
    assert result.returncode == 1


@pytest.mark.parametrize("args", [("migrate",), ("serve", "--help")], ids=["migrate", "serve-help"])
def test_a_first_start_on_a_fresh_sqlite_file_prints_no_warning(tmp_path, args) -> None:
    """Issue 18 item 10: nothing on stderr, with every warning shown once
    (``PYTHONWARNINGS=default``), on a database file and a directory never used before."""
    database = tmp_path / "fresh.db"
    env = {name: value for name, value in os.environ.items() if not name.startswith("ROLODEX_")}
    env |= {"ROLODEX_DATABASE_URL": f"sqlite:///{database}", "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [sys.executable, "-m", "rolodex", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    if args == ("migrate",):
        assert result.stdout.startswith("Database ") and "up to date" in result.stdout
        assert database.is_file()
    else:
        assert "--no-migrate" in result.stdout
