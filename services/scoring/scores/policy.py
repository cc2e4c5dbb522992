"""The settings scores depend on, as one value the pure score rules take."""

from __future__ import annotations

from dataclasses import dataclass

from services.scoring.settings import ScoringSettings


@dataclass(frozen=True)
class Policy:
    """The settings scores depend on."""

    clv_horizon_months: int = 12
    clv_monthly_discount_rate: float = 0.01
    clv_annual_discount_rate: float = 0.1
    churn_horizon_weeks: float = 39.0
    churn_risk_threshold: float = 0.7
    cost_per_handle_minute: float = 1.0


def policy_of(settings: ScoringSettings) -> Policy:
    """The score policy the settings describe."""
    return Policy(
        clv_horizon_months=settings.clv_horizon_months,
        clv_monthly_discount_rate=settings.clv_monthly_discount_rate,
        clv_annual_discount_rate=settings.clv_annual_discount_rate,
        churn_horizon_weeks=settings.churn_horizon_weeks,
        churn_risk_threshold=settings.churn_risk_threshold,
        cost_per_handle_minute=settings.cost_per_handle_minute,
    )
