"""Complaints service settings (env prefix `COMPLAINTS_`)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    """Settings of the complaints service."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/complaints.db"
