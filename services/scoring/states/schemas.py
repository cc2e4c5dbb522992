"""HTTP shapes of a customer's state and its history."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.scoring import CustomerState, StateTransition, Tier


class StateChangeRead(BaseModel):
    """One move of a customer from one state to another."""

    model_config = ConfigDict(from_attributes=True)

    previous_state: CustomerState | None
    state: CustomerState
    transition: StateTransition
    occurred_at: dt.datetime = Field(description="When it happened, by the state rule.")
    recorded_at: dt.datetime = Field(description="When scoring saw it.")
    tier: Tier | None = Field(description="The tier last published when the state changed.")
    causes: list[str] | None = Field(description="For `churned`: the churn cause codes then.")


class CustomerStateRead(BaseModel):
    """A customer's state, derived from events, and how it got there (newest first)."""

    customer_id: uuid.UUID
    state: CustomerState | None = Field(description="None until an event placed the customer.")
    since: dt.datetime | None
    history: list[StateChangeRead]
