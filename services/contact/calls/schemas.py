"""HTTP shapes of calls, their event logs and the call-event API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from shared.inputs import InputModel, PastTime

CallIdentification = Literal["caller_id", "held", "agent", "pending"]
CallStatus = Literal[
    "initiated", "ringing", "ivr", "queued", "agent_ringing", "connected", "wrap_up", "ended"
]


class CallEventCreate(InputModel):
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
    timestamp: PastTime = Field(
        description="When it happened, with a time zone (from 1970, not ahead)."
    )


class CallEventRead(BaseModel):
    """A stored call event and the customer it was tied to."""

    model_config = ConfigDict(from_attributes=True)

    call_event_id: uuid.UUID = Field(validation_alias=AliasChoices("call_event_id", "id"))
    customer_id: uuid.UUID | None = Field(
        description="None while the caller's number is shared and the call is held."
    )
    provider: str
    call_id: str = Field(
        validation_alias=AliasChoices("call_id", "provider_call_id"),
        description="The provider's call id.",
    )
    sequence_number: int
    status: str
    from_number: str
    to_number: str
    occurred_at: dt.datetime
    received_at: dt.datetime


class CallEventRecorded(CallEventRead):
    """Answer to a posted call event; `duplicate` is true when it had been stored before."""

    duplicate: bool
    call_record_id: uuid.UUID = Field(
        description="The contact service's id of the call: `/v1/calls/{call_record_id}`."
    )
    identification: CallIdentification = Field(description="How the call got its customer.")
    candidate_customer_ids: list[uuid.UUID] = Field(
        description="Customers sharing the caller's number while the call is held."
    )


class CallLogRead(BaseModel):
    """One stored provider event of a call."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    leg_id: str | None
    sequence: int | None
    occurred_at: dt.datetime
    facts: dict[str, Any]


class CallRead(BaseModel):
    """A call with its state, outcome and what its events said."""

    model_config = ConfigDict(from_attributes=True)

    call_id: uuid.UUID = Field(validation_alias=AliasChoices("call_id", "id"))
    customer_id: uuid.UUID | None = Field(
        description="None while the call is held (several customers share the caller's "
        "number) or pending (no event has named the caller yet)."
    )
    identification: CallIdentification = Field(
        description=(
            "`caller_id`: the number has one owner (an unknown one became a prospect); `held`: "
            "several customers share it and an agent has to pick; `agent`: an agent picked; "
            "`pending`: no event so far names the caller (Amazon Connect names it in "
            "`INITIATED` only): the call waits for it, or for `CONTACT_CALL_SETTLE_SECONDS`, "
            "then gets a prospect of its own."
        )
    )
    candidate_customer_ids: list[uuid.UUID] = Field(
        description="The customers sharing the caller's number, first owner first."
    )
    provider: str
    provider_call_id: str
    direction: str | None
    from_number: str | None
    to_number: str | None
    state: CallStatus
    outcome: str | None
    started_at: dt.datetime
    ringing_at: dt.datetime | None
    queued_at: dt.datetime | None
    connected_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_seconds: int | None
    queue: str | None
    agent: str | None
    wrap_up_code: str | None
    disposition: str | None
    notes: str | None
    recording_url: str | None
    ivr_path: list[str]
    legs: list[str]


class CallDetail(CallRead):
    """A call and its event log, oldest first."""

    events: list[CallLogRead]


class CallPage(BaseModel):
    """One page of calls, newest first; pass `next_cursor` back as `cursor` for the next."""

    items: list[CallRead]
    next_cursor: str | None


class WaitingCall(BaseModel):
    """A caller waiting in a queue, and why they are where they are in the list."""

    position: int = Field(ge=1, description="1 is the caller to take next.")
    tier: str | None = Field(description="The caller's value tier (a held call: its best).")
    churn_risk: float | None
    at_risk: bool = Field(description="Churn risk at or above `CONTACT_AT_RISK_CHURN_THRESHOLD`.")
    waited_seconds: int = Field(ge=0, description="Since the call was queued.")
    call: CallRead


class CallAssignment(InputModel):
    """Whose call it is, as the agent established."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID


class CallWrapUp(InputModel):
    """What the agent records after the call."""

    model_config = ConfigDict(extra="forbid")

    wrap_up_code: str | None = Field(default=None, max_length=100)
    disposition: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
