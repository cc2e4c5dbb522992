"""Events published by the contact service."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from shared.contracts.registry import registry
from shared.contracts.topics import CONTACT_CALLS
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
