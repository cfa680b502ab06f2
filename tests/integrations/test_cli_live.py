"""``rolodex connection create|list|check|delete``, run as commands on the live server's
database, checking another account of it through the live server itself."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.conftest import LiveServer, Tenant

pytestmark = pytest.mark.live


def cli(
    server: LiveServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true"}
    return subprocess.run(
        [sys.executable, "-m", "rolodex", "connection", *args],
        env=env,
        cwd=server.cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_connection_commands_create_list_check_and_delete(
    live_server: LiveServer, make_tenant: Callable[[], Tenant]
) -> None:
    ours, peer = make_tenant(), make_tenant()
    base = f"{live_server.url}/api/v1"
    made = cli(
        live_server,
        "create",
        "--email",
        ours.email,
        "--kind",
        "rolodex",
        "--name",
        "Peer",
        "--base-url",
        base,
        "--api-key",
        "-",
        "--json",
        stdin=peer.key + "\n",
    )
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    assert shown["name"] == "Peer" and shown["auth"]["credentials"] == ["api_key"]
    assert peer.key not in made.stdout + made.stderr

    listed = cli(live_server, "list", "--email", ours.email, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [c["id"] for c in json.loads(listed.stdout)] == [shown["id"]]
    table = cli(live_server, "list", "--email", ours.email)
    assert shown["id"] in table.stdout and "rolodex" in table.stdout

    checked = cli(live_server, "check", shown["id"], "--email", ours.email, "--json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["ok"] is True

    bad = cli(
        live_server,
        "create",
        "--email",
        ours.email,
        "--kind",
        "rolodex",
        "--base-url",
        base,
        "--api-key",
        "rdx_k_" + "2" * 43,
    )
    assert bad.returncode == 0, bad.stderr
    bad_id = bad.stdout.split()[0]
    refused = cli(live_server, "check", bad_id, "--email", ours.email)
    assert refused.returncode == 1 and refused.stdout.startswith("failed: 401")
    assert refused.stderr.strip() == "error: the check failed"

    assert cli(live_server, "delete", shown["id"], "--email", ours.email).returncode == 0
    assert ours.get(f"/connections/{shown['id']}").status_code == 404

    for args, expected in (
        (("create", "--email", ours.email, "--kind", "sap"), "--kind must be one of"),
        (("list", "--email", peer.email + "x"), "no user with email"),
        (("check", "con_nope", "--email", ours.email), "No connection with id"),
    ):
        failed = cli(live_server, *args)
        assert failed.returncode != 0 and expected in failed.stderr, (args, failed.stderr)
        assert "Traceback" not in failed.stderr
    member_id, _ = ours.add_user(role="member")
    member = ours.get(f"/users/{member_id}").json()["data"]
    forbidden = cli(live_server, "list", "--email", member["email"])
    assert forbidden.returncode == 1 and "not an owner or admin" in forbidden.stderr
