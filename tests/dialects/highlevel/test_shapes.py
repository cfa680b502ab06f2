"""The HighLevel shapes, both ways, on native dicts as the output schemas dump them."""

from __future__ import annotations

from typing import Any

import pytest

from rolodex.dialects.highlevel import shapes
from rolodex.dialects.highlevel.surface import rate_headers, render_error
from rolodex.errors import ValidationFailed
from rolodex.http.errors import Failure
from rolodex.http.ratelimit import Quota, Usage

NATIVE_CONTACT: dict[str, Any] = {
    "id": "cnt_01",
    "object": "contact",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "name": "Ada Lovelace",
    "email": "Ada@Example.com",
    "phone": None,
    "mobile_phone": "+44 20 1234",
    "title": "Dr.",
    "job_title": "Analyst",
    "gender": None,
    "birthday": "1815-12-10",
    "website": "https://ada.example",
    "address": {
        "line1": "12 St James's Square",
        "line2": "Flat 2",
        "city": "London",
        "state": None,
        "postal_code": "SW1Y",
        "country": "GB",
    },
    "company_id": "cmp_01",
    "owner_id": "usr_01",
    "source": "import",
    "timezone": "Europe/London",
    "do_not_contact": True,
    "description": "Wrote the first program",
    "tags": ["math", "vip"],
    "custom_fields": {"budget": 5000, "tier": "gold"},
    "created_at": "2026-07-17T10:26:20.635123Z",
    "updated_at": "2026-07-17T11:00:00Z",
    "deleted_at": None,
}


def test_a_native_contact_as_highlevel_shows_it() -> None:
    shown = shapes.contact_of(NATIVE_CONTACT, location_id="acc_01", company_name="Analytical")
    assert shown == {
        "id": "cnt_01",
        "locationId": "acc_01",
        "name": "Ada Lovelace",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "Ada@Example.com",
        "emailLowerCase": "ada@example.com",
        "phone": "+44 20 1234",
        "companyName": "Analytical",
        "address1": "12 St James's Square",
        "city": "London",
        "country": "GB",
        "postalCode": "SW1Y",
        "website": "https://ada.example",
        "timezone": "Europe/London",
        "dnd": True,
        "source": "import",
        "assignedTo": "usr_01",
        "tags": ["math", "vip"],
        "dateOfBirth": "1815-12-10T00:00:00.000Z",
        "dateAdded": "2026-07-17T10:26:20.635Z",
        "dateUpdated": "2026-07-17T11:00:00.000Z",
        "customFields": [{"id": "budget", "value": 5000}, {"id": "tier", "value": "gold"}],
        "businessId": "cmp_01",
    }


def test_an_update_keeps_what_highlevel_cannot_say() -> None:
    changes = shapes.contact_values_of(
        {"city": "Paris", "customFields": [{"key": "contact.tier", "field_value": "platinum"}]},
        NATIVE_CONTACT,
    )
    assert changes.values == {
        "address": {**NATIVE_CONTACT["address"], "city": "Paris"},
        "custom_fields": {"budget": 5000, "tier": "platinum"},
    }
    assert changes.company_name is None


def test_writing_back_what_a_read_showed_changes_nothing_it_should_not() -> None:
    shown = shapes.contact_of(NATIVE_CONTACT, location_id="acc_01", company_name="Analytical")
    changes = shapes.contact_values_of(shown, NATIVE_CONTACT)
    assert "phone" not in changes.values  # the mobile phone shown as phone
    assert changes.values["custom_fields"] == NATIVE_CONTACT["custom_fields"]
    assert changes.values["address"] == NATIVE_CONTACT["address"]
    assert changes.values["birthday"] == "1815-12-10"
    assert changes.values["company_id"] == "cmp_01"  # businessId wins over companyName
    assert changes.company_name is None


def test_name_company_and_custom_field_removal() -> None:
    changes = shapes.contact_values_of(
        {
            "name": "Grace Brewster Hopper",
            "companyName": " Navy ",
            "customFields": [{"id": "budget", "fieldValue": None}, {"id": "x", "fieldValue": 1}],
            "email": "",
        },
        NATIVE_CONTACT,
    )
    assert changes.values["first_name"] == "Grace"
    assert changes.values["last_name"] == "Brewster Hopper"
    assert changes.values["email"] is None
    assert changes.values["custom_fields"] == {"tier": "gold", "x": 1}
    assert changes.company_name == "Navy"
    assert shapes.contact_values_of({"companyName": ""}).values == {"company_id": None}


@pytest.mark.parametrize(
    "given",
    [
        "1990-09-25",
        "1990/09/25",
        "09/25/1990",
        "09-25-1990",
        "1990.09.25",
        "09_25_1990",
        "1990-09-25T00:00:00.000Z",
    ],
)
def test_every_date_of_birth_form(given: str) -> None:
    assert shapes.date_of_birth(given) == "1990-09-25"


@pytest.mark.parametrize("given", ["1990-13-01", "yesterday", 19900925, {"y": 1990}])
def test_a_bad_date_of_birth_is_a_validation_error(given: Any) -> None:
    with pytest.raises(ValidationFailed) as raised:
        shapes.date_of_birth(given)
    assert raised.value.details == [
        {"field": "dateOfBirth", "message": "must be a date such as 1990-09-25"}
    ]


def test_tasks_notes_and_appointments() -> None:
    task = {
        "id": "tsk_1",
        "contact_id": "cnt_01",
        "title": "Call",
        "body": None,
        "due_at": "2026-12-01T09:00:00Z",
        "completed": False,
        "completed_at": None,
        "assignee_id": "usr_01",
        "created_at": "2026-07-17T10:00:00Z",
        "updated_at": "2026-07-17T10:00:00Z",
    }
    assert shapes.task_of(task) == {
        "id": "tsk_1",
        "title": "Call",
        "assignedTo": "usr_01",
        "dueDate": "2026-12-01T09:00:00.000Z",
        "completed": False,
        "contactId": "cnt_01",
    }
    note = {
        "id": "not_1",
        "contact_id": "cnt_01",
        "body": "Hi",
        "author_id": None,
        "pinned": False,
        "created_at": "2026-07-17T10:00:00.5Z",
    }
    assert shapes.note_of(note) == {
        "id": "not_1",
        "body": "Hi",
        "dateAdded": "2026-07-17T10:00:00.500Z",
        "contactId": "cnt_01",
        "pinned": False,
    }
    appointment = {
        "id": "apt_1",
        "contact_id": "cnt_01",
        "title": "Demo",
        "starts_at": "2026-11-22T09:00:00Z",
        "ends_at": None,
        "location": None,
        "status": "no_show",
        "assignee_id": None,
        "description": "bring slides",
        "created_at": "2026-07-17T10:00:00Z",
        "updated_at": "2026-07-17T10:00:00Z",
    }
    shown = shapes.appointment_of(appointment, location_id="acc_01")
    assert shown["appointmentStatus"] == "noshow" and shown["status"] == "booked"
    assert shown["notes"] == "bring slides" and shown["users"] == []
    assert "endTime" not in shown
    assert shapes.task_values_of({"dueDate": "x", "assignedTo": None, "other": 1}) == {
        "due_at": "x",
        "assignee_id": None,
    }
    assert shapes.note_values_of({"body": "b", "title": "t", "userId": None}) == {"body": "b"}


def test_errors_in_highlevel_shape() -> None:
    failure = Failure(
        400,
        "VALIDATION_ERROR",
        "owner_id: nope",
        [{"field": "owner_id", "message": "does not name an existing active user"}],
    )
    response = render_error(failure, "req_1")
    assert response.status_code == 422
    assert response.headers["traceId"] == "req_1"
    assert response.body == (
        b'{"statusCode":422,"message":["assignedTo does not name an existing active user"],'
        b'"error":"Unprocessable Entity"}'
    )
    unauthorized = render_error(Failure(401, "UNAUTHORIZED", "no key"), None)
    assert b'"message":"Invalid token: access token is invalid"' in unauthorized.body
    bad_json = render_error(Failure(400, "VALIDATION_ERROR", "The body is not valid JSON"), None)
    assert bad_json.status_code == 400 and b'"error":"Bad Request"' in bad_json.body


def test_rate_headers_report_the_first_window_and_the_daily_one() -> None:
    daily = Usage(Quota(200_000, 86_400), True, 199_990, 80_000)
    usage = Usage(Quota(100, 10), True, 97, 8, (daily,))
    assert rate_headers(usage) == {
        "X-RateLimit-Max": "100",
        "X-RateLimit-Remaining": "97",
        "X-RateLimit-Interval-Milliseconds": "10000",
        "X-RateLimit-Limit-Daily": "200000",
        "X-RateLimit-Daily-Remaining": "199990",
    }
    assert "X-RateLimit-Limit-Daily" not in rate_headers(Usage(Quota(120, 120), True, 1, 1))
