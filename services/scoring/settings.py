"""Scoring service settings (env prefix `SCORING_`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """Settings of the scoring service."""

    model_config = SettingsConfigDict(env_prefix="SCORING_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/scoring.db"
