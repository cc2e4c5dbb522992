"""Events published by the contact service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import Field

from shared.contracts.registry import registry
from shared.contracts.topics import CONTACT_CALLS, CONTACT_CUSTOMERS, CONTACT_SURVEYS
from shared.events import Event


@registry.register
class CallEventRecordedV1(Event):
    """Sent when the contact service stores a call event it had not seen before."""

    type = "contact.call_event_recorded"
    version = 1
    topic = CONTACT_CALLS

    call_event_id: uuid.UUID
    customer_id: uuid.UUID
    provider: str
    call_id: str
    sequence_number: int = Field(ge=0)
    status: str
    occurred_at: dt.datetime
    first_event_of_call: bool = Field(
        description="True for the first stored event of the call: one contact, however many events."
    )


@registry.register
class CallEventRecordedV2(Event):
    """Sent when the contact service stores a call event it had not seen before.

    v2 names the provider's call id `provider_call_id`, as every other contact event does
    (`call_id` is the contact service's own id of a call).
    """

    type = "contact.call_event_recorded"
    version = 2
    topic = CONTACT_CALLS

    call_event_id: uuid.UUID = Field(
        description="The stored event: a webhook's log entry, or the internal API's event."
    )
    customer_id: uuid.UUID
    provider: str
    provider_call_id: str = Field(description="The provider's id of the call.")
    sequence_number: int = Field(ge=0)
    status: str
    occurred_at: dt.datetime
    first_event_of_call: bool = Field(
        description="True for the first stored event of the call: one contact, however many events."
    )


@registry.upcaster(CallEventRecordedV1.type, 1)
def _call_event_recorded_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    renamed = dict(data)
    renamed["provider_call_id"] = renamed.pop("call_id")
    return renamed


CallDirection = Literal["inbound", "outbound", "internal"]
CallOutcome = Literal[
    "answered", "abandoned", "missed", "voicemail", "busy", "no_answer", "failed", "canceled"
]


@registry.register
class CustomerCreatedV1(Event):
    """Sent when the contact service creates a customer (an unknown caller becomes a prospect)."""

    type = "contact.customer_created"
    version = 1
    topic = CONTACT_CUSTOMERS

    customer_id: uuid.UUID
    state: Literal["non_customer", "prospect", "current", "lost"]
    kind: Literal["consumer", "intermediary", "public_interest"]
    party: Literal["individual", "organisation"]
    created_via: str = Field(description="What created it: `api`, or the provider of a call.")
    created_at: dt.datetime


@registry.register
class CustomersMergedV1(Event):
    """Sent when one customer record is merged into another; the merged id stops being used."""

    type = "contact.customers_merged"
    version = 1
    topic = CONTACT_CUSTOMERS

    customer_id: uuid.UUID = Field(description="The customer that remains.")
    merged_customer_id: uuid.UUID = Field(description="The customer folded into it.")
    identities_moved: int = Field(ge=0)
    interactions_moved: int = Field(ge=0)
    merged_at: dt.datetime


@registry.register
class CustomerDeletedV1(Event):
    """Sent when a customer is erased: its identities and personal data are gone from contact.

    Its id stays on past calls and contacts; other services should drop what they keep about it.
    """

    type = "contact.customer_deleted"
    version = 1
    topic = CONTACT_CUSTOMERS

    customer_id: uuid.UUID
    deleted_at: dt.datetime


class _CallEvent(Event):
    customer_id: uuid.UUID
    call_id: uuid.UUID = Field(description="The contact service's id of the call.")
    provider: str
    provider_call_id: str = Field(description="The provider's root call id (legs grouped).")


@registry.register
class CallStartedV1(_CallEvent):
    """Sent once per call, when its first event is stored."""

    type = "contact.call_started"
    version = 1
    topic = CONTACT_CALLS

    direction: CallDirection | None = None
    started_at: dt.datetime


@registry.register
class CallConnectedV1(_CallEvent):
    """Sent once per call, when it is first known to be connected to an agent or callee."""

    type = "contact.call_connected"
    version = 1
    topic = CONTACT_CALLS

    queue: str | None = None
    agent: str | None = None
    connected_at: dt.datetime


@registry.register
class CallEndedV1(_CallEvent):
    """Sent once per call, when it reaches its end state, with its outcome."""

    type = "contact.call_ended"
    version = 1
    topic = CONTACT_CALLS

    outcome: CallOutcome | None
    direction: CallDirection | None = None
    queue: str | None = None
    agent: str | None = None
    duration_seconds: int | None = Field(default=None, ge=0)
    ended_at: dt.datetime


@registry.register
class CallAbandonedV1(_CallEvent):
    """Sent once per call whose caller hung up while queued, before any agent answered."""

    type = "contact.call_abandoned"
    version = 1
    topic = CONTACT_CALLS

    queue: str | None = None
    queued_at: dt.datetime | None = None
    abandoned_at: dt.datetime


@registry.register
class ContactRecordedV1(Event):
    """Sent when a non-voice contact (e-mail, chat, web form, SMS) is recorded."""

    type = "contact.contact_recorded"
    version = 1
    topic = CONTACT_CALLS

    contact_id: uuid.UUID
    customer_id: uuid.UUID
    channel: Literal["email", "chat", "web_form", "sms"]
    direction: Literal["inbound", "outbound"]
    occurred_at: dt.datetime


SurveyQuestion = Literal["csat", "nps", "quality"]
QualityClass = Literal["unacceptable", "acceptable", "delighted"]


@registry.register
class SurveyCompletedV1(Event):
    """Sent when a customer answers the survey sent after a call, chat or e-mail contact."""

    type = "contact.survey_completed"
    version = 1
    topic = CONTACT_SURVEYS

    survey_id: uuid.UUID
    customer_id: uuid.UUID
    call_id: uuid.UUID | None = Field(default=None, description="The call it was sent after.")
    contact_id: uuid.UUID | None = Field(
        default=None, description="The e-mail, chat, web-form or SMS contact it was sent after."
    )
    channel: str = Field(description="The contact's channel: `voice`, `email`, `chat`, …")
    questions: list[SurveyQuestion]
    csat: int | None = Field(default=None, ge=1, le=5, description="Satisfaction, 1 to 5.")
    nps: int | None = Field(default=None, ge=0, le=10, description="Likelihood to recommend.")
    expected_quality: int | None = Field(
        default=None, ge=1, le=5, description="Q0, the quality the customer expected, 1 to 5."
    )
    perceived_quality: int | None = Field(
        default=None, ge=1, le=5, description="Q1, the quality the customer perceived, 1 to 5."
    )
    quality: QualityClass | None = Field(
        default=None, description="Q1 against Q0: below, equal to, or above expectation."
    )
    answered_at: dt.datetime
