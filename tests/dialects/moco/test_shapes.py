"""The MOCO shapes are pure functions: each direction checked on its own, and the
signature on MOCO's published check vector."""

from __future__ import annotations

from typing import Any

from rolodex.dialects.moco.delivery import signature
from rolodex.dialects.moco.refs import Refs
from rolodex.dialects.moco.shapes.people import contact_values, gender_out, person_of
from rolodex.dialects.moco.shapes.web_hooks import BY_EVENT_TYPE, SUBSCRIPTIONS, subscription_of
from rolodex.dialects.moco.values import address_parts, address_text, text_in, timestamp
from rolodex.events.catalog import EVENT_TYPES


def test_the_signature_is_the_check_vector_of_moco_s_documentation() -> None:
    body = b'{"id":111,"description":"a description"}'
    assert (
        signature("1d608b9d72219b90ff2393a1d3ee0ac0", body)
        == "bf027a86207ef1ca1cb76f5a536b41a14287ab1a0fd5b33bfe86924bc2f48fd1"
    )
    assert signature("1d608b9d72219b90ff2393a1d3ee0ac1", body) != signature(
        "1d608b9d72219b90ff2393a1d3ee0ac0", body
    )


def test_an_address_written_as_text_reads_back_as_written() -> None:
    text = "Lieferant AG\nBeispielstrasse 123\n12345 Berlin"
    parts = address_parts(text)
    assert parts == {"line1": "Lieferant AG", "line2": "Beispielstrasse 123\n12345 Berlin"}
    assert address_text(parts) == text
    assert address_parts("") is None and address_parts("  ") is None
    assert address_text(None) == ""


def test_a_native_address_is_shown_line_by_line() -> None:
    native = {"line1": "Main St 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    assert address_text(native) == "Main St 1\n10115 Berlin\nDE"


def test_timestamps_are_whole_seconds_in_utc() -> None:
    assert timestamp("2026-11-22T09:17:58.123456Z") == "2026-11-22T09:17:58Z"
    assert timestamp("2026-11-22T10:17:58+01:00") == "2026-11-22T09:17:58Z"
    assert timestamp(None) is None


def test_empty_text_is_none_and_gender_u_is_unknown() -> None:
    assert text_in("") is None and text_in(" ") is None and text_in("x") == "x"
    values = contact_values({"gender": "U", "work_email": "", "firstname": "Ada"})
    assert values == {"gender": None, "email": None, "first_name": "Ada"}
    assert [gender_out(g) for g in ("F", "female", "M", "male", "x", None)] == [
        "F",
        "F",
        "M",
        "M",
        None,
        None,
    ]


def _contact(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "cnt_1",
        "first_name": None,
        "last_name": "Muster",
        "email": None,
        "phone": None,
        "mobile_phone": None,
        "title": None,
        "job_title": None,
        "gender": None,
        "birthday": None,
        "address": None,
        "company_id": "cmp_1",
        "owner_id": "usr_1",
        "description": None,
        "tags": [],
        "custom_fields": {},
        "created_at": "2026-11-22T09:17:58.5Z",
        "updated_at": "2026-11-22T09:17:59Z",
    }
    return {**base, **fields}


def test_a_person_embeds_its_company_and_user_by_number() -> None:
    refs = Refs(
        numbers={"cnt_1": 7, "cmp_1": 8, "usr_1": 9},
        companies={"cmp_1": {"name": "ACME", "type": None}},
        users={"usr_1": {"first_name": "Max", "last_name": None}},
    )
    person = person_of(_contact(description="likes tea"), refs)
    assert person["id"] == 7
    assert person["company"] == {"id": 8, "type": "organization", "name": "ACME"}
    assert person["user"] == {"id": 9, "firstname": "Max", "lastname": ""}
    assert person["info"] == "likes tea" and person["firstname"] == ""
    assert "info" not in person_of(_contact(), refs, listed=True)
    # A company that is gone (deleted, or of no known number) is not embedded.
    assert person_of(_contact(), Refs(numbers={"cnt_1": 7}))["company"] is None


def test_every_web_hook_subscription_is_of_known_event_types_and_reads_back() -> None:
    for (target, event), types in SUBSCRIPTIONS.items():
        assert set(types) <= set(EVENT_TYPES), (target, event)
        assert subscription_of(types) == (target, event)
    assert subscription_of(["contact.created", "company.created"]) is None
    assert subscription_of(["webhook_endpoint.ping"]) is None
    assert BY_EVENT_TYPE["contact.tags_added"] == ("Contact", "update")
    assert BY_EVENT_TYPE["note.restored"] == ("Comment", "create")
