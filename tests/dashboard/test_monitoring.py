"""The monitoring page: per connection the budget used and left, 429s, failed runs and
sync lag; webhook delivery success and backlog; empty states that say what to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from rolodex.db import utcnow
from rolodex.integrations.changes.store import NewChange, acknowledge, record_changes
from rolodex.integrations.usage import add_usage
from rolodex.syncs.models import Sync
from rolodex.syncs.triggers import consumer_of
from rolodex.webhooks.models import DEAD, PENDING, SUCCEEDED, WebhookDelivery
from tests.conftest import Tenant
from tests.dashboard.conftest import Browser, add_connection, add_flow, add_run, add_user


def test_an_account_with_nothing_yet_is_told_what_to_do(
    make_tenant: Callable[[], Tenant], browser_for: Callable[..., Browser]
) -> None:
    tenant = make_tenant()
    page = browser_for(tenant.email).get("/dashboard/monitoring")
    assert page.status_code == 200
    assert "No connections yet" in page.text and 'href="/dashboard/connections"' in page.text
    assert "No webhook deliveries" in page.text and "Add an endpoint" in page.text
    assert "No run failed" in page.text


def test_a_connections_budget_429s_failed_runs_and_sync_lag(
    make_tenant: Callable[[], Tenant], browser_for: Callable[..., Browser]
) -> None:
    tenant = make_tenant()
    owner = browser_for(tenant.email)
    connection_id = add_connection(tenant)
    tenant.patch(f"/connections/{connection_id}", json={"name": "Head office"})
    idle_id = add_connection(tenant)
    sync = tenant.post(
        "/syncs",
        json={"connection_id": connection_id, "object": "contacts", "enabled": False},
    ).json()["data"]

    async def usage(session: Any) -> None:
        await add_usage(session, connection_id, tenant.account_id, "contacts.list", requests=7)
        await add_usage(
            session, connection_id, tenant.account_id, "contacts.create", requests=3, throttled=2
        )

    tenant.run(usage)
    flow_id = add_flow(tenant, connection_id)
    add_run(tenant, flow_id, connection_id, error="HTTP 500 from the remote")
    add_run(tenant, flow_id, connection_id)

    def set_enabled(on: bool) -> None:
        async def work(session: Any) -> None:
            await session.execute(update(Sync).where(Sync.id == sync["id"]).values(enabled=on))

        tenant.run(work)

    page = owner.get("/dashboard/monitoring").text
    card = page.split("Head office", 1)[1].split("</section>", 1)[0]
    assert "10 requests" in card and "2 answered 429" in card
    budget = tenant.get(f"/connections/{connection_id}/usage").json()["data"]["budget"]
    assert f"per {budget['per_seconds']} s" in card and f"({budget['source']})" in card
    assert '<svg class="chart"' in card and "2 refused" in card
    assert 'href="/dashboard/runs?status=failed">1</a>' in card
    assert "no sync pulls from this connection" in card  # the sync is disabled
    assert "1 run failed" in page
    idle = page.split(f'/dashboard/connections/{idle_id}">', 1)[1].split("</section>", 1)[0]
    assert "No requests in the last 24 hours" in idle and "Failed runs</dt><dd>0" in idle

    set_enabled(True)  # pulling, with no job or watch queued: this test enables nothing else
    try:
        assert "up to date" in owner.get("/dashboard/monitoring").text

        async def changes(session: Any) -> int:
            now = utcnow()
            made = await record_changes(
                session,
                tenant.account_id,
                connection_id,
                [
                    NewChange("contact", f"r{i}", now, "updated", "webhook", payload={})
                    for i in range(3)
                ],
            )
            return int(made[0].sequence)

        first = tenant.run(changes)
        lagging = owner.get("/dashboard/monitoring").text.split("Head office", 1)[1]
        assert "3 changes not yet synced" in lagging.split("</section>", 1)[0]

        async def take(session: Any, upto: int) -> None:
            consumer = consumer_of(sync["id"])
            await acknowledge(session, tenant.account_id, connection_id, consumer, upto)

        tenant.run(take, first + 1)
        lagging = owner.get("/dashboard/monitoring").text.split("Head office", 1)[1]
        assert "1 change not yet synced" in lagging.split("</section>", 1)[0]
        tenant.run(take, first + 2)
        assert "up to date" in owner.get("/dashboard/monitoring").text
    finally:
        set_enabled(False)


def test_webhook_success_rate_and_backlog(
    make_tenant: Callable[[], Tenant], browser_for: Callable[..., Browser]
) -> None:
    tenant = make_tenant()
    other = make_tenant()
    owner = browser_for(tenant.email)
    for who in (tenant, other):
        who.post("/webhooks", json={"url": "https://example.com/hook", "events": ["*"]})
        for name in ("A", "B", "C", "D", "E", "F"):
            who.post("/contacts", json={"first_name": name})

    async def settle(session: Any, account_id: str, statuses: list[str] | None) -> None:
        """Give the account's deliveries these statuses, oldest first (None: all dead)."""
        ids = list(
            await session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.account_id == account_id)
                .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            )
        )
        wanted = statuses if statuses is not None else [DEAD] * len(ids)
        assert len(ids) == len(wanted)
        for delivery_id, status in zip(ids, wanted, strict=True):
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(status=status)
            )

    tenant.run(settle, tenant.account_id, [SUCCEEDED] * 3 + [DEAD] + [PENDING] * 2)
    other.run(settle, other.account_id, [PENDING] * 6)  # never counted on tenant's page
    try:
        page = owner.get("/dashboard/monitoring").text
        rate = page.split('id="webhook-rate">', 1)[1].split("</dd>", 1)[0]
        assert rate == "75% (3 of 4)"
        backlog = page.split('id="webhook-backlog">', 1)[1].split("</dd>", 1)[0]
        assert backlog.startswith("2 waiting, the oldest for ")
        assert 'Given up</dt><dd class="error">1' in page
    finally:
        tenant.run(settle, tenant.account_id, None)
        other.run(settle, other.account_id, None)


def test_only_owners_and_admins_see_monitoring(
    tenant: Tenant, owner: Browser, browser_for: Callable[..., Browser]
) -> None:
    _, email = add_user(tenant, role="member")
    member = browser_for(email)
    assert member.get("/dashboard/monitoring").status_code == 403
    assert "/dashboard/monitoring" not in member.get("/dashboard").text
    _, admin_email = add_user(tenant, role="admin")
    assert browser_for(admin_email).get("/dashboard/monitoring").status_code == 200
    assert "/dashboard/monitoring" in owner.get("/dashboard").text
