"""HTTP shapes of the population views."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class DistributionRead(BaseModel):
    """How customers spread over tiers, RFM segments and lifecycle stages, at read time."""

    customers: int
    buyers: int
    tiers: dict[str, int]
    segments: dict[str, int]
    lifecycle_stages: dict[str, int]
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
