"""Transport: media types, body limits, request ids, error envelopes, ids, timestamps."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import API

MIB = 1024 * 1024
REQUEST_ID = re.compile(r"^req_[0-9a-z]{26}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    return error


def new_contact(tenant) -> str:
    response = tenant.post("/contacts", json={"first_name": "Ada"})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


# --- media types -----------------------------------------------------------------------


def test_text_plain_body_is_415(tenant) -> None:
    response = tenant.post(
        "/contacts", content=b'{"first_name": "Ada"}', headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert tenant.get("/contacts").json()["data"] == []


def test_body_without_content_type_is_415(tenant) -> None:
    response = tenant.post("/contacts", content=b'{"first_name": "Ada"}')
    assert "content-type" not in response.request.headers
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert tenant.get("/contacts").json()["data"] == []


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_with_a_non_json_body_are_415(tenant, method) -> None:
    contact_id = new_contact(tenant)
    response = tenant.request(
        method,
        f"/contacts/{contact_id}",
        content=b"first_name=Eve",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert tenant.get(f"/contacts/{contact_id}").json()["data"]["first_name"] == "Ada"


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON"],
)
def test_json_with_charset_is_accepted(tenant, content_type) -> None:
    response = tenant.post(
        "/contacts",
        content=json.dumps({"first_name": "Zoë"}).encode(),
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["first_name"] == "Zoë"


def test_bodyless_delete_needs_no_content_type(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.delete(f"/contacts/{contact_id}")
    assert response.status_code == 200
    assert response.json() == {"data": None}


@pytest.mark.parametrize("raw", [b"{", b'{"first_name": "Ada",}', b"not json", b"\xff\xfe"])
def test_malformed_json_is_400(tenant, raw) -> None:
    response = tenant.post("/contacts", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("raw", [b"[]", b'"a string"', b"null", b"42"])
def test_json_that_is_not_an_object_is_400(tenant, raw) -> None:
    response = tenant.post("/contacts", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "VALIDATION_ERROR")


def test_empty_json_body_on_post_is_400(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.post(
        f"/contacts/{contact_id}/tasks", content=b"", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "VALIDATION_ERROR")


# --- body size -------------------------------------------------------------------------


def test_body_over_one_mib_with_content_length_is_413(tenant) -> None:
    body = json.dumps({"first_name": "Ada", "description": "x" * (MIB + 10)}).encode()
    response = tenant.post("/contacts", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert tenant.get("/contacts").json()["data"] == []


def test_body_over_one_mib_is_413_before_authentication(client) -> None:
    response = client.post(
        API + "/contacts",
        content=b"x" * (MIB + 1),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_streamed_body_over_one_mib_is_413(tenant) -> None:
    def chunks():
        yield b'{"first_name": "Ada", "description": "'
        for _ in range(20):
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = tenant.post(
        "/contacts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert tenant.get("/contacts").json()["data"] == []


def test_streamed_body_under_the_limit_is_accepted(tenant) -> None:
    def chunks():
        yield b'{"first_name": '
        yield b'"Ada"}'

    response = tenant.post(
        "/contacts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


def test_body_just_under_one_mib_is_not_refused_for_size(tenant) -> None:
    body = json.dumps({"first_name": "Ada", "description": "x" * 60_000}).encode()
    assert len(body) < MIB
    response = tenant.post("/contacts", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text


# --- request ids -----------------------------------------------------------------------


@pytest.mark.parametrize("request_id", ["abc-123", "trace:1.2_3", "A" * 128])
def test_valid_client_request_id_is_echoed(tenant, request_id) -> None:
    response = tenant.get("/contacts", headers={"X-Request-Id": request_id})
    assert response.headers["X-Request-Id"] == request_id


@pytest.mark.parametrize("request_id", ["has space", "A" * 129, "semi;colon", "a/b", ""])
def test_invalid_client_request_id_is_replaced(tenant, request_id) -> None:
    response = tenant.get("/contacts", headers={"X-Request-Id": request_id})
    assert REQUEST_ID.match(response.headers["X-Request-Id"])


def test_server_makes_a_fresh_request_id_per_request(tenant) -> None:
    first = tenant.get("/contacts").headers["X-Request-Id"]
    second = tenant.get("/contacts").headers["X-Request-Id"]
    assert REQUEST_ID.match(first) and REQUEST_ID.match(second)
    assert first != second


def test_error_body_carries_the_client_request_id(client) -> None:
    response = client.get(API + "/contacts", headers={"X-Request-Id": "client-42"})
    error = assert_error(response, 401, "UNAUTHORIZED")
    assert error["request_id"] == "client-42"


def test_request_id_is_on_413_and_health_and_404(client) -> None:
    headers = {"X-Request-Id": "rid-1", "Content-Type": "application/json"}
    too_large = client.post(API + "/contacts", content=b"x" * (MIB + 1), headers=headers)
    assert too_large.headers["X-Request-Id"] == "rid-1"
    assert too_large.json()["error"]["request_id"] == "rid-1"
    assert client.get("/health", headers=headers).headers["X-Request-Id"] == "rid-1"
    assert client.get("/nowhere", headers=headers).json()["error"]["request_id"] == "rid-1"


# --- routing ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nowhere", API + "/nowhere", API + "/contacts/x/y/z/w"])
def test_unknown_route_is_a_404_envelope(tenant, path) -> None:
    response = tenant.client.get(path, headers={"X-API-Key": tenant.key})
    assert_error(response, 404, "NOT_FOUND")


def test_wrong_method_is_a_405_envelope(tenant) -> None:
    response = tenant.patch("/contacts", json={})
    error = assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert error["message"]
    assert "GET" in response.headers.get("Allow", "")


def test_wrong_method_on_a_nested_route_is_405(tenant) -> None:
    contact_id = new_contact(tenant)
    response = tenant.delete(f"/contacts/{contact_id}/tasks")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_trailing_slash_is_served_without_redirect(tenant) -> None:
    contact_id = new_contact(tenant)
    listed = tenant.get("/contacts/", follow_redirects=False)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["data"]] == [contact_id]
    assert tenant.get(f"/contacts/{contact_id}/").json()["data"]["id"] == contact_id
    created = tenant.post("/contacts/", json={"first_name": "Bob"}, follow_redirects=False)
    assert created.status_code == 201


# --- representation --------------------------------------------------------------------


def test_timestamps_are_utc_with_z_and_ids_have_their_prefixes(tenant) -> None:
    company = tenant.post("/companies", json={"name": "Acme"}).json()["data"]
    contact = tenant.post(
        "/contacts", json={"first_name": "Ada", "company_id": company["id"], "tags": ["vip"]}
    ).json()["data"]
    cid = contact["id"]
    task = tenant.post(
        f"/contacts/{cid}/tasks", json={"title": "x", "due_at": "2026-12-01T10:00:00+01:00"}
    ).json()["data"]
    note = tenant.post(f"/contacts/{cid}/notes", json={"body": "x"}).json()["data"]
    appointment = tenant.post(
        f"/contacts/{cid}/appointments", json={"title": "x", "starts_at": "2026-12-01T10:00:00"}
    ).json()["data"]
    tag = tenant.get("/tags").json()["data"][0]
    me = tenant.get("/users/me").json()["data"]
    key = tenant.get("/api-keys").json()["data"][0]

    expected = {
        "cmp_": company,
        "cnt_": contact,
        "tsk_": task,
        "nte_": note,
        "apt_": appointment,
        "tag_": tag,
        "usr_": me,
        "key_": key,
    }
    for prefix, resource in expected.items():
        assert re.match(rf"^{prefix}[0-9a-z]{{26}}$", resource["id"]), resource
        assert TIMESTAMP.match(resource["created_at"]), resource
        assert TIMESTAMP.match(resource["updated_at"]), resource
    assert me["account_id"].startswith("acc_")
    assert task["due_at"] == "2026-12-01T09:00:00Z"
    assert appointment["starts_at"] == "2026-12-01T10:00:00Z", "naive times are taken as UTC"
    assert contact["company_id"] == company["id"]


# --- unstorable text -------------------------------------------------------------------


NUL = '"a\\u0000b"'
SURROGATE = '"a\\ud800b"'


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/contacts", '{"first_name": %s}'),
        ("/contacts", '{"first_name": "Ada", "custom_fields": {"k": %s}}'),
        ("/contacts", '{"first_name": "Ada", "custom_fields": {%s: 1}}'),
        ("/contacts", '{"first_name": "Ada", "address": {"city": %s}}'),
        ("/contacts", '{"first_name": "Ada", "tags": [%s]}'),
        ("/contacts", '{"email": %s}'),
        ("/companies", '{"name": %s}'),
        ("/tags", '{"name": %s}'),
        ("/contacts/{cid}/tasks", '{"title": %s}'),
        ("/contacts/{cid}/notes", '{"body": %s}'),
        ("/contacts/{cid}/appointments", '{"title": "x", "location": %s}'),
        ("/api-keys", '{"name": %s}'),
    ],
)
def test_unstorable_strings_in_bodies_are_400_not_500(tenant, path, template, bad) -> None:
    contact_id = new_contact(tenant)
    raw = (template % bad).encode()
    response = tenant.post(
        path.format(cid=contact_id), content=raw, headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "lone-surrogate"])
def test_unstorable_strings_in_patch_are_400(tenant, bad) -> None:
    contact_id = new_contact(tenant)
    response = tenant.patch(
        f"/contacts/{contact_id}",
        content=('{"last_name": ' + bad + "}").encode(),
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "params", [{"q": "a\x00b"}, {"email": "a\x00@example.com"}, {"sort": "\x00"}]
)
def test_nul_in_query_parameters_is_400_not_500(tenant, params) -> None:
    response = tenant.get("/contacts", params=params)
    assert_error(response, 400, "VALIDATION_ERROR")


def test_nul_in_a_path_id_is_404(tenant) -> None:
    response = tenant.get("/contacts/cnt_%00")
    assert_error(response, 404, "NOT_FOUND")


# --- health and docs -------------------------------------------------------------------


def test_health_reports_the_database(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"]


def test_health_needs_no_credential_and_api_does(client) -> None:
    assert client.get("/health").status_code == 200
    assert client.get(API + "/users/me").status_code == 401


CONTRACT_ROUTES = [
    ("get", "/contacts"),
    ("post", "/contacts"),
    ("get", "/contacts/{contact_id}"),
    ("put", "/contacts/{contact_id}"),
    ("patch", "/contacts/{contact_id}"),
    ("delete", "/contacts/{contact_id}"),
    ("post", "/contacts/{contact_id}/restore"),
    ("get", "/contacts/business/{company_id}"),
    ("get", "/contacts/{contact_id}/tags"),
    ("post", "/contacts/{contact_id}/tags"),
    ("delete", "/contacts/{contact_id}/tags"),
    ("put", "/contacts/{contact_id}/tasks/{task_id}/completed"),
    ("get", "/companies"),
    ("post", "/companies"),
    ("get", "/companies/{company_id}"),
    ("put", "/companies/{company_id}"),
    ("patch", "/companies/{company_id}"),
    ("delete", "/companies/{company_id}"),
    ("post", "/companies/{company_id}/restore"),
    ("get", "/tasks"),
    ("get", "/notes"),
    ("get", "/appointments"),
    ("get", "/tags"),
    ("post", "/tags"),
    ("get", "/tags/{tag_id}"),
    ("put", "/tags/{tag_id}"),
    ("patch", "/tags/{tag_id}"),
    ("delete", "/tags/{tag_id}"),
    ("get", "/users"),
    ("get", "/users/me"),
    ("get", "/users/{user_id}"),
    ("get", "/api-keys"),
    ("post", "/api-keys"),
    ("delete", "/api-keys/{key_id}"),
]
for _plural, _child in (("tasks", "task"), ("notes", "note"), ("appointments", "appointment")):
    CONTRACT_ROUTES += [
        ("get", f"/contacts/{{contact_id}}/{_plural}"),
        ("post", f"/contacts/{{contact_id}}/{_plural}"),
        *(
            (method, f"/contacts/{{contact_id}}/{_plural}/{{{_child}_id}}")
            for method in ("get", "put", "patch", "delete")
        ),
    ]


def test_openapi_lists_every_contract_route(client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    missing = [
        (method, path)
        for method, path in CONTRACT_ROUTES
        if method not in paths.get(API + path, {})
    ]
    assert missing == []
    assert "/health" in paths


def test_openapi_documents_the_three_credential_styles(client) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {"ApiKeyHeader", "BearerAuth", "TokenAuth"} <= set(schemes)


def test_docs_serve_html(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/companies", {"name": "   "}, "name"),
        ("/contacts/{cid}/tasks", {"title": " \t "}, "title"),
        ("/contacts/{cid}/notes", {"body": "\n  "}, "body"),
        ("/contacts/{cid}/appointments", {"title": "  "}, "title"),
    ],
)
def test_required_text_of_only_whitespace_is_refused_as_blank(tenant, path, body, field) -> None:
    cid = tenant.post("/contacts", json={"first_name": "Blank"}).json()["data"]["id"]
    response = tenant.post(path.format(cid=cid), json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in error["details"]] == [field]
    assert "blank" in error["details"][0]["message"]


# --- methods of a path ------------------------------------------------------------------


def test_head_is_answered_like_get_without_a_body(tenant) -> None:
    contact_id = new_contact(tenant)
    got = tenant.get(f"/contacts/{contact_id}")
    head = tenant.request("HEAD", f"/contacts/{contact_id}")
    assert head.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(got.content))
    listed = tenant.request("HEAD", "/contacts")
    assert listed.status_code == 200 and listed.headers["x-total"] == "1"
    assert tenant.client.head("/health").status_code in (200, 503)
    unauthenticated = tenant.client.head(API + "/contacts")
    assert unauthenticated.status_code == 401 and unauthenticated.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/users/me", "GET, HEAD"),
        ("DELETE", "/users/me", "GET, HEAD"),
        ("PUT", "/companies/batch", "POST"),
        ("PATCH", "/companies/batch", "POST"),
        ("PUT", "/contacts/batch", "POST"),
        ("DELETE", "/contacts/batch", "POST"),
        ("PUT", "/api-keys/key_01jd6w3q0000000000000000aa", "GET, HEAD, DELETE"),
        ("PUT", "/users/usr_01jd6w3q0000000000000000aa", "GET, HEAD, PATCH, DELETE"),
        ("POST", "/contacts/cnt_01jd6w3q0000000000000000aa", "GET, HEAD, PUT, PATCH, DELETE"),
    ],
)
def test_a_wrong_method_is_405_listing_every_method_of_the_path(
    tenant, method, path, allow
) -> None:
    response = tenant.request(method, path, json={})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == allow


# --- body encoding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"first_name": "Ada"}'.encode("utf-16"),  # with its BOM
        '{"first_name": "Ada"}'.encode("utf-16-le"),
        '{"first_name": "Ada"}'.encode("utf-32"),
        b'\xef\xbb\xbf{"first_name": "Ada"}',  # a UTF-8 byte-order mark
        b'{"first_name": "Ad\xe9"}',  # Latin-1, not UTF-8
    ],
)
def test_a_body_that_is_not_utf8_is_400(tenant, body) -> None:
    response = tenant.post("/contacts", content=body, headers={"Content-Type": "application/json"})
    assert "UTF-8" in assert_error(response, 400, "VALIDATION_ERROR")["message"]
    assert tenant.get("/contacts").json()["data"] == []
    utf8 = tenant.post(
        "/contacts",
        content='{"first_name": "Adé"}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert utf8.status_code == 201, utf8.text


# --- secrets in responses ---------------------------------------------------------------


def test_responses_that_carry_a_secret_are_not_stored(tenant) -> None:
    key = tenant.post("/api-keys", json={"name": "ci"})
    assert key.status_code == 201 and key.json()["data"]["key"]
    assert key.headers["cache-control"] == "no-store"
    client = {
        "name": "app",
        "redirect_uris": ["https://app.example.com/cb"],
        "scopes": ["contacts.readonly"],
    }
    registered = tenant.post("/oauth-clients", json=client)
    assert registered.status_code == 201 and registered.json()["data"]["client_secret"]
    assert registered.headers["cache-control"] == "no-store"
    hook = tenant.post("/webhooks", json={"url": "https://hooks.example.com/r", "events": ["*"]})
    assert hook.status_code == 201 and hook.headers["cache-control"] == "no-store"
    endpoint_id = hook.json()["data"]["id"]
    rotated = tenant.post(f"/webhooks/{endpoint_id}/rotate-secret")
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    assert "cache-control" not in tenant.get(f"/api-keys/{key.json()['data']['id']}").headers


def test_a_one_value_parameter_sent_twice_is_refused_on_every_surface(tenant) -> None:
    """``?page=1&page=2`` is a 400 naming the parameter, never answered for one of them;
    a dialect refuses it in its own shape; list parameters may still repeat."""
    twice = tenant.get("/contacts", params=[("page", "1"), ("page", "2")])
    assert twice.status_code == 400
    error = twice.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"] == [{"field": "page", "message": "may be given only once"}]
    assert tenant.get("/contacts", params={"page": "1"}).status_code == 200

    moco = tenant.client.get(
        "/moco/api/v1/companies",
        params=[("term", "a"), ("term", "b")],
        headers={"Authorization": f"Token token={tenant.key}"},
    )
    assert moco.status_code == 422 and "term" in moco.json()["message"]
    listed = tenant.client.get(
        "/moco/api/v1/companies",
        params=[("ids", "1"), ("ids", "2")],
        headers={"Authorization": f"Token token={tenant.key}"},
    )
    assert listed.status_code == 200
