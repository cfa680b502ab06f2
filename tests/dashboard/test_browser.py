"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against a
live `rolodex serve`.

One person's first session: sign in, create a contact with tags, add a task and a note,
find the contact by search, create an API key under Settings > API Keys and use it
against the API, revoke it (the API then answers 401), create a webhook, add a
connection and check it, see its quota chart, create a flow from a template and dry-run
it to see its request, sign out. No
page may open a script dialog on its own (an XSS payload would).

Screenshots of the main pages are taken on the way; with ``ROLODEX_SCREENSHOTS=1`` they
are written to ``docs/screenshots/`` (that is how the committed ones were made),
otherwise to the test's temporary folder.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD, LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
XSS = "<img src=x onerror=alert(1)>"

pytestmark = [pytest.mark.live, pytest.mark.browser]


@pytest.fixture
def chromium(live_server: LiveServer) -> Iterator[Any]:
    """Chromium, headless, from the system (``make setup`` installs it); started after
    the server and its database, whose set-up runs an event loop of its own, and which
    Playwright's loop in this thread would refuse."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs it (apt-get install chromium)")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _account(server: LiveServer) -> tuple[str, str]:
    """A new account made as a new user would (``rolodex init``): its owner's email and
    first API key."""
    email = f"tour-{secrets.token_hex(4)}@example.com"
    made = server.cli(
        "init", "--email", email, "--password", PASSWORD, "--account-name", "Tour GmbH", "--json"
    )
    assert made.returncode == 0, made.stderr
    return email, json.loads(made.stdout)["api_key"]


def test_a_first_session_in_the_browser(
    live_server: LiveServer, chromium: Any, tmp_path: Path
) -> None:
    shots = DOCS_SHOTS if os.environ.get("ROLODEX_SCREENSHOTS") == "1" else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    email, owner_key = _account(live_server)
    base = live_server.url
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    alerts: list[str] = []

    def on_dialog(dialog: Any) -> None:
        if dialog.type == "confirm":  # the page's own "are you sure?"
            dialog.accept()
        else:
            alerts.append(dialog.message)
            dialog.dismiss()

    page.on("dialog", on_dialog)

    # signed out, the dashboard asks to sign in first
    page.goto(f"{base}/dashboard/contacts")
    assert "/dashboard/login" in page.url
    page.screenshot(path=str(shots / "sign-in.png"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base}/dashboard/contacts")
    assert page.locator("text=No contacts yet").is_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "rdx_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    # a contact with tags
    page.click("text=New contact")
    page.fill("input[name=first_name]", "Ada")
    page.fill("input[name=last_name]", "Lovelace")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=job_title]", f"Analyst {XSS}")
    page.fill("input[name=tags]", "vip, analytics")
    page.click("button:has-text('Save contact')")
    page.wait_for_selector("h1:has-text('Ada Lovelace')")
    assert page.locator(".flash", has_text="Contact created.").is_visible()
    assert page.locator("a.tag", has_text="vip").is_visible()
    assert page.locator("a.tag", has_text="analytics").is_visible()
    assert page.locator(f"text=Analyst {XSS}").is_visible()  # shown as text, not run

    # a task and a note
    page.fill("#tasks input[name=title]", "Send the proposal")
    page.click("#tasks button:has-text('Add task')")
    page.wait_for_selector("#tasks .title:has-text('Send the proposal')")
    page.fill("#notes textarea[name=body]", "Met at the conference; wants a demo.")
    page.click("#notes button:has-text('Add note')")
    page.wait_for_selector("#notes :text('Met at the conference')")
    page.screenshot(path=str(shots / "contact.png"), full_page=True)

    # more contacts, then find Ada by search
    for first, last in (("Grace", "Hopper"), ("Alan", "Turing"), ("Edsger", "Dijkstra")):
        page.goto(f"{base}/dashboard/contacts/new")
        page.fill("input[name=first_name]", first)
        page.fill("input[name=last_name]", last)
        page.fill("input[name=tags]", "prospect")
        page.click("button:has-text('Save contact')")
        page.wait_for_selector(f"h1:has-text('{first} {last}')")
    page.click("nav >> text=Contacts")
    page.screenshot(path=str(shots / "contacts.png"), full_page=True)
    page.fill("input[name=q]", "lovelace")
    page.click("button:has-text('Search')")
    page.wait_for_url("**q=lovelace**")
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "Ada Lovelace" in rows.first.inner_text()
    page.select_option("select[name=tag]", "prospect")
    page.fill("input[name=q]", "")
    page.click("button:has-text('Search')")
    page.wait_for_url("**tag=prospect**")
    assert page.locator("tbody tr").count() == 3

    # Settings > API Keys: create one, use it, revoke it
    page.click("nav >> text=Settings")
    page.wait_for_selector("h1:has-text('API Keys')")
    page.fill("input[name=name]", "Reporting script")
    page.click("button:has-text('Create key')")
    key = page.locator("#new-key-value").inner_text().strip()
    assert key.startswith("rdx_k_")
    page.screenshot(path=str(shots / "api-keys.png"), full_page=True)
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"X-API-Key": key}, timeout=10)
    found = api.get("/contacts", params={"q": "lovelace"})
    assert found.status_code == 200
    assert [c["email"] for c in found.json()["data"]] == ["ada@example.com"]
    assert sorted(found.json()["data"][0]["tags"]) == ["analytics", "vip"]
    page.goto(f"{base}/dashboard/settings/api-keys")
    assert page.locator("#new-key-value").count() == 0  # shown once
    page.locator("tr", has_text="Reporting script").locator("button:has-text('Revoke')").click()
    page.wait_for_selector(".flash:has-text('revoked')")
    assert api.get("/contacts").status_code == 401

    # a webhook
    page.click("nav >> text=Webhooks")
    page.fill("input[name=url]", "https://example.com/hooks/rolodex")
    page.check("input[value='contact.*']")
    page.fill("input[name=description]", "CRM changes to the data warehouse")
    page.click("button:has-text('Add endpoint')")
    secret = page.locator("#new-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    hooks = httpx.get(f"{base}/api/v1/webhooks", headers={"X-API-Key": owner_key})
    assert [h["url"] for h in hooks.json()["data"]] == ["https://example.com/hooks/rolodex"]
    page.screenshot(path=str(shots / "webhooks.png"), full_page=True)

    # Integrations > Connections: add one (its key is never shown again), check it
    page.click("nav >> text=Connections")
    assert page.locator("text=No connections yet").is_visible()
    page.select_option("select[name=kind]", "rolodex")
    page.fill("input[name=name]", "Head office")
    page.fill("input[name=base_url]", "https://remote.invalid/api/v1")
    page.fill("input[name=api_key]", "remote-key-never-shown")
    page.click("button:has-text('Add connection')")
    page.wait_for_selector("h1:has-text('Head office')")
    assert page.locator(".flash", has_text="Connection created.").is_visible()
    assert "remote-key-never-shown" not in page.content()
    connection_id = page.url.split("/")[-1].split("?")[0]
    page.click("#check")
    result = page.locator("#check-result")
    assert "Check failed" in result.inner_text()  # the remote's name does not resolve
    made = httpx.get(
        f"{base}/api/v1/connections/{connection_id}", headers={"X-API-Key": owner_key}
    ).json()["data"]
    assert made["status"] == "failing" and made["checked_at"] is not None
    # (Playwright's sync API runs an event loop in this thread: write from another)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            asyncio.run, _usage(live_server.env["ROLODEX_DATABASE_URL"], connection_id)
        ).result()
    page.click("nav >> text=Connections")
    page.click("text=Head office")
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert chart.locator("rect.bar.alert").count() > 0
    page.screenshot(path=str(shots / "connection-usage.png"), full_page=True)

    # a HighLevel connection, a flow from a template, and its dry run
    page.click("nav >> text=Connections")
    page.select_option("select[name=kind]", "highlevel")
    page.fill("input[name=name]", "Agency")
    page.fill("input[name=location_id]", "loc-tour")
    page.fill("input[name=api_key]", "highlevel-key-never-shown")
    page.click("button:has-text('Add connection')")
    page.wait_for_selector("h1:has-text('Agency')")
    page.click("nav >> text=Flows")
    assert page.locator("text=No flows yet").is_visible()
    page.select_option("select[name=template]", "contact-to-highlevel")
    page.select_option("select[name=highlevel]", label="Agency")
    page.click("button:has-text('Create flow')")
    page.wait_for_selector("h1:has-text('HighLevel contact')")
    assert page.locator(".flash", has_text="Flow created.").is_visible()
    assert page.locator("table.mapping td", has_text="data.first_name").is_visible()
    page.screenshot(path=str(shots / "flow.png"), full_page=True)
    event = {
        "type": "contact.created",
        "data": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
    }
    page.fill("#dry-run textarea[name=event]", json.dumps(event, indent=2))
    page.click("#dry-run button:has-text('Dry run')")
    page.wait_for_selector("h1:has-text('Dry run of')")
    assert page.locator("#test-status").inner_text().startswith("would run")
    request = page.locator("#action-0 .request").inner_text()
    assert request == "POST https://services.leadconnectorhq.com/contacts/upsert"
    assert "highlevel-key-never-shown" not in page.content()
    assert page.locator("#action-0 .request-body", has_text='"email": "ada@example.com"').count()
    page.screenshot(path=str(shots / "flow-dry-run.png"), full_page=True)
    flows = httpx.get(f"{base}/api/v1/flows", headers={"X-API-Key": owner_key}).json()["data"]
    assert [f["enabled"] for f in flows] == [False]  # created disabled: it never runs here
    page.click("nav >> text=Runs")
    assert page.locator("text=No runs").is_visible()  # a dry run writes no run

    page.click("nav >> text=Tasks")
    page.screenshot(path=str(shots / "tasks.png"), full_page=True)
    page.click("nav >> text=Audit log")
    assert page.locator("td", has_text="contact.created").count() >= 4
    page.screenshot(path=str(shots / "audit-log.png"), full_page=True)

    # sign out: the session is over, in this browser and on the server
    page.click("#sign-out")
    page.wait_for_url(f"{base}/dashboard/login")
    page.goto(f"{base}/dashboard/contacts")
    assert "/dashboard/login" in page.url
    assert alerts == []
    context.close()


async def _usage(database_url: str, connection_id: str) -> None:
    """A week of made-up traffic of a connection: a daily rhythm, and 429s at its peak."""
    from datetime import timedelta

    from rolodex.config import Settings
    from rolodex.db import make_engine, make_sessionmaker, unit_of_work, utcnow
    from rolodex.integrations.models import Connection
    from rolodex.integrations.usage import add_usage

    engine = make_engine(Settings(database_url=database_url))
    try:
        async with unit_of_work(make_sessionmaker(engine)) as session:
            account_id = (await session.get(Connection, connection_id)).account_id
            now = utcnow()
            for hours_ago in range(7 * 24):
                load = int(60 + 50 * math.sin(hours_ago / 24 * 2 * math.pi))
                await add_usage(
                    session,
                    connection_id,
                    account_id,
                    "contacts.list",
                    requests=load,
                    throttled=max(0, load - 100),
                    at=now - timedelta(hours=hours_ago),
                )
    finally:
        await engine.dispose()
