"""Contact service settings (env prefix `CONTACT_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ContactSettings(ServiceSettings):
    """Settings of the contact service."""

    model_config = SettingsConfigDict(env_prefix="CONTACT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/contact.db"
    default_region: str = Field(
        default="US",
        min_length=2,
        max_length=2,
        description="ISO 3166 region used to read phone numbers written without a country code.",
    )
