"""HTTP shapes of a customer's scores and score history."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from services.scoring.scores.causes import CauseCategory, CauseSide, label
from shared.contracts.scoring import LifecycleStage, Tier
from shared.inputs import InputModel


class ContactActivity(BaseModel):
    """How often and when the customer has been in contact."""

    count: int = Field(description="Distinct calls and contacts seen for the customer.")
    call_events: int = Field(description="Call-progress events seen, all calls together.")
    first_contact_at: dt.datetime | None
    last_contact_at: dt.datetime | None
    by_channel: dict[str, int] = Field(default_factory=dict)


class PurchaseActivity(BaseModel):
    """Purchase statistics and the BG/NBD inputs derived from them (weeks)."""

    orders: int
    refunds: int
    gross_spend: Decimal
    refunded: Decimal
    net_spend: Decimal
    purchase_days: int = Field(description="Distinct UTC days with an order.")
    first_purchase_at: dt.datetime | None
    last_purchase_at: dt.datetime | None
    x: int = Field(description="Repeat purchase days (purchase days after the first).")
    t_x_weeks: float = Field(description="Weeks from the first to the last purchase day.")
    T_weeks: float = Field(description="Weeks from the first purchase day to today.")
    recency_days: int | None = Field(description="Days since the last purchase day.")
    mean_repeat_spend: float = Field(description="Mean net spend per repeat purchase day.")


class ComplaintActivity(BaseModel):
    """Complaints and satisfaction answers of the customer."""

    total: int
    open: int
    escalations: int
    by_root_cause: dict[str, int]
    last_complaint_at: dt.datetime | None
    last_csat: int | None
    last_nps: int | None


class ReasonRead(BaseModel):
    """One thing that drove a score, with the churn-cause side and category of its code."""

    code: str
    detail: str
    contribution: float

    @computed_field(description="Whose side the cause is on: company, customer or unknown.")
    def side(self) -> CauseSide:
        """The side of the cause (unknown for value reasons)."""
        return label(self.code).side

    @computed_field(description="The churn-cause category of the code.")
    def category(self) -> CauseCategory:
        """The category of the cause (unknown for value reasons)."""
        return label(self.code).category


class ValueRead(BaseModel):
    """Model-based value: CLV, the pyramid tier, and what they come from."""

    clv: float = Field(description="Discounted expected spend over the horizon (monthly DCF).")
    clv_textbook: float = Field(
        description="Σ R_i/(1+r)^i, R_i = expected spend - cost to serve in year i."
    )
    horizon_months: int
    expected_purchases: float = Field(description="Expected repeat purchases over churn horizon.")
    p_alive: float
    expected_spend_per_purchase: float
    tier: Tier
    tier_thresholds: dict[str, float]
    reasons: list[ReasonRead]


class RfmRead(BaseModel):
    """RFM scores 1-5 against the population at the last refit, and the named segment."""

    recency: int
    frequency: int
    monetary: int
    score: str = Field(description="The three digits, R then F then M.")
    segment: str
    edges: dict[str, list[float]]


class ChurnRead(BaseModel):
    """Risk 0-1 of no purchase over the horizon, with the signals that drove it."""

    risk: float
    horizon_weeks: float
    threshold: float
    p_no_purchase: float | None
    reasons: list[ReasonRead]


class LifecycleRead(BaseModel):
    """Relationship stage and the rule that chose it."""

    stage: LifecycleStage
    rule: str


class ModelRef(BaseModel):
    """Which fit the scores come from."""

    fit_id: int
    fitted_at: dt.datetime


class CustomerScoreRead(BaseModel):
    """A customer's current scores with the statistics they come from."""

    customer_id: uuid.UUID
    contacts: ContactActivity
    purchases: PurchaseActivity
    complaints: ComplaintActivity
    model: ModelRef | None
    value: ValueRead | None
    rfm: RfmRead | None
    churn: ChurnRead
    lifecycle: LifecycleRead
    computed_at: dt.datetime


class HistoryEntry(BaseModel):
    """Scores as published at one time."""

    model_config = ConfigDict(from_attributes=True)

    scored_at: dt.datetime
    tier: Tier | None
    clv: float | None
    churn_risk: float
    rfm_segment: str | None
    lifecycle_stage: LifecycleStage | None
    cause: str


class ScoreHistoryRead(BaseModel):
    """Published scores of a customer, newest first."""

    customer_id: uuid.UUID
    entries: list[HistoryEntry]


class CustomerLoyaltyRead(BaseModel):
    """A customer's loyalty measures: repeat purchase, share of wallet, price tolerance, NPS."""

    repeat_purchase_days: int = Field(description="Purchase days after the first.")
    repeat_buyer: bool = Field(description="Bought on two days or more.")
    spend_last_year: float = Field(description="Net spend of the last 365 days.")
    declared_wallet: float | None = Field(description="Declared annual spend on what we sell.")
    share_of_wallet: float | None = Field(description="spend_last_year ÷ declared_wallet.")
    price_tolerance: float | None = Field(
        description="1 - discount ÷ (amount paid + discount) over the customer's orders."
    )
    last_nps: int | None = Field(description="Latest NPS answer, from complaint surveys.")
    nps_class: Literal["promoter", "passive", "detractor"] | None


class WalletDeclare(InputModel):
    """What the customer spends a year on what we sell, with us and elsewhere."""

    model_config = ConfigDict(extra="forbid")

    annual_wallet: Decimal | None = Field(
        ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2, description="None forgets it."
    )
