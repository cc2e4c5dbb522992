"""HTTP shapes of retention programmes, their members and their measured effect."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.scoring import LifecycleStage, OutreachChannel, Tier
from shared.inputs import InputModel

Group = Literal["treated", "control"]


class TargetSpec(InputModel):
    """Whom the programme is for, by the customers' last published scores."""

    model_config = ConfigDict(extra="forbid")

    tiers: list[Tier] = Field(default_factory=list, description="Any of these; empty: any.")
    lifecycle_stages: list[LifecycleStage] = Field(
        default_factory=list, description="Any of these; empty: any."
    )
    min_churn_risk: float | None = Field(default=None, ge=0, le=1)
    max_churn_risk: float | None = Field(default=None, ge=0, le=1)
    max_members: int | None = Field(
        default=None, ge=2, description="At most this many, drawn at random past it."
    )

    @model_validator(mode="after")
    def _ordered(self) -> TargetSpec:
        low, high = self.min_churn_risk, self.max_churn_risk
        if low is not None and high is not None and low > high:
            raise ValueError("min_churn_risk is above max_churn_risk")
        return self


class ProgrammeCreate(InputModel):
    """A retention programme's six steps: whom, goal, content, cost, channel and frequency,
    and how its effect is measured."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    goal: str = Field(min_length=1, max_length=500)
    content: str = Field(min_length=1, max_length=2000, description="What the contact offers.")
    target: TargetSpec
    cost_per_contact: Decimal = Field(ge=0, le=Decimal("1e9"), max_digits=12, decimal_places=2)
    channel: OutreachChannel = "callback"
    queue: str = Field(min_length=1, max_length=200, description="The contact queue's name.")
    contacts_per_member: int = Field(default=1, ge=1, le=12, description="Rounds of contact.")
    interval_days: int = Field(default=7, ge=1, le=365, description="Days between rounds.")
    due_within_hours: int = Field(
        default=48, ge=1, le=24 * 30, description="Each contact is due this long after its round."
    )
    control_share: float = Field(
        default=0.2, ge=0.05, le=0.95, description="Share of the target held out, untouched."
    )
    measurement_days: int = Field(
        default=30, ge=1, le=730, description="Days after launch in which a purchase counts."
    )
    seed: int | None = Field(
        default=None, ge=0, lt=2**62, description="Seed of the draw; drawn at launch if absent."
    )


class ProgrammeRead(BaseModel):
    """A programme, its state, and how many it treated and held out."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    goal: str
    content: str
    target: TargetSpec
    cost_per_contact: Decimal
    channel: str
    queue: str
    contacts_per_member: int
    interval_days: int
    due_within_hours: int
    control_share: float
    measurement_days: int
    seed: int | None
    state: Literal["draft", "launched"]
    created_at: dt.datetime
    launched_at: dt.datetime | None
    treated_count: int
    control_count: int
    rounds_sent: int
    last_round_at: dt.datetime | None
    contacts_requested: int = Field(description="Outreach requests sent so far.")


class ProgrammePage(BaseModel):
    """One page of programmes, newest first; pass `next_cursor` back for the next."""

    items: list[ProgrammeRead]
    next_cursor: str | None


class MemberRead(BaseModel):
    """A customer drawn into a programme, with their scores and net spend at the draw."""

    model_config = ConfigDict(from_attributes=True)

    customer_id: uuid.UUID
    group: Group
    drawn_at: dt.datetime
    baseline_spend: Decimal
    tier: str | None
    churn_risk: float | None


class MemberPage(BaseModel):
    """One page of a programme's members; pass `next_cursor` back for the next."""

    items: list[MemberRead]
    next_cursor: str | None


class GroupOutcomeRead(BaseModel):
    """One group in the measurement window."""

    members: int
    retained: int = Field(description="Members with an order in the window.")
    retention: float
    spend: Decimal = Field(description="Net spend (orders - refunds) of the group in the window.")
    mean_spend: float = Field(description="Net spend per member, non-buyers counted as 0.")


class IntervalRead(BaseModel):
    """An estimate (treated - control) and its confidence interval."""

    estimate: float
    low: float
    high: float
    method: str


class EffectRead(BaseModel):
    """Treated against control: retention and spend uplift, cost per retained customer."""

    programme_id: uuid.UUID
    window_start: dt.datetime
    window_end: dt.datetime
    complete: bool = Field(description="Whether the whole measurement window has passed.")
    confidence: float
    treated: GroupOutcomeRead
    control: GroupOutcomeRead
    retention_uplift: IntervalRead
    spend_uplift: IntervalRead | None = Field(description="None with under two per group.")
    contacts_requested: int
    total_cost: Decimal
    retained_by_programme: float = Field(description="Retention uplift x treated members.")
    cost_per_retained_customer: float | None = Field(
        description="Total cost / (retention uplift x treated); None unless the uplift is positive."
    )
