"""Events published by the complaints service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from shared.contracts.registry import registry
from shared.contracts.topics import COMPLAINTS_COMPLAINTS
from shared.events import Event

RootCause = Literal["company", "customer", "unknown"]


class _ComplaintEvent(Event):
    complaint_id: uuid.UUID
    customer_id: uuid.UUID


@registry.register
class ComplaintFiledV1(_ComplaintEvent):
    """Sent when a complaint is received."""

    type = "complaints.complaint_filed"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    category: str
    severity: str
    priority: str
    channel: str | None = None
    filed_at: dt.datetime


@registry.register
class ComplaintAcknowledgedV1(_ComplaintEvent):
    """Sent when the complainant has been told the complaint was received."""

    type = "complaints.complaint_acknowledged"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    acknowledged_at: dt.datetime


@registry.register
class ComplaintEscalatedV1(_ComplaintEvent):
    """Sent when a complaint moves to a higher escalation level."""

    type = "complaints.complaint_escalated"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    level: int = Field(ge=0)
    reason: str
    escalated_at: dt.datetime
    action: Literal["notify", "supervisor_queue", "raise"] | None = Field(
        default=None,
        description="What the new level does: notify the team, reassign to the supervisor "
        "queue, or raise it further.",
    )
    team: str | None = Field(default=None, description="Team the complaint is with afterwards.")


@registry.register
class ComplaintSlaBreachedV1(_ComplaintEvent):
    """Sent when an SLA target (acknowledgement, first response, resolution) is missed."""

    type = "complaints.complaint_sla_breached"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    target: Literal["acknowledgement", "first_response", "resolution"]
    due_at: dt.datetime
    breached_at: dt.datetime


@registry.register
class ComplaintResolvedV1(_ComplaintEvent):
    """Sent when the decision on a complaint has been communicated to the complainant."""

    type = "complaints.complaint_resolved"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    root_cause: RootCause = "unknown"
    resolved_at: dt.datetime


@registry.register
class ComplaintClosedV1(_ComplaintEvent):
    """Sent when a complaint is closed (accepted, rejected with recourse, or withdrawn)."""

    type = "complaints.complaint_closed"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    outcome: Literal["accepted", "rejected", "withdrawn"]
    root_cause: RootCause = "unknown"
    closed_at: dt.datetime


@registry.register
class ComplaintReopenedV1(_ComplaintEvent):
    """Sent when a closed complaint is reopened within the reopen window."""

    type = "complaints.complaint_reopened"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    reason: str
    reopened_at: dt.datetime


@registry.register
class SatisfactionSurveyedV1(_ComplaintEvent):
    """Sent when a complainant answers the satisfaction survey after closure."""

    type = "complaints.satisfaction_surveyed"
    version = 1
    topic = COMPLAINTS_COMPLAINTS

    csat: int = Field(ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: str | None = None
    surveyed_at: dt.datetime
