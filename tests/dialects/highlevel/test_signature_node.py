"""A HighLevel-format body verifies with HighLevel's own example receiver (Node's
``crypto.createVerify('SHA256')`` over ``JSON.stringify`` of the parsed body, from
HighLevel's WebhookAuthentication document, CC0), not only over the raw bytes."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest
from sqlalchemy import select

from rolodex.db import utcnow
from rolodex.dialects.highlevel.delivery import render
from rolodex.events.models import Event
from rolodex.webhooks.delivery_format import Delivery, Rendered
from rolodex.webhooks.models import WebhookEndpoint
from tests.conftest import Tenant

# HighLevel's example, as its document gives it, fed the key, body and signature.
RECEIVER = """
const crypto = require('crypto');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const publicKey = input.publicKey;

function verifySignature(payload, signature) {
    const verifier = crypto.createVerify('SHA256');
    verifier.update(payload);
    verifier.end();

    return verifier.verify(publicKey, signature, 'base64');
}

const payload = JSON.stringify(JSON.parse(input.body));
console.log(JSON.stringify({
    stringified: verifySignature(payload, input.signature),
    raw: verifySignature(Buffer.from(input.body, 'utf8'), input.signature),
    forged: verifySignature(payload.replace('Zoë', 'Zoe'), input.signature),
}));
"""


def rendered_for(tenant: Tenant, event_id: str) -> Rendered:
    ring = tenant.settings.resolved_key_ring()

    async def work(session: Any) -> Rendered:
        event = await session.scalar(select(Event).where(Event.id == event_id))
        endpoint = WebhookEndpoint(account_id=tenant.account_id, format="highlevel")
        delivery = Delivery(event=event, endpoint=endpoint, secrets=[], now=utcnow(), key_ring=ring)
        return await render(session, delivery)

    result: Rendered = tenant.run(work)
    return result


def test_highlevels_example_receiver_verifies_a_delivery(tenant: Tenant) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node.js to run HighLevel's example receiver")
    contact = tenant.post(
        "/contacts",
        json={
            "first_name": "Zoë",
            "last_name": "Ångström",
            "custom_fields": {"budget": 1200.0, "ratio": 12.5, "note": "a/b \u2028 c"},
        },
    ).json()["data"]
    (event,) = tenant.get("/events").json()["data"]  # a fresh account: just this one
    assert event["data"]["id"] == contact["id"]
    done = rendered_for(tenant, event["id"])
    body = json.loads(done.body)
    assert body["type"] == "ContactCreate" and body["firstName"] == "Zoë"
    assert {"id": "budget", "value": 1200} in body["customFields"]
    public_key = tenant.client.get("/highlevel/webhooks/public-key").text
    answer = subprocess.run(
        [node, "-e", RECEIVER],
        input=json.dumps(
            {
                "publicKey": public_key,
                "body": done.body.decode(),
                "signature": done.headers["x-wh-signature"],
            }
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(answer.stdout) == {"stringified": True, "raw": True, "forged": False}
