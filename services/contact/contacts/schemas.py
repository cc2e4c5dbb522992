"""HTTP shapes of non-voice contacts and of a customer's history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from services.contact.calls.schemas import CallDetail
from shared.inputs import InputModel, PastTime

Channel = Literal["email", "chat", "web_form", "sms"]


class ContactCreate(InputModel):
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
    occurred_at: PastTime = Field(description="When it happened: from 1970, not in the future.")


class ContactRead(BaseModel):
    """A stored non-voice contact."""

    model_config = ConfigDict(from_attributes=True)

    contact_id: uuid.UUID = Field(validation_alias=AliasChoices("contact_id", "id"))
    customer_id: uuid.UUID | None = Field(
        description="None only while an Amazon Connect contact waits for the event that names "
        "its customer (`CONTACT_CALL_SETTLE_SECONDS`)."
    )
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
