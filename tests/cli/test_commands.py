"""The commands beside serve/init/key create: ``--version``, ``key list|revoke``,
``oauth-client list|delete``, ``contacts update|delete|restore``; their errors; a server
that is not there; and what ``rolodex --help`` shows and imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import rolodex
from rolodex.cli_lazy import LazyCommand
from tests.cli.test_cli import (
    PASSWORD,
    api,
    assert_one_line_error,
    init,
    new_email,
    run_cli,
)
from tests.conftest import free_port


def test_version_prints_the_package_version(tmp_path) -> None:
    result = run_cli(tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"rolodex {rolodex.__version__}"


@pytest.mark.live
def test_key_list_shows_the_accounts_keys_and_revoke_stops_one(live_server) -> None:
    email = new_email()
    owner = init(live_server, email)
    made = live_server.cli("key", "create", "--email", email, "--name", "Spare", "--json")
    spare = json.loads(made.stdout)

    listed = live_server.cli("key", "list", "--email", email, "--json")
    assert listed.returncode == 0, listed.stderr
    assert "rdx_k_" not in listed.stdout  # never the keys themselves
    keys = {row["id"]: row for row in json.loads(listed.stdout)}
    assert keys[spare["id"]]["name"] == "Spare" and keys[spare["id"]]["user"] == email
    assert len(keys) == 2

    revoked = live_server.cli("key", "revoke", spare["id"], "--json")
    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["revoked_at"]
    assert api(live_server, "GET", "/users/me", spare["key"]).status_code == 401
    assert api(live_server, "GET", "/users/me", owner["api_key"]).status_code == 200
    again = live_server.cli("key", "revoke", spare["id"])
    assert again.returncode == 0 and "already revoked" in again.stdout

    live = json.loads(live_server.cli("key", "list", "--email", email, "--json").stdout)
    assert [row["id"] for row in live] != [] and spare["id"] not in {r["id"] for r in live}
    everything = live_server.cli("key", "list", "--email", email, "--revoked", "--json")
    assert spare["id"] in {row["id"] for row in json.loads(everything.stdout)}
    table = live_server.cli("key", "list", "--email", email)
    assert owner["api_key"] not in table.stdout and "Default key" in table.stdout

    assert "no API key" in assert_one_line_error(live_server.cli("key", "revoke", "key_nope"))
    assert "no user" in assert_one_line_error(
        live_server.cli("key", "list", "--email", new_email())
    )


@pytest.mark.live
def test_oauth_client_scopes_are_named_and_clients_listed_and_deleted(live_server) -> None:
    email = new_email()
    init(live_server, email)
    bogus = live_server.cli(
        "oauth-client", "create", "--email", email, "--name", "Sync", "--scope", "bogus.scope"
    )
    line = assert_one_line_error(bogus)
    assert "bogus.scope" in line and "contacts.readonly" in line and "contacts.write" in line
    assert "^" not in line and "pattern" not in line

    made = live_server.cli(
        "oauth-client",
        "create",
        "--email",
        email,
        "--name",
        "Sync",
        "--scope",
        "contacts.readonly",
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    client_id = json.loads(made.stdout)["client_id"]
    listed = json.loads(live_server.cli("oauth-client", "list", "--email", email, "--json").stdout)
    assert [row["client_id"] for row in listed] == [client_id]
    assert "secret" not in json.dumps(listed)

    deleted = live_server.cli("oauth-client", "delete", client_id)
    assert deleted.returncode == 0, deleted.stderr
    after = live_server.cli("oauth-client", "list", "--email", email, "--json")
    assert json.loads(after.stdout) == []
    assert "no OAuth client" in assert_one_line_error(
        live_server.cli("oauth-client", "delete", client_id)
    )


@pytest.mark.live
def test_contacts_update_delete_and_restore_on_a_server(live_server) -> None:
    owner = init(live_server, new_email())
    env = {"ROLODEX_URL": live_server.url, "ROLODEX_API_KEY": owner["api_key"]}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rolodex", *args],
            env={**live_server.env, **env},
            cwd=live_server.cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    created = cli("contacts", "create", "--first-name", "Ada", "--tag", "old", "--json")
    contact = json.loads(created.stdout)
    updated = cli(
        "contacts", "update", contact["id"], "--last-name", "Lovelace", "--tag", "vip",
        "--field", "job_title=Analyst", "--field", "phone=null", "--json",
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    data = json.loads(updated.stdout)
    assert (data["first_name"], data["last_name"], data["job_title"]) == (
        "Ada",
        "Lovelace",
        "Analyst",
    )
    assert data["tags"] == ["vip"] and data["phone"] is None

    assert "nothing to change" in assert_one_line_error(cli("contacts", "update", contact["id"]))
    bad = cli("contacts", "update", contact["id"], "--email", "not-an-email")
    assert "email" in assert_one_line_error(bad) and bad.returncode == 1

    deleted = cli("contacts", "delete", contact["id"])
    assert deleted.returncode == 0 and contact["id"] in deleted.stdout
    gone = api(live_server, "GET", f"/contacts/{contact['id']}", owner["api_key"])
    assert gone.status_code == 404
    restored = cli("contacts", "restore", contact["id"], "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["deleted_at"] is None
    assert "404" in assert_one_line_error(cli("contacts", "delete", "cnt_nope"))


@pytest.mark.parametrize(
    "args",
    [
        ("contacts", "list"),
        ("contacts", "update", "cnt_x", "--first-name", "X"),
        ("companies", "list"),
        ("tasks", "update", "tsk_x", "--title", "X"),
    ],
    ids=["list", "update", "companies-list", "tasks-update"],
)
def test_a_server_that_is_not_there_is_named_in_one_line(tmp_path, args) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cli(tmp_path, *args, "--url", url, ROLODEX_API_KEY="rdx_k_x")
    line = assert_one_line_error(result)
    assert f"connecting to the Rolodex server at {url} failed" in line
    assert result.returncode == 1


def test_a_placeholder_api_key_is_named_not_sent(tmp_path) -> None:
    result = run_cli(tmp_path, "contacts", "get", "cnt_x", "--api-key", "rdx_k_…")
    line = assert_one_line_error(result)
    assert "placeholder" in line and "UnicodeEncodeError" not in line


def test_a_wrong_choice_reads_without_pydantics_prefix(tmp_path) -> None:
    result = run_cli(tmp_path, "export", "widgets", "out.csv", ROLODEX_API_KEY="rdx_k_x")
    line = assert_one_line_error(result)
    assert result.returncode == 2
    assert "'widgets' is not one of" in line and "Value error" not in line


def _every_command(command, path=()):
    loaded = command.loaded if isinstance(command, LazyCommand) else command
    yield path, loaded
    for name, sub in getattr(loaded, "commands", {}).items():
        yield from _every_command(sub, (*path, name))


def test_the_root_help_says_what_each_loaded_command_says() -> None:
    from rolodex.cli import command

    root = command()
    stand_ins = [c for c in root.commands.values() if isinstance(c, LazyCommand)]
    assert {c.name for c in stand_ins} == {
        "worker", "key", "oauth-client", "connection", "flow", "sync", "contacts", "companies",
        "tasks", "notes", "appointments", "import", "export"
    }  # fmt: skip
    for stand_in in stand_ins:
        own = (stand_in.loaded.short_help or stand_in.loaded.help or "").split("\n\n")[0]
        assert " ".join(own.split()) == stand_in.lazy.help, stand_in.name


def test_no_help_text_shows_markup() -> None:
    from rolodex.cli import command

    for path, cmd in _every_command(command()):
        texts = [cmd.help or "", cmd.short_help or ""]
        texts += [getattr(param, "help", None) or "" for param in cmd.params]
        for text in texts:
            assert "``" not in text and ":func:" not in text, (path, text)


def test_help_imports_neither_the_server_nor_the_client(tmp_path) -> None:
    probe = (
        "import sys\n"
        "from rolodex.cli import command\n"
        "try:\n"
        "    command().main(['--help'], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = ('sqlalchemy', 'fastapi', 'httpx', 'pydantic', 'rolodex.client',\n"
        "             'rolodex.dataio', 'rolodex.config', 'rolodex.app')\n"
        "    print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
        "                          or m.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout and "contacts" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


def test_a_taken_email_hint_and_init_pipe_in_the_readme_work(tmp_path) -> None:
    """The README's first lines, twice on one database: the second run explains itself
    and still ends with a key."""
    email = new_email()
    first = run_cli(tmp_path, "init", "--email", email, "--password", PASSWORD, "--json")
    assert first.returncode == 0, first.stderr
    again = run_cli(tmp_path, "init", "--email", email, "--password", PASSWORD, "--json")
    assert "rolodex key create --email" in assert_one_line_error(again)
    key = run_cli(tmp_path, "key", "create", "--email", email, "--json")
    assert json.loads(key.stdout)["key"].startswith("rdx_k_")
