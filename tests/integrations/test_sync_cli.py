"""``rolodex sync list|create -f|run|enable|disable|runs``, run as commands on the live
server's database."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import LiveServer, Tenant
from tests.integrations.conftest import connect

pytestmark = pytest.mark.live


def cli(
    server: LiveServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolodex", "sync", *args],
        env={**server.env, "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true"},
        cwd=server.cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sync_commands(
    live_server: LiveServer, make_tenant: Callable[[], Tenant], tmp_path: Path
) -> None:
    ours = make_tenant()
    con = connect(ours, base_url="https://peer.example.com/api/v1", credentials={"api_key": "k"})
    spec = tmp_path / "sync.yaml"
    spec.write_text(
        f"connection_id: {con['id']}\nobject: contacts\ndirection: push\nenabled: false\n"
        "mapping:\n  email: email\n  first_name: first_name\n"
    )
    made = cli(live_server, "create", "--email", ours.email, "-f", str(spec), "--json")
    assert made.returncode == 0, made.stderr
    sync = json.loads(made.stdout)
    assert sync["direction"] == "push" and sync["mapping"] == {
        "email": "email",
        "first_name": "first_name",
    }
    bad = cli(live_server, "create", "--email", ours.email, "-f", "-", stdin='{"object": "x"}')
    assert bad.returncode != 0 and "connection_id" in bad.stderr and "object" in bad.stderr

    listed = cli(live_server, "list", "--email", ours.email)
    assert listed.returncode == 0 and sync["id"] in listed.stdout and "disabled" in listed.stdout
    enabled = cli(live_server, "enable", sync["id"], "--email", ours.email, "--json")
    assert enabled.returncode == 0 and json.loads(enabled.stdout)["enabled"] is True
    disabled = cli(live_server, "disable", sync["id"], "--email", ours.email, "--json")
    assert json.loads(disabled.stdout)["enabled"] is False

    queued = cli(live_server, "run", sync["id"], "--email", ours.email, "--dry-run", "--json")
    assert queued.returncode == 0, queued.stderr
    run = json.loads(queued.stdout)
    assert run["status"] == "queued" and run["dry_run"] is True
    runs = cli(live_server, "runs", sync["id"], "--email", ours.email, "--json")
    assert run["id"] in [r["id"] for r in json.loads(runs.stdout)]
    # the API sees the same
    assert ours.get(f"/syncs/{sync['id']}").json()["data"]["enabled"] is False
    missing = cli(live_server, "run", "syn_01jd6w3q0000000000000000aa", "--email", ours.email)
    assert missing.returncode != 0 and "No sync" in missing.stderr
