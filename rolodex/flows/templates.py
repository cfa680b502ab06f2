"""The seed's flows, ready to create (``GET /flow-templates``).

Each names the connector kinds it needs; the request may give the connection of each
kind (``?highlevel=con_…&moco=con_…&rolodex=con_…``) and the template's ``flow`` is then
ready to post as it is. A connection not given is a placeholder (``<highlevel
connection>``), which creating the flow refuses until it is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KINDS = ("highlevel", "moco", "rolodex")


def _template(
    key: str,
    name: str,
    description: str,
    trigger: tuple[str | None, str],
    actions: list[tuple[str, str, dict[str, Any]]],
    condition: str | None = None,
) -> dict[str, Any]:
    kind, event = trigger
    needs = sorted({kind for kind, _, _ in actions} | ({kind} if kind else set()))
    return {
        "key": key,
        "name": name,
        "description": description,
        "needs": needs,
        "flow": {
            "name": name,
            "template": key,
            "trigger": {"connection_id": kind, "event": event},
            "condition": condition,
            "actions": [
                {"connection_id": kind, "operation": operation, "mapping": mapping}
                for kind, operation, mapping in actions
            ],
            "enabled": True,
        },
    }


TEMPLATES: tuple[dict[str, Any], ...] = (
    _template(
        "contact-to-highlevel",
        "Contact created or updated → HighLevel contact",
        "Every contact with an email or phone, created or changed in Rolodex, upserted in "
        "HighLevel (found there by email, then phone): name, email, phone, company.",
        (None, "contact.*"),
        [
            (
                "highlevel",
                "contacts.upsert",
                {
                    "firstName": "data.first_name",
                    "lastName": "data.last_name",
                    "email": {"expr": "data.email", "type": "email"},
                    "phone": {
                        "expr": "data.phone",
                        "fallback": "data.mobile_phone",
                        "type": "phone",
                    },
                    "companyName": "related.company.name",
                    "tags": "data.tags",
                },
            )
        ],
        condition="(type == 'contact.created' || type == 'contact.updated') "
        "&& (data.email || data.phone)",
    ),
    _template(
        "task-to-highlevel",
        "New task → HighLevel task",
        "A task made in Rolodex, made in HighLevel for the same (linked) contact.",
        (None, "task.created"),
        [
            (
                "highlevel",
                "tasks.create",
                {
                    "contactId": {"link": "data.contact_id", "required": True},
                    "title": {"expr": "data.title", "required": True},
                    "body": "data.body",
                    "dueDate": {"expr": "data.due_at", "fallback": "now()", "type": "datetime"},
                    "completed": {"expr": "data.completed", "type": "boolean"},
                },
            )
        ],
        condition="data.completed == `false`",
    ),
    _template(
        "task-update-to-highlevel",
        "Changed task → HighLevel task",
        "A task changed in Rolodex, changed in HighLevel too (the linked task of the "
        "linked contact).",
        (None, "task.updated"),
        [
            (
                "highlevel",
                "tasks.update",
                {
                    "contactId": {"link": "data.contact_id", "required": True},
                    "taskId": {"link": "data.id", "required": True},
                    "title": "data.title",
                    "body": "data.body",
                    "dueDate": {"expr": "data.due_at", "type": "datetime"},
                    "completed": {"expr": "data.completed", "type": "boolean"},
                },
            )
        ],
    ),
    _template(
        "note-to-highlevel",
        "New note → HighLevel note",
        "A note added in Rolodex, posted to the linked contact in HighLevel.",
        (None, "note.created"),
        [
            (
                "highlevel",
                "notes.create",
                {
                    "contactId": {"link": "data.contact_id", "required": True},
                    "body": {"expr": "data.body", "required": True},
                },
            )
        ],
    ),
    _template(
        "highlevel-contact-updated-to-task",
        "HighLevel contact updated → Rolodex task",
        "When a contact changes in HighLevel, a follow-up task for the linked contact in "
        "Rolodex (through a connection to this Rolodex). MOCO has no tasks, so nothing is "
        "made there.",
        ("highlevel", "ContactUpdate"),
        [
            (
                "rolodex",
                "tasks.create",
                {
                    "contact_id": {"link": "remote_id", "from": "trigger", "required": True},
                    "title": "concat('Follow up: ', data.firstName, ' ', data.lastName)",
                    "due_at": {"expr": "now()", "type": "datetime"},
                },
            )
        ],
    ),
    _template(
        "tags-to-moco",
        "Tags added → MOCO taggings",
        "Tags added to a contact in Rolodex, added to the linked MOCO contact.",
        (None, "contact.tags_added"),
        [
            (
                "moco",
                "taggings.add",
                {
                    "entity": {"value": "Contact"},
                    "entity_id": {"link": "data.id", "required": True},
                    "tags": {
                        "expr": "difference(changes.tags[1], changes.tags[0])",
                        "required": True,
                    },
                },
            )
        ],
    ),
    _template(
        "note-to-moco",
        "New note → MOCO comment",
        "A note added in Rolodex, a comment on the linked MOCO contact.",
        (None, "note.created"),
        [
            (
                "moco",
                "comments.create",
                {
                    "commentable_id": {"link": "data.contact_id", "required": True},
                    "commentable_type": {"value": "Contact"},
                    "text": {"expr": "data.body", "required": True},
                },
            )
        ],
    ),
    _template(
        "moco-comment-to-note",
        "MOCO comment → Rolodex note",
        "A comment on a MOCO contact, a note of the linked Rolodex contact (from where the "
        "note flows to HighLevel, with the template above).",
        ("moco", "Comment.create"),
        [
            (
                "rolodex",
                "notes.create",
                {
                    "contact_id": {
                        "link": "data.commentable_id",
                        "from": "trigger",
                        "required": True,
                    },
                    "body": {"expr": "data.text", "required": True},
                },
            )
        ],
        condition="data.commentable_type == 'Contact'",
    ),
    _template(
        "highlevel-note-to-note",
        "HighLevel note → Rolodex note",
        "A note added in HighLevel, a note of the linked Rolodex contact.",
        ("highlevel", "NoteCreate"),
        [
            (
                "rolodex",
                "notes.create",
                {
                    "contact_id": {"link": "data.contactId", "from": "trigger", "required": True},
                    "body": {"expr": "data.body", "required": True},
                },
            )
        ],
    ),
)


def placeholder(kind: str) -> str:
    """What stands for a connection of ``kind`` not given."""
    return f"<{kind} connection>"


def templates(connections: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """Every template, with the connections given (by connector kind) filled in."""

    def fill(kind: str | None) -> str | None:
        if kind is None:
            return None
        return connections.get(kind) or placeholder(kind)

    shown = []
    for template in TEMPLATES:
        flow = dict(template["flow"])
        flow["trigger"] = {
            **flow["trigger"],
            "connection_id": fill(flow["trigger"]["connection_id"]),
        }
        flow["actions"] = [
            {**action, "connection_id": fill(action["connection_id"])} for action in flow["actions"]
        ]
        shown.append({"object": "flow_template", **template, "flow": flow})
    return shown
