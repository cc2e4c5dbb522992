"""HTTP shapes of the contact service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

CallStatus = Literal[
    "initiated", "ringing", "ivr", "queued", "agent_ringing", "connected", "wrap_up", "ended"
]


class CallEventCreate(BaseModel):
    """A generic call-progress event, as a PBX adapter or CTI connector sends it."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    provider: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$",
        description="Phone system that reported the event, e.g. `asterisk`, `freeswitch`.",
        examples=["asterisk"],
    )
    call_id: str = Field(min_length=1, max_length=128, description="The provider's call id.")
    sequence_number: int = Field(
        ge=0, le=2_147_483_647, description="Order of this event within the call, from 0."
    )
    status: CallStatus = Field(description="Call state this event reports.")
    from_: str = Field(
        alias="from", min_length=1, max_length=64, description="Caller number, any written form."
    )
    to: str = Field(min_length=1, max_length=64, description="Called number, any written form.")
    timestamp: AwareDatetime = Field(description="When it happened, with a time zone.")


class CallEventRead(BaseModel):
    """A stored call event and the customer it was tied to."""

    model_config = ConfigDict(from_attributes=True)

    call_event_id: uuid.UUID = Field(validation_alias=AliasChoices("call_event_id", "id"))
    customer_id: uuid.UUID
    provider: str
    call_id: str
    sequence_number: int
    status: str
    from_number: str
    to_number: str
    occurred_at: dt.datetime
    received_at: dt.datetime


class CallEventRecorded(CallEventRead):
    """Answer to a posted call event; `duplicate` is true when it had been stored before."""

    duplicate: bool
