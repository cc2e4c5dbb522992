"""HTTP shapes of the population views."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class RiskBandRead(BaseModel):
    """Customers whose churn risk lies in [low, high)."""

    low: float
    high: float
    customers: int


class DistributionRead(BaseModel):
    """How customers spread over tiers, RFM segments and lifecycle stages, at read time."""

    customers: int
    buyers: int
    tiers: dict[str, int]
    segments: dict[str, int]
    lifecycle_stages: dict[str, int]
    risk_bands: list[RiskBandRead] = Field(
        description="Customers per tenth of churn risk, the last band including 1."
    )
    fit_id: int | None
    computed_at: dt.datetime


class EquityRead(BaseModel):
    """Customer equity: the sum of every customer's CLV."""

    customers: int
    equity: float
    equity_textbook: float
    average_clv: float
    by_tier: dict[str, float]
    horizon_months: int
    fit_id: int
    computed_at: dt.datetime


class ChurnRateRead(BaseModel):
    """Population churn over the horizon and the average lifetime it implies."""

    buyers: int
    horizon_weeks: float
    churn_rate: float = Field(description="Mean probability of no purchase over the horizon.")
    average_lifetime_weeks: float | None = Field(description="horizon / churn rate.")
    at_risk: int = Field(description="Customers with churn risk at or above the threshold.")
    threshold: float
    expected_inactive: float = Field(description="Sum of (1 - P(alive)) over buyers.")
    fit_id: int
    computed_at: dt.datetime


class AbcClassRead(BaseModel):
    """Customers, revenue, cost to serve and profit of one ABC class."""

    customers: int
    revenue: float
    cost_to_serve: float
    profit: float
    profit_share: float | None = Field(description="The class's profit ÷ everyone's profit.")


class ParetoRead(BaseModel):
    """The 80/20/30 view: profit of the top 20 % of customers and of the bottom 30 %."""

    top_customers: int = Field(description="The top 20 % of customers by profit (rounded).")
    top_profit: float
    top_profit_share: float | None = Field(
        description="Their share of total profit; above 1 when the bottom loses money."
    )
    bottom_customers: int = Field(description="The bottom 30 % of customers by profit.")
    bottom_profit: float
    bottom_profit_share: float | None
    unprofitable_customers: int = Field(description="Customers whose profit is below zero.")


class AbcRead(BaseModel):
    """ABC analysis by profit (revenue - cost to serve) of every customer who ordered."""

    customers: int
    revenue: float = Field(description="Net revenue to date: orders minus refunds.")
    cost_to_serve: float = Field(description="Call handle minutes x cost per minute.")
    profit: float
    cost_per_handle_minute: float
    classes: dict[str, AbcClassRead] = Field(
        description="A: top customers making 80 % of positive profit; B: up to 95 %; C: the rest."
    )
    pareto: ParetoRead
    computed_at: dt.datetime


class RateRead(BaseModel):
    """Lost ÷ active and the average lifetime it implies."""

    active: int = Field(description="Customer-months: current customers when a month began.")
    lost: int = Field(description="Of those, customers who churned within the month.")
    churn_rate: float | None = Field(description="lost ÷ active, per month.")
    average_lifetime_months: float | None = Field(description="1 ÷ churn rate.")


class MonthRead(BaseModel):
    """Churn counted in one calendar month (UTC)."""

    month: str
    total: RateRead
    by_tier: dict[str, RateRead]


class CountedChurnRead(BaseModel):
    """Churn counted from customer states over whole months, and churned customers by cause."""

    months: list[MonthRead]
    total: RateRead
    by_tier: dict[str, RateRead] = Field(description="By the tier when the customer's spell began.")
    by_cause: dict[str, int] = Field(description="Churned customers per cause code.")
    by_side: dict[str, int] = Field(description="Per side: company, customer, unknown.")
    by_category: dict[str, int]


class ChurnRead(BaseModel):
    """Churn counted (lost ÷ active) beside the model's expected churn, each named for itself."""

    counted: CountedChurnRead
    model_based: ChurnRateRead | None = Field(
        description="Mean model probability of no purchase over the horizon; none before a fit."
    )
    computed_at: dt.datetime


class GroupLoyaltyRead(BaseModel):
    """Loyalty measures of a group of customers."""

    customers: int
    buyers: int
    repeat_purchase_rate: float | None = Field(description="Buyers with 2+ purchase days ÷ buyers.")
    with_wallet: int = Field(description="Customers with a declared wallet.")
    share_of_wallet: float | None = Field(description="Mean of last-365-day spend ÷ wallet.")
    price_tolerance: float | None = Field(description="Mean of 1 - discount ÷ list value.")
    nps_answers: int
    nps: float | None = Field(description="% promoters (9-10) - % detractors (0-6).")


class LoyaltyRead(BaseModel):
    """Loyalty measures of everyone and per tier (the tier last published)."""

    everyone: GroupLoyaltyRead
    by_tier: dict[str, GroupLoyaltyRead]
    recommendation_source: str = Field(description="Where the NPS answers come from.")
    computed_at: dt.datetime
