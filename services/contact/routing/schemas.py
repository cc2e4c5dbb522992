"""Offers and work items as answered."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.inputs import InputModel


class OfferRead(BaseModel):
    """An offer of a contact to an agent, with the screen pop."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    work_item_id: uuid.UUID
    agent_id: uuid.UUID
    state: str
    offered_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None
    screen_pop: dict[str, Any]


class WorkItemCreate(InputModel):
    """A chat, e-mail or call-back task to route."""

    model_config = ConfigDict(extra="forbid")

    queue: str = Field(min_length=1, max_length=200)
    channel: Literal["chat", "email", "callback"]
    customer_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = Field(default=None, description="The contact it is about.")
    subject: str | None = Field(default=None, max_length=500)


class WorkItemRead(BaseModel):
    """A routed contact: where it waits, its priority and why, and what became of it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    queue_id: uuid.UUID
    channel: str
    call_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    subject: str | None
    state: str
    entered_at: dt.datetime
    priority: float
    priority_reasons: dict[str, float] = Field(description="Each part of the priority.")
    offers: int
    agent_id: uuid.UUID | None
    assigned_at: dt.datetime | None
    ended_at: dt.datetime | None
