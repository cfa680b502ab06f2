"""``rolodex flow list|create|test|enable|disable|runs``, run as commands on the live
server's database."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import LiveServer, Tenant

pytestmark = pytest.mark.live


def rolodex(
    server: LiveServer, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "ROLODEX_WEBHOOKS_ALLOW_PRIVATE": "true"}
    return subprocess.run(
        [sys.executable, "-m", "rolodex", *args],
        env=env,
        cwd=server.cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_flow_commands(
    live_server: LiveServer, make_tenant: Callable[[], Tenant], tmp_path: Path
) -> None:
    ours, peer = make_tenant(), make_tenant()
    made = rolodex(
        live_server,
        "connection",
        "create",
        "--email",
        ours.email,
        "--kind",
        "rolodex",
        "--base-url",
        f"{live_server.url}/api/v1",
        "--api-key",
        "-",
        "--json",
        stdin=peer.key + "\n",
    )
    assert made.returncode == 0, made.stderr
    connection_id = json.loads(made.stdout)["id"]
    flow = {
        "name": "New contact → peer",
        "trigger": {"event": "contact.created"},
        "actions": [
            {
                "connection_id": connection_id,
                "operation": "contacts.create",
                "mapping": {
                    "first_name": "data.first_name",
                    "email": {"expr": "data.email", "type": "email"},
                },
            }
        ],
    }
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(flow))
    created = rolodex(
        live_server, "flow", "create", "--email", ours.email, "-f", str(path), "--json"
    )
    assert created.returncode == 0, created.stderr
    flow_id = json.loads(created.stdout)["id"]

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**flow, "condition": "data.[", "trigger": {"event": "nope"}}))
    refused = rolodex(live_server, "flow", "create", "--email", ours.email, "-f", str(bad))
    assert refused.returncode == 1
    assert "condition:" in refused.stderr and "trigger.event:" in refused.stderr

    listed = rolodex(live_server, "flow", "list", "--email", ours.email)
    assert listed.returncode == 0 and flow_id in listed.stdout and "enabled" in listed.stdout

    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {"type": "contact.created", "data": {"first_name": "Ada", "email": "ADA@example.com"}}
        )
    )
    tested = rolodex(
        live_server, "flow", "test", flow_id, "--email", ours.email, "--event-file", str(event)
    )
    assert tested.returncode == 0, tested.stderr
    assert f"POST {live_server.url}/api/v1/contacts" in tested.stdout
    assert "X-API-Key: ***" in tested.stdout and '"email": "ada@example.com"' in tested.stdout
    assert peer.key not in tested.stdout
    assert peer.get("/contacts").json()["meta"]["total"] == 0  # the dry run wrote nothing

    disabled = rolodex(live_server, "flow", "disable", flow_id, "--email", ours.email)
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    enabled = rolodex(live_server, "flow", "enable", flow_id, "--email", ours.email)
    assert enabled.returncode == 0 and "enabled" in enabled.stdout
    runs = rolodex(live_server, "flow", "runs", flow_id, "--email", ours.email, "--json")
    assert runs.returncode == 0 and json.loads(runs.stdout) == []
    missing = rolodex(
        live_server, "flow", "runs", "flw_01jd6w3q0000000000000000aa", "--email", ours.email
    )
    assert missing.returncode == 1 and "No flow" in missing.stderr
