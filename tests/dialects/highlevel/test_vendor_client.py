"""HighLevel's own Python client, gohighlevel-api 0.2.1 from PyPI and unchanged, against a
live ``rolodex serve``: contacts (create, get, update, upsert, list, search, by business,
delete), tasks, notes, tags, appointments and custom fields — given only the base URL
``http://HOST/highlevel``, a Rolodex API key as its token and the account id as
``locationId``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from gohighlevel_api import AuthenticatedClient
from gohighlevel_api.api.appointments import get_appointments_for_contact
from gohighlevel_api.api.contacts import (
    create_contact,
    delete_contact,
    get_contact,
    get_contacts,
    get_contacts_by_business_id,
    update_contact,
    upsert_contact,
)
from gohighlevel_api.api.custom_fields_v2 import get_custom_fields_by_object_key
from gohighlevel_api.api.notes import create_note, delete_note, get_all_notes, get_note, update_note
from gohighlevel_api.api.search import search_contacts_advanced
from gohighlevel_api.api.tags import add_tags, remove_tags
from gohighlevel_api.api.tasks import (
    create_task,
    delete_task,
    get_all_tasks,
    get_task,
    update_task,
    update_task_completed,
)
from gohighlevel_api.models import (
    CreateContactDto,
    CreateTaskParams,
    MultiSelectField,
    NotesDTO,
    SearchBodyV2DTO,
    TagsDTO,
    TextField,
    UpdateContactDto,
    UpdateTaskBody,
    UpdateTaskStatusParams,
    UpsertContactDto,
)
from gohighlevel_api.models.add_tags_version import AddTagsVersion
from gohighlevel_api.models.create_contact_version import CreateContactVersion
from gohighlevel_api.models.create_note_version import CreateNoteVersion
from gohighlevel_api.models.create_task_version import CreateTaskVersion
from gohighlevel_api.models.delete_contact_version import DeleteContactVersion
from gohighlevel_api.models.delete_note_version import DeleteNoteVersion
from gohighlevel_api.models.delete_task_version import DeleteTaskVersion
from gohighlevel_api.models.get_all_notes_version import GetAllNotesVersion
from gohighlevel_api.models.get_all_tasks_version import GetAllTasksVersion
from gohighlevel_api.models.get_appointments_for_contact_version import (
    GetAppointmentsForContactVersion,
)
from gohighlevel_api.models.get_contact_version import GetContactVersion
from gohighlevel_api.models.get_contacts_by_business_id_version import (
    GetContactsByBusinessIdVersion,
)
from gohighlevel_api.models.get_contacts_version import GetContactsVersion
from gohighlevel_api.models.get_custom_fields_by_object_key_version import (
    GetCustomFieldsByObjectKeyVersion,
)
from gohighlevel_api.models.get_note_version import GetNoteVersion
from gohighlevel_api.models.get_task_version import GetTaskVersion
from gohighlevel_api.models.remove_tags_version import RemoveTagsVersion
from gohighlevel_api.models.search_contacts_advanced_version import (
    SearchContactsAdvancedVersion,
)
from gohighlevel_api.models.update_contact_version import UpdateContactVersion
from gohighlevel_api.models.update_note_version import UpdateNoteVersion
from gohighlevel_api.models.update_task_completed_version import UpdateTaskCompletedVersion
from gohighlevel_api.models.update_task_version import UpdateTaskVersion
from gohighlevel_api.models.upsert_contact_version import UpsertContactVersion

from tests.conftest import LiveServer, Tenant

pytestmark = pytest.mark.live


@pytest.fixture
def ghl(live_server: LiveServer, tenant: Tenant) -> Iterator[AuthenticatedClient]:
    """The vendor's client, pointed at the live server with the tenant's key."""
    client = AuthenticatedClient(
        base_url=f"{live_server.url}/highlevel", token=tenant.key, raise_on_unexpected_status=True
    )
    with client:
        yield client


def new_contact(ghl: AuthenticatedClient, tenant: Tenant, **fields: Any) -> Any:
    created = create_contact.sync(
        client=ghl,
        body=CreateContactDto(location_id=tenant.account_id, **fields),
        version=CreateContactVersion.VALUE_0,
    )
    assert created is not None
    return created.contact


def test_contacts_create_get_update_and_delete(ghl: AuthenticatedClient, tenant: Tenant) -> None:
    dto = CreateContactDto(
        location_id=tenant.account_id,
        first_name="Rosan",
        last_name="Deo",
        email="rosan@deos.example",
        phone="+1 888-888-8888",
        address1="3535 1st St N",
        city="Dolomite",
        state="AL",
        postal_code="35061",
        country="US",
        website="https://www.tesla.com",
        timezone="America/Chihuahua",
        dnd=True,
        tags=["nisi sint commodo amet", "consequat"],
        source="public api",
        company_name="DGS VolMAX",
        custom_fields=[
            TextField(id="pincode", field_value="35061"),
            MultiSelectField(id="topics", field_value=["solar", "cars"]),
        ],
    )
    dto["dateOfBirth"] = "1990-09-25"
    response = create_contact.sync_detailed(
        client=ghl, body=dto, version=CreateContactVersion.VALUE_0
    )
    assert response.status_code == 201
    assert response.headers["traceId"]
    contact = response.parsed.contact
    assert contact.first_name == "Rosan" and contact.location_id == tenant.account_id
    assert contact.email_lower_case == "rosan@deos.example"
    assert contact.company_name == "DGS VolMAX" and contact.business_id.startswith("cmp_")
    assert sorted(contact.tags) == ["consequat", "nisi sint commodo amet"]
    assert {f.id: f.value for f in contact.custom_fields} == {
        "pincode": "35061",
        "topics": ["solar", "cars"],
    }
    assert contact.date_of_birth == "1990-09-25T00:00:00.000Z"

    got = get_contact.sync(contact.id, client=ghl, version=GetContactVersion.VALUE_0)
    assert got.contact.id == contact.id and got.contact.postal_code == "35061"
    assert got.contact.dnd is True and got.contact.assigned_to == tenant.user_id

    updated = update_contact.sync(
        contact.id,
        client=ghl,
        body=UpdateContactDto(last_name="Deo-Smith", city="Birmingham"),
        version=UpdateContactVersion.VALUE_0,
    )
    assert updated.succeded is True
    assert updated.contact.last_name == "Deo-Smith" and updated.contact.state == "AL"
    native = tenant.get(f"/contacts/{contact.id}").json()["data"]
    assert native["address"]["city"] == "Birmingham" and native["last_name"] == "Deo-Smith"
    assert native["custom_fields"] == {"pincode": "35061", "topics": ["solar", "cars"]}

    deleted = delete_contact.sync(contact.id, client=ghl, version=DeleteContactVersion.VALUE_0)
    assert deleted.succeded is True
    assert tenant.get(f"/contacts/{contact.id}").status_code == 404


def test_upsert_list_search_and_business(ghl: AuthenticatedClient, tenant: Tenant) -> None:
    first = upsert_contact.sync(
        client=ghl,
        body=UpsertContactDto(
            location_id=tenant.account_id,
            email="up@example.com",
            first_name="Up",
            company_name="Upsert Inc",
        ),
        version=UpsertContactVersion.VALUE_0,
    )
    assert first.new is True
    again = upsert_contact.sync(
        client=ghl,
        body=UpsertContactDto(
            location_id=tenant.account_id, email="UP@example.com", last_name="Dated"
        ),
        version=UpsertContactVersion.VALUE_0,
    )
    assert again.new is False and again.contact.id == first.contact.id
    assert again.contact.first_name == "Up" and again.contact.last_name == "Dated"
    assert again.trace_id
    others = [new_contact(ghl, tenant, first_name=f"Other {i}") for i in range(4)]

    ids: list[str] = []
    start: dict[str, Any] = {}
    for _ in range(10):
        page = get_contacts.sync(
            client=ghl,
            location_id=tenant.account_id,
            limit=2,
            version=GetContactsVersion.VALUE_0,
            **start,
        )
        ids += [c.id for c in page.contacts]
        meta = page["meta"]
        assert meta["total"] == 5
        if not meta["nextPage"]:
            break
        start = {"start_after": meta["startAfter"], "start_after_id": meta["startAfterId"]}
    assert ids == [first.contact.id, *[c.id for c in others]]
    queried = get_contacts.sync(
        client=ghl,
        location_id=tenant.account_id,
        query="other 2",
        version=GetContactsVersion.VALUE_0,
    )
    assert [c.id for c in queried.contacts] == [others[2].id]

    body = SearchBodyV2DTO()
    body["locationId"] = tenant.account_id
    body["pageLimit"] = 10
    body["filters"] = [{"field": "email", "operator": "eq", "value": "up@example.com"}]
    body["sort"] = [{"field": "dateUpdated", "direction": "desc"}]
    searched = search_contacts_advanced.sync_detailed(
        client=ghl, body=body, version=SearchContactsAdvancedVersion.VALUE_0
    )
    assert searched.status_code == 200
    found = json.loads(searched.content)
    assert found["total"] == 1 and [c["id"] for c in found["contacts"]] == [first.contact.id]

    business = get_contacts_by_business_id.sync(
        first.contact.business_id,
        client=ghl,
        location_id=tenant.account_id,
        version=GetContactsByBusinessIdVersion.VALUE_0,
    )
    assert [c.id for c in business.contacts] == [first.contact.id] and business.count == 1


def test_tasks_notes_tags_and_appointments(ghl: AuthenticatedClient, tenant: Tenant) -> None:
    contact = new_contact(ghl, tenant, first_name="Tasked", tags=["lead"])
    task = create_task.sync(
        contact.id,
        client=ghl,
        body=CreateTaskParams(
            title="First Task", due_date="2026-10-25T11:00:00Z", completed=False, body="loram ipsum"
        ),
        version=CreateTaskVersion.VALUE_0,
    ).task
    assert task.due_date == "2026-10-25T11:00:00.000Z" and task.contact_id == contact.id
    changed = update_task.sync(
        contact.id,
        task.id,
        client=ghl,
        body=UpdateTaskBody(title="Renamed"),
        version=UpdateTaskVersion.VALUE_0,
    ).task
    assert changed.title == "Renamed" and changed.body == "loram ipsum"
    done = update_task_completed.sync(
        contact.id,
        task.id,
        client=ghl,
        body=UpdateTaskStatusParams(completed=True),
        version=UpdateTaskCompletedVersion.VALUE_0,
    ).task
    assert done.completed is True
    assert (
        get_task.sync(
            contact.id, task.id, client=ghl, version=GetTaskVersion.VALUE_0
        ).task.completed
        is True
    )
    listed = get_all_tasks.sync(contact.id, client=ghl, version=GetAllTasksVersion.VALUE_0)
    assert [t.id for t in listed.tasks] == [task.id]
    assert (
        delete_task.sync(
            contact.id, task.id, client=ghl, version=DeleteTaskVersion.VALUE_0
        ).succeded
        is True
    )

    note = create_note.sync(
        contact.id, client=ghl, body=NotesDTO(body="lorem ipsum"), version=CreateNoteVersion.VALUE_0
    ).note
    assert note.body == "lorem ipsum" and note.user_id == tenant.user_id
    edited = update_note.sync(
        contact.id,
        note.id,
        client=ghl,
        body=NotesDTO(body="dolor sit"),
        version=UpdateNoteVersion.VALUE_0,
    ).note
    assert edited.body == "dolor sit"
    assert (
        get_note.sync(contact.id, note.id, client=ghl, version=GetNoteVersion.VALUE_0).note.body
        == "dolor sit"
    )
    notes = get_all_notes.sync(contact.id, client=ghl, version=GetAllNotesVersion.VALUE_0)
    assert [n.id for n in notes.notes] == [note.id]
    assert (
        delete_note.sync(
            contact.id, note.id, client=ghl, version=DeleteNoteVersion.VALUE_0
        ).succeded
        is True
    )

    added = add_tags.sync(
        contact.id,
        client=ghl,
        body=TagsDTO(tags=["minim", "velit magna"]),
        version=AddTagsVersion.VALUE_0,
    )
    assert added.tags == ["lead", "minim", "velit magna"]
    removed = remove_tags.sync(
        contact.id, client=ghl, body=TagsDTO(tags=["minim"]), version=RemoveTagsVersion.VALUE_0
    )
    assert removed.tags == ["lead", "velit magna"]

    appointment = tenant.post(
        f"/contacts/{contact.id}/appointments",
        json={
            "title": "Test",
            "starts_at": "2026-07-16T11:00:00Z",
            "ends_at": "2026-07-16T11:30:00Z",
        },
    ).json()["data"]
    events = get_appointments_for_contact.sync(
        contact.id, client=ghl, version=GetAppointmentsForContactVersion.VALUE_0
    )
    assert [(e.id, e.title, e.start_time) for e in events.events] == [
        (appointment["id"], "Test", "2026-07-16T11:00:00.000Z")
    ]


def test_custom_fields(ghl: AuthenticatedClient, tenant: Tenant) -> None:
    new_contact(
        ghl,
        tenant,
        first_name="Fields",
        custom_fields=[TextField(id="my_custom_field", field_value="My Text")],
    )
    new_contact(
        ghl,
        tenant,
        first_name="More",
        custom_fields=[TextField(id="", key="contact.other", field_value="x")],
    )
    listed = get_custom_fields_by_object_key.sync(
        "contact",
        client=ghl,
        location_id=tenant.account_id,
        version=GetCustomFieldsByObjectKeyVersion.VALUE_0,
    )
    assert [(f.id, f.field_key, f.data_type.value) for f in listed.fields] == [
        ("my_custom_field", "contact.my_custom_field", "TEXT"),
        ("other", "contact.other", "TEXT"),
    ]
    assert all(f.location_id == tenant.account_id for f in listed.fields)
