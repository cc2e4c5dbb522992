"""HTTP shapes of the complaint record."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from services.complaints.lifecycle.lifecycle import State
from services.complaints.sla.priority import Priority, Severity
from shared.inputs import InputModel, PastTime

Channel = Literal["phone", "email", "web", "chat", "in_person", "social", "letter", "app"]
RootCause = Literal["company", "customer", "unknown"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
ContactRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class ComplaintCreate(InputModel):
    """A complaint as received from the complainant, on any channel."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID
    channel: Channel
    category: str = Field(min_length=1, max_length=60, description="One of the configured ones.")
    description: LongText
    remedy_sought: LongText | None = Field(
        default=None, description="What the complainant asks for."
    )
    severity: Severity = "medium"
    source_contacts: list[ContactRef] = Field(
        default_factory=list, max_length=50, description="Contacts (e.g. call ids) it came from."
    )
    team: ShortText | None = None
    assignee: ShortText | None = None
    calendar: str | None = Field(
        default=None, description="Business calendar of its SLAs; the service default if unset."
    )
    related_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    duplicate_of: uuid.UUID | None = None
    received_at: PastTime | None = Field(
        default=None, description="When it arrived, if earlier than now (e.g. a letter)."
    )


class ComplaintUpdate(InputModel):
    """Fields an agent may change; only those sent are changed."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, min_length=1, max_length=60)
    description: LongText | None = None
    remedy_sought: LongText | None = None
    severity: Severity | None = None
    team: ShortText | None = None
    assignee: ShortText | None = None
    root_cause: RootCause | None = None
    root_cause_detail: LongText | None = None
    resolution_reason: LongText | None = None
    compensation_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    compensation_currency: Currency | None = None
    source_contacts: list[ContactRef] | None = Field(default=None, max_length=50)
    related_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    duplicate_of: uuid.UUID | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> ComplaintUpdate:
        for name in _NOT_NULL:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"`{name}` cannot be cleared")
        return self


# Fields of the record that always have a value: a PATCH may change them, not null them.
_NOT_NULL = ("category", "description", "severity", "root_cause", "source_contacts", "related_ids")


class SlaTargetRead(BaseModel):
    """One SLA target of a complaint."""

    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    met_at: dt.datetime | None
    warned: bool
    breached_at: dt.datetime | None


class SlaRead(BaseModel):
    """A complaint's SLA clock and targets."""

    paused: bool
    paused_seconds: float
    next_due_at: dt.datetime | None
    acknowledgement: SlaTargetRead
    first_response: SlaTargetRead
    resolution: SlaTargetRead


class ComplaintRead(BaseModel):
    """A complaint as stored."""

    id: uuid.UUID
    version: int
    customer_id: uuid.UUID
    source_contacts: list[str]
    channel: str
    category: str
    description: str
    remedy_sought: str | None
    severity: Severity
    priority: Priority
    tier: str | None
    churn_risk: float | None
    calendar: str
    team: str | None
    assignee: str | None
    state: State
    escalation_level: int
    root_cause: RootCause
    root_cause_detail: str | None
    resolution_reason: str | None
    decision_channel: str | None
    decision_summary: str | None
    complainant_response: Literal["accepted", "rejected"] | None
    recourse_offered: str | None
    compensation_amount: Decimal | None
    compensation_currency: str | None
    duplicate_of: uuid.UUID | None
    related_ids: list[uuid.UUID]
    reopen_count: int
    received_at: dt.datetime
    acknowledged_at: dt.datetime | None
    assessed_at: dt.datetime | None
    investigation_started_at: dt.datetime | None
    responded_at: dt.datetime | None
    decision_communicated_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopened_at: dt.datetime | None
    low_score_after_closure_at: dt.datetime | None = Field(
        description="When a post-contact survey scored low (CSAT at most 2, or quality below "
        "expectation) within the window after the closure; null if none did."
    )
    updated_at: dt.datetime
    sla: SlaRead
    allowed_transitions: list[State]


class ComplaintFilters(InputModel):
    """What a complaint listing can be narrowed to."""

    customer_id: uuid.UUID | None = None
    state: State | None = None
    category: str | None = Field(default=None, max_length=60)
    priority: Priority | None = None
    sla: Literal["at_risk", "breached"] | None = Field(
        default=None,
        description="`at_risk`: open, warned, not yet breached; `breached`: any target.",
    )


class ComplaintPage(BaseModel):
    """One page of complaints, newest first; pass `next_cursor` back for the next."""

    items: list[ComplaintRead]
    next_cursor: str | None
