"""Events published by the scoring service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal, get_args

from pydantic import Field

from shared.contracts.registry import registry
from shared.contracts.topics import SCORING_PROGRAMMES, SCORING_SCORES
from shared.events import Event

Tier = Literal["gold", "silver", "bronze", "iron"]
# The value tiers of the customer pyramid, most valuable first: the one list every service uses.
TIERS: tuple[Tier, ...] = get_args(Tier)
LifecycleStage = Literal["exploration", "formation", "stability", "decline"]
# Customer states (客户状态): non-customer, prospect, current customer, lost customer.
CustomerState = Literal["non_customer", "prospect", "current", "lost"]
# How a customer entered a state: first contact, first purchase, churned, bought again when lost.
StateTransition = Literal["first_contact", "first_purchase", "churned", "won_back"]
# The routed channels a retention programme can reach its customers on.
OutreachChannel = Literal["callback", "email", "chat"]


@registry.register
class CustomerScoredV1(Event):
    """Sent when a customer's scores change enough to matter (not on every tiny change)."""

    type = "scoring.customer_scored"
    version = 1
    topic = SCORING_SCORES

    customer_id: uuid.UUID
    tier: Tier | None = None
    clv: float | None = None
    churn_risk: float = Field(ge=0, le=1)
    rfm_segment: str | None = None
    lifecycle_stage: LifecycleStage | None = None
    scored_at: dt.datetime


@registry.register
class TierChangedV1(Event):
    """Sent when a customer moves to another tier of the value pyramid."""

    type = "scoring.tier_changed"
    version = 1
    topic = SCORING_SCORES

    customer_id: uuid.UUID
    previous_tier: Tier | None
    tier: Tier
    clv: float
    churn_risk: float = Field(ge=0, le=1)
    changed_at: dt.datetime


@registry.register
class ChurnRiskRaisedV1(Event):
    """Sent when a customer's churn risk crosses a configured threshold upwards."""

    type = "scoring.churn_risk_raised"
    version = 1
    topic = SCORING_SCORES

    customer_id: uuid.UUID
    previous_risk: float = Field(ge=0, le=1)
    churn_risk: float = Field(ge=0, le=1)
    threshold: float = Field(ge=0, le=1)
    tier: Tier | None = None
    reasons: list[str] = Field(default_factory=list)
    raised_at: dt.datetime


@registry.register
class CustomerStateChangedV1(Event):
    """Sent when events move a customer to another state: prospect, current, lost, won back."""

    type = "scoring.customer_state_changed"
    version = 1
    topic = SCORING_SCORES

    customer_id: uuid.UUID
    previous_state: CustomerState | None = Field(
        description="The state before; none for a customer scoring had not heard of."
    )
    state: CustomerState
    transition: StateTransition
    occurred_at: dt.datetime = Field(
        description="When it happened: the first contact or purchase, the last purchase plus "
        "the churn horizon for `churned`, the purchase that won the customer back."
    )
    causes: list[str] = Field(
        default_factory=list, description="For `churned`: the churn cause codes seen then."
    )


@registry.register
class OutreachRequestedV1(Event):
    """Sent for each customer a retention programme treats: contact them on this channel.

    Each request is carried out once per `request_id`, however often it is delivered.
    """

    type = "scoring.outreach_requested"
    version = 1
    topic = SCORING_PROGRAMMES

    request_id: uuid.UUID
    customer_id: uuid.UUID
    programme_id: uuid.UUID
    queue: str = Field(min_length=1, max_length=200, description="The queue's name.")
    channel: OutreachChannel
    summary: str = Field(max_length=500, description="What the contact is about.")
    due_at: dt.datetime = Field(description="When the contact should have been made by.")
