"""Gateway settings (env prefix `GATEWAY_`)."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    """Settings of the gateway."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/gateway.db"
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated API keys accepted in `X-API-Key` or `Authorization: Bearer`.",
    )
    contact_url: str = Field(
        default="http://127.0.0.1:8001", description="Contact service base URL."
    )
    complaints_url: str = Field(
        default="http://127.0.0.1:8002", description="Complaints service base URL."
    )
    scoring_url: str = Field(
        default="http://127.0.0.1:8003", description="Scoring service base URL."
    )
    upstream_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Total time allowed for an upstream answer."
    )
    upstream_connect_timeout_seconds: float = Field(
        default=2.0, gt=0, description="Time allowed to connect to an upstream."
    )
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, gt=0, description="Largest request body the gateway forwards."
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value
