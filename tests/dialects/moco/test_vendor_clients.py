"""MOCO's own Python clients, from PyPI and unchanged, against a live `rolodex serve`.

- moco-py 1.2.0: ``Moco(api_key=KEY, base_url="http://HOST/moco/api/v1")``.
- moco-wrapper 0.11.2: a subclass whose ``full_domain`` is that URL (the client builds it
  from a ``*.mocoapp.com`` domain otherwise); nothing else of it is changed.

Both walk people, companies, comments, users; moco-py tags and web hooks (moco-wrapper has
none), moco-wrapper taggings and the session (moco-py has none); both auto-page a list of
more than two pages. Enum members are passed as their values where a client puts them in
the query string, since both clients' enums print as ``Class.MEMBER`` on Python 3.11.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import moco_py
import moco_wrapper
import pytest
from moco_py.exceptions import NotFoundError, ValidationError
from moco_py.types._enums import CommentableType, CompanyType, Gender, WebhookEvent, WebhookTarget
from moco_wrapper.exceptions import NotFoundException, UnprocessableException

from tests.conftest import LiveServer

pytestmark = pytest.mark.live

RECORDS = 250
"""More than two pages of 100."""


class RolodexMoco(moco_wrapper.Moco):
    """moco-wrapper pointed at a Rolodex server: only ``full_domain`` differs."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self._base_url = base_url
        super().__init__(auth={"api_key": api_key, "domain": "rolodex"})

    @property
    def full_domain(self) -> str:
        return self._base_url


def _account(server: LiveServer) -> str:
    email = f"moco-{secrets.token_hex(5)}@example.com"
    done = server.cli("init", "--email", email, "--password", "long-enough-pw", "--json")
    assert done.returncode == 0, done.stderr
    key: str = json.loads(done.stdout)["api_key"]
    return key


@pytest.fixture
def key(live_server: LiveServer) -> str:
    """A full key of a fresh account on the live server."""
    return _account(live_server)


@pytest.fixture
def base_url(live_server: LiveServer) -> str:
    return f"{live_server.url}/moco/api/v1"


@pytest.fixture
def py(base_url: str, key: str) -> Iterator[moco_py.Moco]:
    client = moco_py.Moco(api_key=key, base_url=base_url, max_retries=0)
    yield client
    client.close()


@pytest.fixture
def wrapper(base_url: str, key: str) -> RolodexMoco:
    return RolodexMoco(base_url, key)


def _seed_people(live_server: LiveServer, key: str, count: int) -> None:
    """``count`` contacts through the native batch route (the fast way to many rows)."""
    with httpx.Client(base_url=f"{live_server.url}/api/v1", headers={"X-API-Key": key}) as http:
        items = [{"last_name": f"Many {i:03}"} for i in range(count)]
        response = http.post("/contacts/batch", json={"items": items}, timeout=60)
        assert response.status_code in (200, 207), response.text


def test_moco_py_people_and_companies(py: moco_py.Moco) -> None:
    company = py.companies.create(
        name="Beispiel AG",
        type=CompanyType.CUSTOMER,
        website="www.beispiel-ag.com",
        address="Beispiel AG\nBeispielstrasse 123",
        tags=["Netzwerk"],
        custom_properties={"UID": "1234"},
        currency="EUR",
    ).parsed
    assert company.type == "customer" and company.active is True and company.tags == ["Netzwerk"]
    person = py.contacts.create(
        lastname="Muster",
        firstname="Peter",
        gender=Gender.MALE,
        company_id=company.id,
        work_email="peter@beispiel.ch",
        birthday="1959-05-22",
        tags=["Key Account"],
    ).parsed
    assert person.company is not None and person.company.id == company.id
    assert str(person.birthday) == "1959-05-22" and person.gender == "M"
    got = py.contacts.get(person.id).parsed
    assert got == person
    changed = py.contacts.update(person.id, job_position="Head of Sales").parsed
    assert changed.job_position == "Head of Sales" and changed.firstname == "Peter"
    listed = list(py.contacts.list(term="muster").auto_paging_iter())
    assert [p.id for p in listed] == [person.id]
    assert [p.id for p in py.contacts.list(tags="Key Account").auto_paging_iter()] == [person.id]
    archived = py.companies.archive(company.id).parsed
    assert archived.active is False and archived.archived_on is not None
    assert list(py.companies.list().auto_paging_iter()) == []
    assert [c.id for c in py.companies.list(include_archived=True).auto_paging_iter()] == [
        company.id
    ]
    assert py.companies.unarchive(company.id).parsed.active is True
    assert [c.id for c in py.companies.list(type="customer").auto_paging_iter()] == [company.id]
    with pytest.raises(ValidationError):
        py.contacts.create(lastname="", gender=Gender.FEMALE)
    py.contacts.delete(person.id)
    with pytest.raises(NotFoundError):
        py.contacts.get(person.id)
    py.companies.delete(company.id)


def test_moco_py_comments_tags_users_and_web_hooks(py: moco_py.Moco) -> None:
    person = py.contacts.create(lastname="Noted", gender=Gender.FEMALE).parsed
    comment = py.comments.create(
        commentable_id=person.id,
        commentable_type=CommentableType.CONTACT,
        text="<div>Ordered</div>",
    ).parsed
    assert comment.commentable_id == person.id and comment.manual is True
    bulk = py.comments.bulk_create(
        commentable_ids=[person.id],
        commentable_type=CommentableType.CONTACT,
        text="Newsletter",
    ).parsed
    assert len(bulk) == 1
    assert py.comments.update(comment.id, text="Paused").parsed.text == "Paused"
    on_person = py.comments.list(commentable_id=person.id).auto_paging_iter()
    assert sorted(c.id for c in on_person) == sorted([comment.id, bulk[0].id])
    py.comments.delete(comment.id)
    with pytest.raises(NotFoundError):
        py.comments.get(comment.id)

    tag = py.tags.create(name="ONHOLD", context="Contact", color="#FFFF00").parsed
    assert py.tags.get(tag.id).parsed.name == "ONHOLD"
    assert py.tags.update(tag.id, color="#FF0000").parsed.color == "#FF0000"
    assert [t.id for t in py.tags.list(context="Contact").auto_paging_iter()] == [tag.id]
    py.tags.delete(tag.id)

    [me] = list(py.users.list().auto_paging_iter())
    assert py.users.get(me.id).parsed == me and me.active is True

    hook = py.account_web_hooks.create(
        target=WebhookTarget.CONTACT,
        event=WebhookEvent.CREATE,
        hook="https://example.org/do-stuff",
    ).parsed
    assert hook.target == "Contact" and hook.event == "create" and hook.disabled is False
    assert py.account_web_hooks.disable(hook.id).parsed.disabled is True
    assert py.account_web_hooks.enable(hook.id).parsed.disabled is False
    moved = py.account_web_hooks.update(hook.id, hook="https://example.org/v2").parsed
    assert moved.hook == "https://example.org/v2"
    assert [h.id for h in py.account_web_hooks.list().auto_paging_iter()] == [hook.id]
    py.account_web_hooks.delete(hook.id)
    with pytest.raises(NotFoundError):
        py.account_web_hooks.get(hook.id)


def test_moco_py_auto_pages_across_more_than_two_pages(
    py: moco_py.Moco, live_server: LiveServer, key: str
) -> None:
    _seed_people(live_server, key, RECORDS)
    first = py.contacts.list()
    assert first.page_info.total == RECORDS and first.page_info.per_page == 100
    people = list(first.auto_paging_iter())
    assert len(people) == RECORDS
    assert len({p.id for p in people}) == RECORDS
    assert {p.lastname for p in people} == {f"Many {i:03}" for i in range(RECORDS)}


def test_moco_wrapper_people_companies_comments_taggings_users_session(
    wrapper: RolodexMoco,
) -> None:
    company = wrapper.Company.create("Wrapped AG", "supplier", tags=["Print"]).data
    assert company.type == "supplier" and company.active is True
    person = wrapper.Contact.create(
        "Mario", "Rossi", "M", company_id=company.id, work_phone="+41 79 826 11 22"
    ).data
    assert person.company.id == company.id and person.company.name == "Wrapped AG"
    assert wrapper.Contact.get(person.id).data.lastname == "Rossi"
    assert wrapper.Contact.update(person.id, title="Dr.").data.title == "Dr."
    found = wrapper.Contact.getlist(phone="79 826").items
    assert [p.id for p in found] == [person.id]
    assert [p.id for p in wrapper.Contact.getlist(tags=["nothing"]).items] == []
    assert [c.id for c in wrapper.Company.getlist(company_type="supplier").items] == [company.id]
    assert wrapper.Company.update(company.id, name="Wrapped GmbH").data.name == "Wrapped GmbH"

    comment = wrapper.Comment.create(person.id, "Contact", "Called").data
    assert comment.user is not None
    assert wrapper.Comment.update(comment.id, "Called twice").data.text == "Called twice"
    assert [c.id for c in wrapper.Comment.getlist(commentable_id=person.id).items] == [comment.id]
    wrapper.Comment.delete(comment.id)

    assert sorted(wrapper.Tagging.add("Contact", person.id, ["cool", "on hold"]).data) == [
        "cool",
        "on hold",
    ]
    assert wrapper.Tagging.delete("Contact", person.id, ["cool"]).data == ["on hold"]
    assert wrapper.Tagging.replace("Company", company.id, ["climate"]).data == ["climate"]
    assert wrapper.Tagging.get("Company", company.id).data == ["climate"]

    users = wrapper.User.getlist().items
    session = wrapper.Session.verify().data
    assert [u.id for u in users] == [session.id] and len(str(session.uuid)) == 36
    assert wrapper.User.get(session.id).data.email == users[0].email

    with pytest.raises(UnprocessableException):
        wrapper.Contact.create("", "", "M")
    wrapper.Company.delete(company.id)
    with pytest.raises(NotFoundException):
        wrapper.Company.get(company.id)


def test_moco_wrapper_pages_until_the_last(
    wrapper: RolodexMoco, live_server: LiveServer, key: str
) -> None:
    _seed_people(live_server, key, RECORDS)
    seen: list[Any] = []
    page = wrapper.Contact.getlist()
    pages = 1
    seen += page.items
    while not page.is_last:
        page = wrapper.Contact.getlist(page=page.next_page)
        seen += page.items
        pages += 1
    assert pages == 3 and page.total == RECORDS
    assert len({p.id for p in seen}) == RECORDS
    assert wrapper.Contact.getlist(page=4).items == []
