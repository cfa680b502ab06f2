"""Request and response bodies of flows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from rolodex.schemas import OutModel, WriteModel
from rolodex.validation import clean_text, not_blank

Name = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(clean_text), AfterValidator(not_blank)
]
Expression = Annotated[
    str, Field(min_length=1, max_length=2000, description="A JMESPath expression.")
]
MappingValue = Annotated[
    str | dict[str, Any],
    Field(
        description='An expression, or {"value": …}, {"link": expr}, or {"expr": …, '
        '"fallback": …, "required": bool, "type": …}.'
    ),
]
FieldName = Annotated[str, Field(min_length=1, max_length=200)]


class TriggerIn(WriteModel):
    """What starts a flow: an event of this Rolodex (``connection_id`` null) or one of a
    connection's events (its connector's trigger keys, or ``<remote type>.<action>`` of
    its stream of changes)."""

    connection_id: Annotated[str, Field(max_length=40)] | None = None
    event: Annotated[
        str,
        Field(min_length=1, max_length=100, examples=["contact.created"]),
        AfterValidator(clean_text),
    ]


class ActionIn(WriteModel):
    """One operation of a connection, its input mapped from the trigger."""

    connection_id: Annotated[str, Field(min_length=1, max_length=40)]
    operation: Annotated[str, Field(min_length=1, max_length=100)]
    mapping: Annotated[dict[FieldName, MappingValue], Field(max_length=200)] = Field(
        default_factory=dict
    )


class FlowCreate(WriteModel):
    """A new flow."""

    name: Name
    description: Annotated[str, Field(max_length=2000)] | None = None
    trigger: TriggerIn
    condition: Expression | None = None
    actions: Annotated[list[ActionIn], Field(min_length=1, max_length=20)]
    enabled: bool = True
    template: Annotated[str, Field(max_length=100)] | None = None


class FlowPatch(WriteModel):
    """Fields of a flow to change; ``trigger`` and ``actions`` are replaced whole."""

    name: Name | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    trigger: TriggerIn | None = None
    condition: Expression | None = None
    actions: Annotated[list[ActionIn], Field(min_length=1, max_length=20)] | None = None
    enabled: bool | None = None


class TriggerOut(BaseModel):
    """What starts the flow."""

    connection_id: str | None
    event: str


class ActionOut(BaseModel):
    """One action of the flow."""

    connection_id: str
    operation: str
    mapping: dict[str, Any]


class FlowOut(OutModel):
    """A flow as the API shows it."""

    object: Literal["flow"] = "flow"
    name: str
    description: str | None
    trigger: TriggerOut
    condition: str | None
    actions: list[ActionOut]
    enabled: bool
    version: int = Field(description="Grows with every change of the definition.")
    template: str | None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, value: Any) -> Any:
        if isinstance(value, dict) or not hasattr(value, "trigger_event"):
            return value
        return {
            "id": value.id,
            "created_at": value.created_at,
            "updated_at": value.updated_at,
            "name": value.name,
            "description": value.description,
            "trigger": {"connection_id": value.trigger_connection_id, "event": value.trigger_event},
            "condition": value.condition,
            "actions": list(value.actions or []),
            "enabled": value.enabled,
            "version": value.version,
            "template": value.template,
        }


class FlowTest(WriteModel):
    """What to run the flow on, dry: a stored event (``event_id``), or an event given
    whole (``event``: ``{"type", "data", …}`` as the event feed shows one)."""

    event_id: Annotated[str, Field(max_length=40)] | None = None
    event: dict[str, Any] | None = Field(
        default=None,
        examples=[
            {"type": "contact.created", "data": {"first_name": "Ada", "email": "ada@example.com"}}
        ],
    )

    @model_validator(mode="after")
    def _one(self) -> FlowTest:
        if (self.event_id is None) == (self.event is None):
            raise ValueError("give event_id or event, one of them")
        return self


class RequestShown(BaseModel):
    """The HTTP request a live run would send."""

    method: str
    url: str
    headers: dict[str, str]
    body: Any = None


class FieldShown(BaseModel):
    """One mapped field: its value and where it came from."""

    field: str
    value: Any = None
    source: dict[str, Any]
    error: str | None = None


class ProblemShown(BaseModel):
    """One thing that would stop the action."""

    field: str | None
    message: str


class ActionShown(BaseModel):
    """What one action would do."""

    index: int
    needs_steps: bool = Field(
        description="Its input reads an earlier action's output, which a dry run does not "
        "have: its errors say what is missing, and do not make the flow invalid."
    )
    connection_id: str
    operation: str
    would_send: bool
    request: RequestShown | None
    fields: list[FieldShown]
    errors: list[ProblemShown]


class FlowTestOut(BaseModel):
    """A dry run: what the flow would do with the event, having written nothing."""

    object: Literal["flow_test"] = "flow_test"
    flow_id: str
    version: int
    event: dict[str, Any]
    condition: dict[str, Any] = Field(
        description="The condition, its value, and whether it holds (no condition holds)."
    )
    status: Literal["would_run", "skipped", "invalid"]
    actions: list[ActionShown]
    reads: list[dict[str, Any]] = Field(description="What the dry run read to answer.")
    at: datetime


class TemplateOut(BaseModel):
    """A flow ready to create: fill in the connections it needs and post ``flow``."""

    object: Literal["flow_template"] = "flow_template"
    key: str
    name: str
    description: str
    needs: list[str] = Field(description="The connector kinds of the connections it uses.")
    flow: dict[str, Any]
