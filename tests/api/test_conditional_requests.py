"""Conditional requests (contract §10): ETags on single resources, ``If-None-Match`` →
304, ``If-Match`` → 412 on a stale write, with nothing changed."""

from __future__ import annotations

import re
from typing import Any

import pytest

STRONG_TAG = re.compile(r'^"[0-9a-f]{32}"$')


def created(tenant: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = tenant.post(path, json=body)
    assert response.status_code == 201, response.text
    assert STRONG_TAG.match(response.headers["ETag"]), response.headers
    data: dict[str, Any] = response.json()["data"]
    return data


def records(tenant: Any) -> dict[str, str]:
    """One record of every kind; their paths, by kind."""
    company = created(tenant, "/companies", {"name": "Acme"})["id"]
    contact = created(tenant, "/contacts", {"first_name": "Ada", "company_id": company})["id"]
    task = created(tenant, f"/contacts/{contact}/tasks", {"title": "Call back"})["id"]
    note = created(tenant, f"/contacts/{contact}/notes", {"body": "Met at the fair"})["id"]
    appointment = created(
        tenant,
        f"/contacts/{contact}/appointments",
        {"title": "Demo", "starts_at": "2026-11-22T09:00:00Z", "ends_at": "2026-11-22T10:00:00Z"},
    )["id"]
    tag = created(tenant, "/tags", {"name": "vip"})["id"]
    key = tenant.post("/api-keys", json={"name": "spare", "scope": "read_only"})
    assert key.status_code == 201, key.text
    return {
        "contact": f"/contacts/{contact}",
        "company": f"/companies/{company}",
        "tag": f"/tags/{tag}",
        "task": f"/contacts/{contact}/tasks/{task}",
        "note": f"/contacts/{contact}/notes/{note}",
        "appointment": f"/contacts/{contact}/appointments/{appointment}",
        "user": f"/users/{tenant.user_id}",
        "me": "/users/me",
        "api_key": f"/api-keys/{key.json()['data']['id']}",
    }


def etag(tenant: Any, path: str) -> str:
    response = tenant.get(path)
    assert response.status_code == 200, response.text
    tag: str = response.headers["ETag"]
    return tag


# A change of each kind of writable record, and what it changes.
UPDATES: dict[str, tuple[str, dict[str, Any], str]] = {
    "contact": ("PATCH", {"first_name": "Grace"}, "first_name"),
    "company": ("PATCH", {"name": "Initech"}, "name"),
    "tag": ("PATCH", {"name": "gold"}, "name"),
    "task": ("PATCH", {"title": "Send proposal"}, "title"),
    "note": ("PATCH", {"body": "Called"}, "body"),
    "appointment": ("PATCH", {"title": "Review"}, "title"),
}


def test_every_single_resource_get_carries_a_stable_strong_etag(tenant) -> None:
    paths = records(tenant)
    for kind, path in paths.items():
        first, again = tenant.get(path), tenant.get(path)
        assert first.status_code == 200, (kind, first.text)
        assert STRONG_TAG.match(first.headers.get("ETag", "")), (kind, first.headers)
        assert again.headers["ETag"] == first.headers["ETag"], kind
    tags = {etag(tenant, path) for path in paths.values()}
    assert len(tags) == len(paths) - 1  # /users/me and /users/{id} are the same user


def test_lists_carry_no_etag(tenant) -> None:
    records(tenant)
    for path in ("/contacts", "/companies", "/tags", "/tasks", "/users", "/api-keys"):
        response = tenant.get(path)
        assert response.status_code == 200
        assert "ETag" not in response.headers, path


@pytest.mark.parametrize("kind", sorted(UPDATES))
def test_the_etag_changes_with_an_update_and_the_write_returns_the_new_one(tenant, kind) -> None:
    path = records(tenant)[kind]
    before = etag(tenant, path)
    method, body, _ = UPDATES[kind]
    response = tenant.request(method, path, json=body, headers={"If-Match": before})
    assert response.status_code == 200, response.text
    after = etag(tenant, path)
    assert after != before
    assert response.headers["ETag"] == after


def test_an_update_that_changes_nothing_keeps_the_etag(tenant) -> None:
    path = records(tenant)["contact"]
    before = etag(tenant, path)
    response = tenant.patch(path, json={"first_name": "Ada"})
    assert response.status_code == 200
    assert etag(tenant, path) == before == response.headers["ETag"]


def test_tags_and_cascades_move_the_etag(tenant) -> None:
    paths = records(tenant)
    contact = paths["contact"]
    tag_id = paths["tag"].rsplit("/", 1)[1]
    before = etag(tenant, contact)
    assert tenant.post(f"{contact}/tags", json={"tags": ["vip"]}).status_code == 200
    tagged = etag(tenant, contact)
    assert tagged != before
    assert tenant.patch(f"/tags/{tag_id}", json={"name": "platinum"}).status_code == 200
    renamed = etag(tenant, contact)
    assert renamed != tagged
    assert (
        tenant.request("DELETE", f"{contact}/tags", json={"tags": ["platinum"]}).status_code == 200
    )
    assert etag(tenant, contact) != renamed


def test_if_none_match_with_the_current_tag_is_304_without_body(tenant) -> None:
    paths = records(tenant)
    for kind, path in paths.items():
        tag = etag(tenant, path)
        response = tenant.get(path, headers={"If-None-Match": tag})
        assert response.status_code == 304, (kind, response.text)
        assert response.content == b""
        assert response.headers["ETag"] == tag
        assert response.headers.get("X-Request-Id")


@pytest.mark.parametrize(
    "header",
    ['"0000", {tag}', "W/{tag}", "*", '{tag},"1111"', " {tag} "],
    ids=["list", "weak", "star", "list-first", "spaces"],
)
def test_if_none_match_forms(tenant, header) -> None:
    path = records(tenant)["contact"]
    tag = etag(tenant, path)
    response = tenant.get(path, headers={"If-None-Match": header.format(tag=tag)})
    assert response.status_code == 304, response.text


def test_if_none_match_with_an_old_tag_is_200_with_the_new_tag(tenant) -> None:
    path = records(tenant)["contact"]
    old = etag(tenant, path)
    assert tenant.patch(path, json={"last_name": "Lovelace"}).status_code == 200
    response = tenant.get(path, headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.json()["data"]["last_name"] == "Lovelace"
    assert response.headers["ETag"] != old


def test_if_none_match_on_a_list_is_ignored(tenant) -> None:
    records(tenant)
    response = tenant.get("/contacts", headers={"If-None-Match": "*"})
    assert response.status_code == 200


def test_if_none_match_on_a_missing_resource_is_404(tenant) -> None:
    response = tenant.get(
        "/contacts/cnt_01jd6w3q0000000000000000aa", headers={"If-None-Match": "*"}
    )
    assert response.status_code == 404


def _stale_tag(tenant: Any, path: str, kind: str) -> str:
    """A tag the client read before someone else changed the record."""
    stale = etag(tenant, path)
    method, body, _ = UPDATES[kind]
    assert tenant.request(method, path, json=body).status_code == 200
    return stale


WRITES = {
    "contact": {
        "PUT": {"first_name": "Put", "last_name": "Replaced"},
        "PATCH": {"first_name": "Patched"},
    },
    "company": {"PUT": {"name": "Put Inc"}, "PATCH": {"name": "Patched Inc"}},
    "tag": {"PUT": {"name": "put-tag"}, "PATCH": {"name": "patched-tag"}},
    "task": {"PUT": {"title": "Put task"}, "PATCH": {"title": "Patched task"}},
}


@pytest.mark.parametrize(
    ("kind", "method"),
    [(kind, method) for kind in sorted(WRITES) for method in ("PUT", "PATCH", "DELETE")],
)
def test_a_stale_if_match_is_412_and_changes_nothing(tenant, kind, method) -> None:
    path = records(tenant)[kind]
    stale = _stale_tag(tenant, path, kind)
    before = tenant.get(path)
    body = WRITES[kind].get(method)
    response = tenant.request(method, path, json=body, headers={"If-Match": stale})
    assert response.status_code == 412, response.text
    error = response.json()["error"]
    assert error["code"] == "PRECONDITION_FAILED"
    assert error["request_id"] == response.headers["X-Request-Id"]
    after = tenant.get(path)
    assert after.status_code == 200
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


@pytest.mark.parametrize(
    ("kind", "method"),
    [(kind, method) for kind in sorted(WRITES) for method in ("PUT", "PATCH", "DELETE")],
)
def test_the_current_if_match_succeeds(tenant, kind, method) -> None:
    path = records(tenant)[kind]
    current = etag(tenant, path)
    body = WRITES[kind].get(method)
    response = tenant.request(method, path, json=body, headers={"If-Match": current})
    assert response.status_code == 200, response.text
    if method == "DELETE":
        assert tenant.get(path).status_code == 404
    else:
        field = next(iter(body))
        assert tenant.get(path).json()["data"][field] == body[field]


@pytest.mark.parametrize(
    "header",
    ["*", '"0000", {tag}', "{bare}"],
    ids=["star", "list", "unquoted"],
)
def test_if_match_forms(tenant, header) -> None:
    path = records(tenant)["contact"]
    tag = etag(tenant, path)
    value = header.format(tag=tag, bare=tag.strip('"'))
    response = tenant.patch(path, json={"first_name": "Grace"}, headers={"If-Match": value})
    assert response.status_code == 200, response.text


def test_if_match_uses_strong_comparison(tenant) -> None:
    path = records(tenant)["contact"]
    tag = etag(tenant, path)
    response = tenant.patch(path, json={"first_name": "Grace"}, headers={"If-Match": f"W/{tag}"})
    assert response.status_code == 412
    assert tenant.get(path).json()["data"]["first_name"] == "Ada"


def test_if_match_on_a_missing_resource_is_404(tenant) -> None:
    response = tenant.patch(
        "/contacts/cnt_01jd6w3q0000000000000000aa",
        json={"first_name": "Grace"},
        headers={"If-Match": "*"},
    )
    assert response.status_code == 404


def test_stale_if_match_on_the_other_conditional_writes(tenant) -> None:
    paths = records(tenant)
    task, contact, key = paths["task"], paths["contact"], paths["api_key"]
    stale_task = _stale_tag(tenant, task, "task")
    completed = tenant.put(
        f"{task}/completed", json={"completed": True}, headers={"If-Match": stale_task}
    )
    assert completed.status_code == 412
    assert tenant.get(task).json()["data"]["completed"] is False
    ok = tenant.put(
        f"{task}/completed", json={"completed": True}, headers={"If-Match": etag(tenant, task)}
    )
    assert ok.status_code == 200 and ok.json()["data"]["completed"] is True

    tenant.post(f"{contact}/tags", json={"tags": ["vip"]})
    stale_contact = _stale_tag(tenant, contact, "contact")
    untag = tenant.request(
        "DELETE", f"{contact}/tags", json={"tags": ["vip"]}, headers={"If-Match": stale_contact}
    )
    assert untag.status_code == 412
    assert tenant.get(contact).json()["data"]["tags"] == ["vip"]

    revoke = tenant.delete(key, headers={"If-Match": '"0000"'})
    assert revoke.status_code == 412
    assert tenant.get(key).json()["data"]["revoked_at"] is None
    revoke = tenant.delete(key, headers={"If-Match": etag(tenant, key)})
    assert revoke.status_code == 200
    assert tenant.get(key).json()["data"]["revoked_at"] is not None


@pytest.mark.parametrize("kind", ["note", "appointment"])
def test_stale_if_match_on_notes_and_appointments(tenant, kind) -> None:
    path = records(tenant)[kind]
    stale = _stale_tag(tenant, path, kind)
    assert tenant.delete(path, headers={"If-Match": stale}).status_code == 412
    assert tenant.get(path).status_code == 200


def test_if_none_match_star_on_a_write_of_an_existing_resource_is_412(tenant) -> None:
    path = records(tenant)["contact"]
    response = tenant.put(path, json={"first_name": "Grace"}, headers={"If-None-Match": "*"})
    assert response.status_code == 412
    assert tenant.get(path).json()["data"]["first_name"] == "Ada"


def test_a_get_with_a_stale_if_match_is_412(tenant) -> None:
    path = records(tenant)["contact"]
    stale = _stale_tag(tenant, path, "contact")
    assert tenant.get(path, headers={"If-Match": stale}).status_code == 412
    assert tenant.get(path, headers={"If-Match": etag(tenant, path)}).status_code == 200
