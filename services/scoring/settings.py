"""Scoring service settings (env prefix `SCORING_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """Settings of the scoring service."""

    model_config = SettingsConfigDict(env_prefix="SCORING_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/scoring.db"
    clv_horizon_months: int = Field(
        default=12, ge=1, le=120, description="Months of future purchases CLV counts."
    )
    clv_monthly_discount_rate: float = Field(
        default=0.01, ge=0, lt=1, description="Monthly discount rate of the CLV cash flows."
    )
    clv_annual_discount_rate: float = Field(
        default=0.1, ge=0, lt=1, description="Annual rate r of the textbook CLV = Σ R_i/(1+r)^i."
    )
    churn_horizon_weeks: float = Field(
        default=39.0, gt=0, description="Churn risk is about no purchase within this many weeks."
    )
    churn_risk_threshold: float = Field(
        default=0.7, gt=0, lt=1, description="Crossing it upwards publishes churn_risk_raised."
    )
    tier_gold_share: float = Field(default=0.01, gt=0, lt=1, description="Top share that is gold.")
    tier_silver_share: float = Field(
        default=0.19, gt=0, lt=1, description="Next share after gold that is silver."
    )
    tier_bronze_share: float = Field(
        default=0.30, gt=0, lt=1, description="Next share after silver that is bronze."
    )
    score_clv_delta: float = Field(
        default=0.1, ge=0, description="Relative CLV change that republishes customer_scored."
    )
    score_risk_delta: float = Field(
        default=0.05, ge=0, description="Churn-risk change that republishes customer_scored."
    )
    cost_per_handle_minute: float = Field(
        default=1.0,
        ge=0,
        description="Cost to serve per minute of call handle time (ABC profit, CLV).",
    )
    refit_interval_seconds: float = Field(
        default=86400.0, ge=0, description="Seconds between scheduled refits; 0 turns them off."
    )
    refit_min_customers: int = Field(
        default=20, ge=2, description="Fewest customers with purchases a refit accepts."
    )
    max_batch_transactions: int = Field(
        default=10000, ge=1, description="Most transactions one POST /v1/transactions accepts."
    )
