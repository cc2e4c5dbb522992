"""Settings common to every service; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base settings; a subclass sets `model_config` with its `<SERVICE>_` env prefix."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./var/service.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    migrate_on_start: bool = Field(
        default=True,
        description="Apply migrations at start (embedded mode); when false, run `make migrate`.",
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Comma-separated Kafka bootstrap servers."
    )
    kafka_topic_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._\-]*$",
        description="Put before every topic name, so environments can share one cluster.",
    )
    kafka_topic_partitions: int = Field(
        default=3, ge=1, description="Partitions for topics this service creates."
    )
    relay_poll_interval_seconds: float = Field(
        default=0.5, gt=0, description="How often the outbox relay looks for rows when idle."
    )
    relay_max_backoff_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait between relay attempts while the broker is down.",
    )
    relay_republish_window_seconds: float = Field(
        default=86400.0,
        ge=0,
        description=(
            "Outbox rows published this recently are sent again when the broker lost its log "
            "(an in-memory broker restarted, topics recreated); consumers drop what they had."
        ),
    )
    kafka_session_timeout_ms: int = Field(
        default=10000,
        ge=1000,
        description="Consumer group session timeout; a new member waits about half of it to join.",
    )
    consumer_max_attempts: int = Field(
        default=5,
        ge=1,
        description="Tries for a failing message before it goes to the dead-letter topic.",
    )
    outbox_retention_days: int = Field(
        default=7,
        ge=0,
        description=(
            "Days a published outbox row (an event already on Kafka) is kept; 0 keeps it. "
            "At least the relay's republish window."
        ),
    )
    inbox_retention_days: int = Field(
        default=30,
        ge=0,
        description=(
            "Days a processed-event row (a consumer's dedup record) is kept; 0 keeps it. Keep it "
            "above the topics' retention: an older event delivered again would be applied again."
        ),
    )
    retention_interval_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="Seconds between runs of the retention job (deletes rows past their time).",
    )
    log_level: str = Field(default="INFO", description="Log level.")
    log_json: bool = Field(default=True, description="JSON logs (true) or console logs (false).")
    tracing_exporter: Literal["none", "console", "otlp"] = Field(
        default="none",
        description=(
            "Where finished trace spans go: `none` (trace ids still reach logs and events), "
            "`console`, or `otlp` (needs the `otlp` extra)."
        ),
    )
    tracing_otlp_endpoint: str = Field(
        default="",
        description="OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces.",
    )
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024,
        gt=0,
        description="Largest request body the service reads; a larger one is refused (413).",
    )
    internal_token_secret: str = Field(
        default="",
        validation_alias="RAPPORT_INTERNAL_TOKEN_SECRET",
        description=(
            "Secret shared by the gateway and the services to sign and verify the caller's "
            "identity (`RAPPORT_INTERNAL_TOKEN_SECRET`, the same for every service). Without "
            "it a service refuses every API request. At least 32 characters."
        ),
    )

    @model_validator(mode="after")
    def _outbox_kept_for_republishing(self) -> ServiceSettings:
        # A broker that lost its log gets the rows published within the window again: the
        # retention job must not have deleted them.
        kept = self.outbox_retention_days * 86400
        if kept and kept < self.relay_republish_window_seconds:
            raise ValueError(
                "outbox_retention_days must cover relay_republish_window_seconds "
                "(published rows within the window are sent again after a broker loss)"
            )
        return self

    @field_validator("internal_token_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("use at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value


def env_var(cls: type[BaseSettings], name: str) -> str:
    """The environment variable that sets field `name` of settings class `cls`."""
    alias = cls.model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


def env_value(value: object) -> str:
    """How a setting's value is written in the environment (`.env.example`, the README)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(
            f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in value.items()
        )
    return "" if value is None else str(value)
