"""What the dashboard's pages do: ordinary Rolodex changes (origin dashboard, audited),
lists that search, filter, sort and page, keys that work against the API, users, staff
acting as others, webhooks, and errors that say what to do."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tests.conftest import Tenant
from tests.dashboard.conftest import Browser, add_connection, add_user

ID = re.compile(r"/dashboard/contacts/(cnt_[0-9a-z]{26})")


def created_id(response: Any) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].split("/")[-1].split("?")[0]


def test_changes_are_events_from_the_dashboard_with_audit_rows(
    tenant: Tenant, owner: Browser
) -> None:
    contact_id = created_id(
        owner.post("/dashboard/contacts", {"first_name": "Ada", "tags": "vip, berlin"})
    )
    contact = tenant.get(f"/contacts/{contact_id}").json()["data"]
    assert contact["first_name"] == "Ada"
    assert sorted(contact["tags"]) == ["berlin", "vip"]
    assert contact["owner_id"] == tenant.user_id
    events = tenant.get("/events", params={"type": "contact.created"}).json()["data"]
    mine = [e for e in events if e["data"]["id"] == contact_id]
    assert mine and mine[0]["origin"]["kind"] == "dashboard"
    assert mine[0]["origin"]["user_id"] == tenant.user_id
    assert mine[0]["origin"]["credential_id"].startswith("ses_")
    audit = tenant.get("/audit-log", params={"resource_id": contact_id}).json()["data"]
    assert [a["action"] for a in audit] == ["contact.created"]
    assert audit[0]["credential_kind"] == "session"


def test_a_contact_with_its_tasks_notes_appointments_edit_delete_restore(
    tenant: Tenant, owner: Browser
) -> None:
    contact_id = created_id(owner.post("/dashboard/contacts", {"first_name": "Grace"}))
    base = f"/dashboard/contacts/{contact_id}"
    assert (
        owner.post(
            f"{base}/tasks", {"title": "Send offer", "due_at": "2030-01-02T09:30"}
        ).status_code
        == 303
    )
    assert owner.post(f"{base}/notes", {"body": "Likes tea", "pinned": "1"}).status_code == 303
    assert (
        owner.post(
            f"{base}/appointments",
            {"title": "Lunch", "starts_at": "2030-01-03T12:00", "ends_at": "2030-01-03T13:00"},
        ).status_code
        == 303
    )
    page = owner.get(base).text
    assert "Send offer" in page and "Likes tea" in page and "Lunch" in page
    task = tenant.get(f"/contacts/{contact_id}/tasks").json()["data"][0]
    assert task["due_at"] == "2030-01-02T09:30:00Z"
    assert task["assignee_id"] == tenant.user_id
    assert tenant.get(f"/contacts/{contact_id}/notes").json()["data"][0]["author_id"] == (
        tenant.user_id
    )
    done = owner.post(f"{base}/tasks/{task['id']}/complete", {"completed": "true"})
    assert done.status_code == 303
    assert tenant.get(f"/contacts/{contact_id}/tasks/{task['id']}").json()["data"]["completed"]

    # edit: the fields of the form change, the others stay
    edit = owner.get(f"{base}/edit").text
    assert 'value="Grace"' in edit
    assert (
        owner.post(base, {"first_name": "Grace", "last_name": "Hopper", "tags": "navy"}).status_code
        == 303
    )
    shown = tenant.get(f"/contacts/{contact_id}").json()["data"]
    assert (shown["last_name"], shown["tags"]) == ("Hopper", ["navy"])

    # a wrong value: the form again, with what to fix, and nothing saved
    bad = owner.post(base, {"first_name": "Grace", "email": "not-an-email"})
    assert bad.status_code == 400
    assert "email" in bad.text and "Correct the fields" in bad.text
    assert tenant.get(f"/contacts/{contact_id}").json()["data"]["email"] is None

    assert owner.post(f"{base}/delete").status_code == 303
    assert tenant.get(f"/contacts/{contact_id}").status_code == 404
    assert "Restore contact" in owner.get(base).text
    assert contact_id in owner.get("/dashboard/contacts?deleted=1").text
    assert owner.post(f"{base}/restore").status_code == 303
    assert tenant.get(f"/contacts/{contact_id}").status_code == 200
    assert len(tenant.get(f"/contacts/{contact_id}/tasks").json()["data"]) == 1


def test_contacts_are_searched_filtered_sorted_and_paged(tenant: Tenant, owner: Browser) -> None:
    company = tenant.post("/companies", json={"name": "Zebra Ltd"}).json()["data"]
    for i in range(30):
        tenant.post(
            "/contacts",
            json={
                "first_name": f"P{i:02d}",
                "last_name": f"L{29 - i:02d}",
                "email": f"p{i:02d}@example.com",
                "tags": ["even"] if i % 2 == 0 else ["odd"],
                "company_id": company["id"] if i < 3 else None,
            },
        )
    first = owner.get("/dashboard/contacts").text
    assert "30 in all · page 1 of 2" in first
    second = owner.get("/dashboard/contacts?page=2").text
    assert len(set(ID.findall(first))) == 25 and "page 2 of 2" in second
    assert "p07@example.com" in owner.get("/dashboard/contacts?q=p07").text
    assert "p08@example.com" not in owner.get("/dashboard/contacts?q=p07").text
    tagged = owner.get("/dashboard/contacts?tag=odd").text
    assert "15 in all" in tagged and "p01@example.com" in tagged and "p02@" not in tagged
    at_company = owner.get(f"/dashboard/contacts?company_id={company['id']}").text
    assert "3 in all" in at_company and "Zebra Ltd" in at_company
    by_last = owner.get("/dashboard/contacts?sort=last_name&order=asc").text
    assert by_last.index("P29") < by_last.index("P28")
    by_email = owner.get("/dashboard/contacts?sort=email&order=desc").text
    assert by_email.index("p29@") < by_email.index("p28@")
    # nonsense in the query string is not an error
    assert owner.get("/dashboard/contacts?sort=drop&order=sideways&page=-3").status_code == 200
    nothing = owner.get("/dashboard/contacts?q=no-such-person").text
    assert "No contact matches" in nothing and "Clear the filters" in nothing


def test_empty_states_say_what_to_do(tenant: Tenant, owner: Browser) -> None:
    assert "Add your first contact" in owner.get("/dashboard/contacts").text
    assert "Add a company" in owner.get("/dashboard/companies").text
    assert "No open tasks" in owner.get("/dashboard/tasks").text
    assert "No webhook endpoints" in owner.get("/dashboard/webhooks").text
    assert "Nothing here yet" in owner.get("/dashboard").text


def test_companies(tenant: Tenant, owner: Browser) -> None:
    company_id = created_id(owner.post("/dashboard/companies", {"name": "Acme", "tags": "b2b"}))
    tenant.post("/contacts", json={"first_name": "Wile", "company_id": company_id})
    page = owner.get(f"/dashboard/companies/{company_id}").text
    assert "Acme" in page and "Wile" in page and "b2b" in page
    assert (
        owner.post(f"/dashboard/companies/{company_id}", {"name": "Acme Corp"}).status_code == 303
    )
    assert tenant.get(f"/companies/{company_id}").json()["data"]["name"] == "Acme Corp"
    assert owner.post("/dashboard/companies", {"name": ""}).status_code == 400
    assert owner.post(f"/dashboard/companies/{company_id}/delete").status_code == 303
    assert tenant.get(f"/companies/{company_id}").status_code == 404
    assert owner.post(f"/dashboard/companies/{company_id}/restore").status_code == 303
    assert "Acme Corp" in owner.get("/dashboard/companies?q=acme").text


def test_task_views(tenant: Tenant, owner: Browser) -> None:
    contact = tenant.post("/contacts", json={"first_name": "Task"}).json()["data"]
    other_id, _ = add_user(tenant)
    path = f"/contacts/{contact['id']}/tasks"
    tenant.post(path, json={"title": "Mine late", "due_at": "2001-01-01T00:00:00Z"})
    tenant.post(path, json={"title": "Mine later", "due_at": "2099-01-01T00:00:00Z"})
    tenant.post(path, json={"title": "Theirs", "assignee_id": other_id})
    tenant.post(path, json={"title": "Finished", "completed": True})
    mine = owner.get("/dashboard/tasks?view=mine").text
    assert "Mine late" in mine and "Mine later" in mine and "Theirs" not in mine
    assert "Finished" not in mine
    assert "Theirs" in owner.get("/dashboard/tasks?view=open").text
    overdue = owner.get("/dashboard/tasks?view=overdue").text
    assert "Mine late" in overdue and "Mine later" not in overdue
    assert "Finished" in owner.get("/dashboard/tasks?view=done").text
    assert "1</strong> overdue" in owner.get("/dashboard").text


def test_api_keys_shown_once_usable_and_revocable(tenant: Tenant, owner: Browser) -> None:
    created = owner.post("/dashboard/settings/api-keys", {"name": "Script", "scope": "read_only"})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    key = re.search(r'id="new-key-value">(rdx_k_[^<]+)<', created.text).group(1)
    listed = owner.get("/dashboard/settings/api-keys").text
    assert "Script" in listed and key not in listed  # shown once
    assert tenant.get("/contacts", key=key).status_code == 200
    assert tenant.post("/contacts", key=key, json={"first_name": "x"}).status_code == 403
    key_id = re.search(r"/dashboard/settings/api-keys/(key_[0-9a-z]+)/revoke", listed).group(1)
    assert owner.post(f"/dashboard/settings/api-keys/{key_id}/revoke").status_code == 303
    assert tenant.get("/contacts", key=key).status_code == 401
    assert "Revoked" in owner.get("/dashboard/settings/api-keys").text
    assert owner.post("/dashboard/settings/api-keys", {"name": ""}).status_code == 400


def test_users_roles_staff_and_acting_as_another(
    tenant: Tenant, owner: Browser, browser_for: Callable[..., Browser]
) -> None:
    email = f"new-{tenant.account_id[-10:]}@example.com"
    assert (
        owner.post(
            "/dashboard/settings/users",
            {"email": email, "role": "member", "password": "a-long-password-1"},
        ).status_code
        == 303
    )
    user = next(u for u in tenant.get("/users").json()["data"] if u["email"] == email)
    base = f"/dashboard/settings/users/{user['id']}"
    assert owner.post(base, {"role": "admin", "staff": "1"}).status_code == 303
    changed = tenant.get(f"/users/{user['id']}").json()["data"]
    assert (changed["role"], changed["staff"]) == ("admin", True)
    assert owner.post(base, {"role": "member"}).status_code == 303
    assert tenant.get(f"/users/{user['id']}").json()["data"]["staff"] is False
    # an admin may not make an owner: the page says so and nothing changes
    _, admin_email = add_user(tenant, role="admin")
    admin = browser_for(admin_email)
    refused = admin.post(base, {"role": "owner"})
    assert refused.status_code == 403 and "Only an owner" in refused.text
    assert tenant.get(f"/users/{user['id']}").json()["data"]["role"] == "member"
    # the last owner cannot be deactivated
    assert owner.post(f"/dashboard/settings/users/{tenant.user_id}/deactivate").status_code == 422

    # staff acts as the member: changes are theirs, the owner is the impersonator
    assert owner.post("/dashboard/impersonate", {"user_id": user["id"]}).status_code == 303
    assert f"(as {email}" in owner.get("/dashboard").text
    assert owner.get("/dashboard/audit").status_code == 403  # the member's rights now
    contact_id = created_id(owner.post("/dashboard/contacts", {"first_name": "Acted"}))
    assert tenant.get(f"/contacts/{contact_id}").json()["data"]["owner_id"] == user["id"]
    audit = tenant.get("/audit-log", params={"resource_id": contact_id}).json()["data"][0]
    assert (audit["user_id"], audit["impersonator_id"]) == (user["id"], tenant.user_id)
    assert owner.post("/dashboard/impersonate/stop").status_code == 303
    assert owner.get("/dashboard/audit").status_code == 200
    # only staff may act as another
    member = browser_for(email, sign_in=False)
    assert member.sign_in("a-long-password-1").status_code == 303
    assert member.post("/dashboard/impersonate", {"user_id": tenant.user_id}).status_code == 403


def test_webhooks_endpoints_deliveries_attempts_replay(tenant: Tenant, owner: Browser) -> None:
    created = owner.post(
        "/dashboard/webhooks",
        {
            "url": "https://example.com/hook",
            "events": ["contact.*"],
            "more_events": "task.completed",
        },
    )
    assert created.status_code == 200 and "whsec_" in created.text
    endpoint = tenant.get("/webhooks").json()["data"][0]
    assert endpoint["events"] == ["contact.*", "task.completed"]
    assert "whsec_" not in owner.get("/dashboard/webhooks").text
    tenant.post("/contacts", json={"first_name": "Hooked"})
    page = owner.get(f"/dashboard/webhooks/{endpoint['id']}").text
    delivery = tenant.get(f"/webhooks/{endpoint['id']}/deliveries").json()["data"][0]
    assert "contact.created" in page and "pending" in page
    delivery_page = f"/dashboard/webhooks/{endpoint['id']}/deliveries/{delivery['id']}"
    assert "Not attempted yet" in owner.get(delivery_page).text
    # a pending delivery is not replayed: the page says why
    refused = owner.post(f"{delivery_page}/replay")
    assert refused.status_code == 422 and "still pending" in refused.text
    assert owner.post("/dashboard/webhooks", {"url": "not a url", "events": "*"}).status_code == 400
    assert owner.post(f"/dashboard/webhooks/{endpoint['id']}/delete").status_code == 303
    assert tenant.get(f"/webhooks/{endpoint['id']}").status_code == 404


def test_the_audit_log_lists_and_filters(tenant: Tenant, owner: Browser) -> None:
    contact_id = created_id(owner.post("/dashboard/contacts", {"first_name": "Logged"}))
    owner.post(f"/dashboard/contacts/{contact_id}", {"first_name": "Logged", "last_name": "In"})
    page = owner.get(f"/dashboard/audit?resource_id={contact_id}").text
    assert "contact.created" in page and "contact.updated" in page
    assert "last_name" in page and "session" in page
    assert "contact.created" not in owner.get("/dashboard/audit?action=contact.deleted").text


def test_signed_out_pages_send_the_browser_to_sign_in(
    tenant: Tenant, browser_for: Callable[..., Browser]
) -> None:
    browser = browser_for(tenant.email, sign_in=False)
    response = browser.get("/dashboard/contacts?q=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login?next=/dashboard/contacts%3Fq%3Dx"
    assert browser.post("/dashboard/contacts", {"first_name": "x"}).status_code == 401
    unknown = browser.get("/dashboard/no-such-page")
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]
    css = browser.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert browser.get("/dashboard/static/..%2fpages.py").status_code == 404


def test_connections_with_their_usage_per_hour(tenant: Tenant, owner: Browser) -> None:
    from rolodex.db import utcnow
    from rolodex.integrations.usage import add_usage

    assert "No connections yet" in owner.get("/dashboard/connections").text
    connection_id = add_connection(tenant)
    page = owner.get(f"/dashboard/connections/{connection_id}").text
    assert "No requests in the last 7 days" in page

    async def traffic(session: Any) -> None:
        now = utcnow()
        for hours_ago, requests, throttled in ((0, 40, 3), (2, 10, 0), (30, 25, 0)):
            await add_usage(
                session,
                connection_id,
                tenant.account_id,
                "contacts.list",
                requests=requests,
                throttled=throttled,
                at=now - timedelta(hours=hours_ago),
            )
        await add_usage(
            session, connection_id, tenant.account_id, "contacts.get", requests=5, failed=1, at=now
        )
        await add_usage(
            session,
            connection_id,
            tenant.account_id,
            "contacts.get",
            requests=99,
            at=now - timedelta(days=9),
        )  # older than the chart

    tenant.run(traffic)
    listed = owner.get("/dashboard/connections").text
    assert "55 requests" in listed and "3 x 429" in listed  # the last 24 hours
    page = owner.get(f"/dashboard/connections/{connection_id}").text
    assert "80 requests" in page and "3 answered 429" in page and "1 failed" in page
    assert page.count('class="bar"') == 7 * 24  # one bar an hour, this one the last
    assert page.count('class="bar alert"') == 1
    assert "45 requests, 4 refused" in page  # the hour's tooltip: both operations
    assert ">45/h<" in page  # the scale: the busiest hour
