"""Comments, taggings, tags, users, the session and web hooks on the MOCO surface."""

from __future__ import annotations

import json
from typing import Any

from rolodex.dialects.moco.delivery import signature
from tests.conftest import Tenant
from tests.dialects.moco.conftest import Moco
from tests.webhooks.receiver import receiver


def _person(moco: Moco, lastname: str = "Muster") -> dict[str, Any]:
    person: dict[str, Any] = moco.ok(
        "POST", "/contacts/people", json={"lastname": lastname, "gender": "F"}
    )
    return person


def test_comments_are_notes_on_people(moco: Moco, tenant: Tenant) -> None:
    person, other = _person(moco), _person(moco, "Other")
    me = moco.ok("GET", "/session")["id"]
    comment = moco.ok(
        "POST",
        "/comments",
        json={
            "commentable_id": person["id"],
            "commentable_type": "Contact",
            "text": "<div>Hi</div>",
        },
    )
    assert comment["commentable_id"] == person["id"] and comment["commentable_type"] == "Contact"
    assert comment["manual"] is True and comment["user"]["id"] == me
    bulk = moco.ok(
        "POST",
        "/comments/bulk",
        json={
            "commentable_ids": [person["id"], other["id"]],
            "commentable_type": "Contact",
            "text": "News",
        },
    )
    assert [c["commentable_id"] for c in bulk] == [person["id"], other["id"]]
    on_person = moco.ok("GET", "/comments", params={"commentable_id": person["id"]})
    assert sorted(c["id"] for c in on_person) == sorted([comment["id"], bulk[0]["id"]])
    assert moco.ok("GET", "/comments", params={"commentable_type": "Project"}) == []
    assert len(moco.ok("GET", "/comments", params={"user_id": me})) == 3
    assert moco.ok("GET", "/comments", params={"manual": "false"}) == []

    contact_id = tenant.get("/contacts", params={"q": "Muster"}).json()["data"][0]["id"]
    [note, *_] = tenant.get(f"/contacts/{contact_id}/notes").json()["data"]
    tenant.patch(f"/contacts/{contact_id}/notes/{note['id']}", json={"pinned": True})
    changed = moco.ok("PUT", f"/comments/{comment['id']}", json={"text": "Changed"})
    assert changed["text"] == "Changed"
    native = tenant.get(f"/contacts/{contact_id}/notes/{note['id']}").json()["data"]
    assert native["pinned"] is True  # MOCO does not know pinned: left as it was

    not_a_person = moco.post(
        "/comments", json={"commentable_id": 10**9, "commentable_type": "Contact", "text": "x"}
    )
    assert not_a_person.status_code == 422 and "commentable_id" in not_a_person.json()["message"]
    project = moco.post(
        "/comments",
        json={"commentable_id": person["id"], "commentable_type": "Project", "text": "x"},
    )
    assert project.status_code == 422 and "commentable_type" in project.json()["message"]
    assert moco.delete(f"/comments/{comment['id']}").status_code == 204
    assert moco.get(f"/comments/{comment['id']}").status_code == 404


def test_taggings_add_replace_and_remove(moco: Moco) -> None:
    person = _person(moco)
    company = moco.ok("POST", "/companies", json={"name": "Tagged AG", "type": "customer"})
    for entity, number in (("Contact", person["id"]), ("Company", company["id"])):
        path = f"/taggings/{entity}/{number}"
        assert moco.ok("GET", path) == []
        assert sorted(moco.ok("PATCH", path, json={"tags": ["cool", "on hold"]})) == [
            "cool",
            "on hold",
        ]
        assert sorted(moco.ok("PATCH", path, json={"tags": ["Cool", "climate"]})) == [
            "climate",
            "cool",
            "on hold",
        ]
        assert moco.ok("DELETE", path, json={"tags": ["COOL", "absent"]}) == ["climate", "on hold"]
        assert moco.ok("PUT", path, json={"tags": ["only"]}) == ["only"]
        assert moco.ok("PUT", path, json={"tags": []}) == []
    assert moco.get(f"/taggings/Project/{person['id']}").status_code == 404
    assert moco.get(f"/taggings/Company/{person['id']}").status_code == 404


def test_tags_in_the_context_asked_for(moco: Moco) -> None:
    tag = moco.ok(
        "POST", "/tags", json={"name": "ONHOLD", "color": "#FFFF00", "context": "Company"}
    )
    assert tag["context"] == "Company" and tag["color"] == "#FFFF00"
    assert moco.ok("GET", f"/tags/{tag['id']}")["context"] == "Contact"
    assert {t["context"] for t in moco.ok("GET", "/tags", params={"context": "Company"})} == {
        "Company"
    }
    assert moco.ok("GET", "/tags", params={"context": "Project"}) == []
    duplicate = moco.post("/tags", json={"name": "onhold", "context": "Contact"})
    assert duplicate.status_code == 422
    assert moco.post("/tags", json={"name": "x", "context": "Project"}).status_code == 422
    changed = moco.ok("PUT", f"/tags/{tag['id']}", json={"color": "#FF0000"})
    assert changed["name"] == "ONHOLD" and changed["color"] == "#FF0000"
    assert moco.delete(f"/tags/{tag['id']}", params={"merge_tag_id": 1}).status_code == 422
    assert moco.delete(f"/tags/{tag['id']}").status_code == 204
    assert moco.get(f"/tags/{tag['id']}").status_code == 404


def test_users_and_the_session(moco: Moco, tenant: Tenant) -> None:
    tenant.add_user(active=False)
    users = moco.ok("GET", "/users")
    [me] = [u for u in users if u["email"] == tenant.email]
    assert me["active"] is True and me["extern"] is False
    assert all(u["active"] for u in users)
    everyone = moco.ok("GET", "/users", params={"include_archived": "true"})
    assert len(everyone) == len(users) + 1
    assert moco.ok("GET", f"/users/{me['id']}") == me
    assert moco.ok("GET", "/users", params={"email": tenant.email.upper()}) == [me]
    session = moco.ok("GET", "/session")
    assert session["id"] == me["id"] and len(session["uuid"]) == 36
    assert moco.ok("GET", "/session") == session
    account_key = tenant.post("/api-keys", json={"name": "acct", "kind": "account"}).json()["data"][
        "key"
    ]
    assert moco.get("/session", key=account_key).status_code == 401
    assert moco.get("/session", key="rdx_k_not_a_key").status_code == 401


def test_web_hooks_are_managed_and_their_key_is_shown_once(moco: Moco, tenant: Tenant) -> None:
    created = moco.ok(
        "POST",
        "/account/web_hooks",
        json={"target": "Company", "event": "update", "hook": "https://example.org/do-stuff"},
    )
    key = created.pop("signature_key")
    assert len(key) == 32 and int(key, 16) >= 0
    assert created["disabled"] is False and created["disabled_at"] is None
    number = created["id"]
    assert moco.ok("GET", f"/account/web_hooks/{number}") == created
    assert moco.ok("GET", "/account/web_hooks") == [created]
    assert key not in json.dumps(moco.ok("GET", "/account/web_hooks"))
    [native] = tenant.get("/webhooks").json()["data"]
    assert native["format"] == "moco"
    assert set(native["events"]) == {
        "company.updated",
        "company.tags_added",
        "company.tags_removed",
    }
    disabled = moco.ok("PUT", f"/account/web_hooks/{number}/disable")
    assert disabled["disabled"] is True and disabled["disabled_at"] is not None
    assert moco.ok("PUT", f"/account/web_hooks/{number}/enable")["disabled"] is False
    moved = moco.ok("PUT", f"/account/web_hooks/{number}", json={"hook": "https://example.org/v2"})
    assert moved["hook"] == "https://example.org/v2" and moved["target"] == "Company"
    bad = moco.post(
        "/account/web_hooks", json={"target": "Invoice", "event": "create", "hook": "https://e.org"}
    )
    assert bad.status_code == 422
    keyed = moco.post(
        "/account/web_hooks",
        json={"target": "Contact", "event": "create", "hook": "https://example.org/x"},
        headers={"Idempotency-Key": "once"},
    )
    assert keyed.status_code == 422 and "Idempotency-Key" in keyed.json()["message"]
    native_only = tenant.post("/webhooks", json={"url": "https://e.org/n", "events": ["contact.*"]})
    assert native_only.status_code == 201
    assert len(moco.ok("GET", "/account/web_hooks")) == 1  # native endpoints are not MOCO hooks
    refused = tenant.post(
        "/webhooks", json={"url": "https://e.org/m", "events": ["contact.*"], "format": "moco"}
    )
    assert refused.status_code == 400
    _, member_key = tenant.add_user(role="member")
    assert moco.get("/account/web_hooks", key=member_key).status_code == 403
    assert moco.delete(f"/account/web_hooks/{number}").status_code == 204
    assert moco.get(f"/account/web_hooks/{number}").status_code == 404


def test_the_key_of_a_web_hook_is_kept_only_encrypted(moco: Moco, tenant: Tenant) -> None:
    key = moco.ok(
        "POST",
        "/account/web_hooks",
        json={"target": "Contact", "event": "create", "hook": "https://example.org/at-rest"},
    )["signature_key"]

    async def scan(session: Any) -> list[str]:
        from sqlalchemy import MetaData, select

        found: list[str] = []
        metadata = MetaData()
        await session.run_sync(lambda s: metadata.reflect(bind=s.connection()))
        for table in metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if key in repr(tuple(row)):
                    found.append(table.name)
        return found

    assert tenant.run(scan) == []


def test_a_moco_web_hook_is_delivered_signed_with_its_key(
    moco: Moco, tenant: Tenant, run_worker: Any
) -> None:
    with receiver() as hooks, run_worker():
        created = moco.ok(
            "POST",
            "/account/web_hooks",
            json={"target": "Contact", "event": "update", "hook": hooks.url},
        )
        also = moco.ok(
            "POST",
            "/account/web_hooks",
            json={"target": "Comment", "event": "create", "hook": hooks.url},
        )
        person = _person(moco, "Hooked")  # a create: not what the first hook listens to
        moco.ok("PUT", f"/contacts/people/{person['id']}", json={"firstname": "Hanna"})
        moco.ok(
            "POST",
            "/comments",
            json={"commentable_id": person["id"], "commentable_type": "Contact", "text": "Hi"},
        )
        hooks.wait_for(lambda got: len(got) >= 2)
    by_target = {r.headers["x-moco-target"]: r for r in hooks.received}
    assert set(by_target) == {"Contact", "Comment"} and len(hooks.received) == 2
    update = by_target["Contact"]
    assert update.headers["x-moco-event"] == "update"
    assert update.headers["x-moco-signature"] == signature(created["signature_key"], update.body)
    assert update.headers["x-moco-signature"] != signature(also["signature_key"], update.body)
    assert update.headers["x-moco-user-id"] == str(moco.ok("GET", "/session")["id"])
    assert update.headers["x-moco-account-url"] == tenant.account_id
    assert int(update.headers["x-moco-timestamp"]) > 1_700_000_000_000
    shown = moco.ok("GET", f"/contacts/people/{person['id']}")
    assert update.json == shown  # the entity as the MOCO surface shows it
    comment = by_target["Comment"]
    assert comment.headers["x-moco-event"] == "create"
    assert comment.headers["x-moco-signature"] == signature(also["signature_key"], comment.body)
    assert comment.json["commentable_id"] == person["id"] and comment.json["text"] == "Hi"
