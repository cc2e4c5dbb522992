"""HTTP shapes of the contact service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

CallIdentification = Literal["caller_id", "held", "agent"]
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
    customer_id: uuid.UUID | None = Field(
        description="None while the caller's number is shared and the call is held."
    )
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
    call_record_id: uuid.UUID = Field(
        description="The contact service's id of the call: `/v1/calls/{call_record_id}`."
    )
    identification: CallIdentification = Field(description="How the call got its customer.")
    candidate_customer_ids: list[uuid.UUID] = Field(
        description="Customers sharing the caller's number while the call is held."
    )


CustomerState = Literal["non_customer", "prospect", "current", "lost"]
CustomerKind = Literal["consumer", "intermediary", "public_interest"]
Party = Literal["individual", "organisation"]


class ExternalId(BaseModel):
    """An id a provider or another system gives the customer."""

    provider: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$")
    id: str = Field(min_length=1, max_length=200)


class ManQualification(BaseModel):
    """MAN rule for prospects: money, authority, need (unknown until asked)."""

    money: bool | None = None
    authority: bool | None = None
    need: bool | None = None


class CustomerCreate(BaseModel):
    """A customer and the identities it is recognised by."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    state: CustomerState = "prospect"
    kind: CustomerKind = "consumer"
    party: Party = "individual"
    man: ManQualification = Field(default_factory=ManQualification)
    phones: list[str] = Field(default_factory=list, max_length=20)
    emails: list[str] = Field(default_factory=list, max_length=20)
    customer_number: str | None = Field(default=None, min_length=1, max_length=64)
    external_ids: list[ExternalId] = Field(default_factory=list, max_length=20)


class CustomerUpdate(BaseModel):
    """Attributes to change; identities are added with their own endpoint."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    state: CustomerState | None = None
    kind: CustomerKind | None = None
    party: Party | None = None
    man: ManQualification | None = None


class IdentityCreate(BaseModel):
    """One more identity for a customer."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["phone", "email", "customer_number", "external"]
    value: str = Field(min_length=1, max_length=300)
    provider: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_\-]{0,39}$")


class IdentityRead(BaseModel):
    """An identity as stored (phones in E.164, e-mails lower-cased)."""

    model_config = ConfigDict(from_attributes=True)

    identity_id: uuid.UUID = Field(validation_alias=AliasChoices("identity_id", "id"))
    kind: str
    value: str


class ManRead(ManQualification):
    """MAN qualification and the follow-up it implies."""

    qualified: bool
    strategy: str


class CustomerRead(BaseModel):
    """A customer with its identities, attributes and latest scores."""

    customer_id: uuid.UUID
    name: str | None
    state: CustomerState
    kind: CustomerKind
    party: Party
    man: ManRead
    tier: str | None
    churn_risk: float | None
    identities: list[IdentityRead]
    merged_into: uuid.UUID | None
    created_at: dt.datetime


class CustomerPage(BaseModel):
    """One page of customers; pass `next_cursor` back as `cursor` for the next."""

    items: list[CustomerRead]
    next_cursor: str | None


class Identification(BaseModel):
    """Who an identity belongs to: nobody, one customer, or several candidates (no guess)."""

    match: Literal["none", "one", "many"]
    customer: CustomerRead | None = None
    candidates: list[CustomerRead] = Field(default_factory=list)


class MergeRequest(BaseModel):
    """The customer to fold into the one in the path."""

    model_config = ConfigDict(extra="forbid")

    merge_customer_id: uuid.UUID


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
        description="None while the call is held: several customers share the caller's number."
    )
    identification: CallIdentification = Field(
        description=(
            "`caller_id`: the number has one owner (an unknown one became a prospect); `held`: "
            "several customers share it and an agent has to pick; `agent`: an agent picked."
        )
    )
    candidate_customer_ids: list[uuid.UUID] = Field(
        description="The customers sharing the caller's number, first owner first."
    )
    provider: str
    provider_call_id: str = Field(validation_alias=AliasChoices("provider_call_id", "call_key"))
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


class CallAssignment(BaseModel):
    """Whose call it is, as the agent established."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID


class CallWrapUp(BaseModel):
    """What the agent records after the call."""

    model_config = ConfigDict(extra="forbid")

    wrap_up_code: str | None = Field(default=None, max_length=100)
    disposition: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)


Channel = Literal["email", "chat", "web_form", "sms"]


class ContactCreate(BaseModel):
    """A non-voice contact; the customer is found by id, e-mail or phone (else a prospect)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    external_id: str = Field(min_length=1, max_length=200, description="Id in the source system.")
    direction: Literal["inbound", "outbound"] = "inbound"
    customer_id: uuid.UUID | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(default=None, max_length=500)
    body: str | None = Field(default=None, max_length=20000)
    agent: str | None = Field(default=None, max_length=200)
    queue: str | None = Field(default=None, max_length=200)
    disposition: str | None = Field(default=None, max_length=100)
    wrap_up_code: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=5000)
    occurred_at: AwareDatetime


class ContactRead(BaseModel):
    """A stored non-voice contact."""

    model_config = ConfigDict(from_attributes=True)

    contact_id: uuid.UUID = Field(validation_alias=AliasChoices("contact_id", "id"))
    customer_id: uuid.UUID
    channel: Channel
    external_id: str
    direction: str
    subject: str | None
    body: str | None
    agent: str | None
    queue: str | None
    disposition: str | None
    wrap_up_code: str | None
    notes: str | None
    occurred_at: dt.datetime


class ContactRecorded(ContactRead):
    """Answer to a posted contact; `duplicate` when that external id was stored before."""

    duplicate: bool


class Interaction(BaseModel):
    """One entry of a customer's history: a call or a non-voice contact."""

    channel: str
    interaction_id: uuid.UUID
    occurred_at: dt.datetime
    call: CallDetail | None = None
    contact: ContactRead | None = None


class InteractionPage(BaseModel):
    """A page of a customer's history, newest first."""

    items: list[Interaction]
    next_cursor: str | None


class WebhookAccepted(BaseModel):
    """Answer to a provider webhook."""

    duplicate: bool
    ignored: bool = False
    call_id: uuid.UUID | None = None
