"""The synchronous and the asynchronous clients expose the same resources, with the same
methods taking the same parameters, and a type checker sees each call's result truthfully
on both (awaited on the asynchronous one)."""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

from rolodex.client import ApiKey, AsyncPager, AsyncRolodex, Contact, Pager, Rolodex, User
from rolodex.client._core import Operation
from rolodex.client._endpoint import Resource, endpoint, paged
from rolodex.client._transport import AsyncTransport
from rolodex.client.resources import RestorableCollection, Users, WritableCollection

Surface = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
TYPED_USAGE = Path(__file__).with_name("typed_usage.py")


def surface(client: Rolodex | AsyncRolodex) -> Surface:
    """Every public attribute of a client and of its resources (sub-resources included),
    by dotted path: a method as its kind and parameters, anything else as its value."""
    found: Surface = {}
    _walk(client, "", found)
    return found


def _walk(obj: object, prefix: str, found: Surface) -> None:
    for name in dir(obj):
        if name.startswith("_"):
            continue
        path, value = prefix + name, getattr(obj, name)
        if isinstance(value, Resource):
            _walk(value, path + ".", found)
        elif isinstance(value, type) or not callable(value):
            found[path] = value
        else:
            found[path] = _method(obj, name, value, path, found)


def _method(obj: object, name: str, method: Any, path: str, found: Surface) -> tuple[Any, ...]:
    signature = inspect.signature(method)
    params = tuple((p.name, p.kind, p.default, p.annotation) for p in signature.parameters.values())
    static = inspect.getattr_static(obj, name)
    if isinstance(static, endpoint | paged):
        return (type(static).__name__, params)
    if isinstance(obj, Resource):  # a sub-resource: walk what it answers too
        _walk(method(*(f"{p}_1" for p in signature.parameters)), f"{path}(…).", found)
        return ("resource", params)
    return ("method", params)


def clients() -> tuple[Rolodex, AsyncRolodex]:
    settings: dict[str, Any] = {"base_url": "http://127.0.0.1:9", "impersonate": "usr_1"}
    return Rolodex("rdx_k_x", **settings), AsyncRolodex("rdx_k_x", **settings)


def test_both_clients_expose_the_same_resources_methods_and_parameters() -> None:
    sync, asynchronous = clients()
    assert surface(sync) == surface(asynchronous)
    assert {"contacts.add_tags", "contacts.remove_tags", "api_keys.revoke"} <= set(surface(sync))
    sync_init, async_init = (
        [(p.name, p.kind, p.default) for p in inspect.signature(c).parameters.values()]
        for c in (Rolodex, AsyncRolodex)
    )
    assert sync_init == async_init


def test_every_call_of_the_async_client_is_awaited_and_every_list_walked_with_async_for() -> None:
    sync, asynchronous = clients()
    calls = {p for p, v in surface(sync).items() if isinstance(v, tuple) and v[0] == "endpoint"}
    assert len(calls) > 20
    for path in calls:
        *parents, name = path.split(".")
        for client, awaited in ((sync, False), (asynchronous, True)):
            resource: Any = client
            for parent in parents:
                resource = getattr(resource, parent.removesuffix("(…)"))
                if parent.endswith("(…)"):
                    resource = resource("cnt_1")
            assert inspect.iscoroutinefunction(getattr(resource, name)) is awaited, path
    assert isinstance(sync.contacts.tasks("cnt_1").list(), Pager)
    assert isinstance(asynchronous.contacts.tasks("cnt_1").list(), AsyncPager)


class _UsersWithoutRequestId(Users[AsyncTransport]):
    @endpoint
    def me(self, *, impersonate: str | None = None) -> Operation[User]:
        return self._one(self._call("GET", "/me", impersonate=impersonate))


def test_the_comparison_sees_a_missing_method_and_a_changed_parameter() -> None:
    sync, asynchronous = clients()
    reduced = copy.copy(asynchronous)  # as the asynchronous client once was
    transport = asynchronous._transport
    reduced.contacts = RestorableCollection(transport, "/contacts", Contact)  # type: ignore[assignment]
    reduced.api_keys = WritableCollection(transport, "/api-keys", ApiKey)  # type: ignore[assignment]
    reduced.users = _UsersWithoutRequestId(transport)
    full, less = surface(sync), surface(reduced)
    missing = {path.split("(…)")[0] for path in full.keys() - less.keys()}
    assert missing == {
        "api_keys.revoke",
        "contacts.add_tags",
        "contacts.remove_tags",
        "contacts.appointments",
        "contacts.notes",
        "contacts.tasks",
    }
    assert less.keys() <= full.keys()
    assert [p for p in less if less[p] != full[p]] == ["users.me"]


def test_a_type_checker_sees_each_result_on_both_clients() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", str(TYPED_USAGE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
