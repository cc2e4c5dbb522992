"""Contact service settings (env prefix `CONTACT_`)."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import ServiceSettings


class ContactSettings(ServiceSettings):
    """Settings of the contact service."""

    model_config = SettingsConfigDict(env_prefix="CONTACT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/contact.db"
    call_payload_retention_days: int = Field(
        default=90,
        ge=0,
        description=(
            "Days after a call ends that its raw provider events keep the caller's number, "
            "notes, recording link and keyed-in digits (the call's record keeps its parties); "
            "also how long the call-event API's stored events keep their numbers. 0 keeps them."
        ),
    )
    default_region: str = Field(
        default="US",
        min_length=2,
        max_length=2,
        description="ISO 3166 region used to read phone numbers written without a country code.",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base URL providers call (the gateway's public address); signatures cover it.",
    )
    twilio_auth_tokens: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Twilio auth tokens (current first, then the rotating one).",
    )
    twilio_max_event_age_seconds: int = Field(
        default=3600,
        ge=1,
        description="Status callbacks whose signed Timestamp is older than this are refused.",
    )
    twilio_default_queue: str = Field(
        default="support", min_length=1, description="Queue a caller is put into by default."
    )
    twilio_priority_queue: str = Field(
        default="priority", min_length=1, description="Queue for callers of the priority tiers."
    )
    priority_tiers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["gold"],
        description="Comma-separated value tiers whose callers go to the priority queue.",
    )
    at_risk_churn_threshold: float = Field(
        default=0.7,
        gt=0,
        lt=1,
        description="Waiting callers at or above this churn risk go first within their tier.",
    )
    connect_api_key_header: str = Field(
        default="x-connect-api-key",
        min_length=1,
        description="Header of the Amazon Connect API destination's API-key connection.",
    )
    connect_api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated API keys accepted from Amazon Connect (EventBridge).",
    )
    connect_max_event_age_seconds: int = Field(
        default=90000,
        ge=60,
        description="Amazon Connect events whose envelope time is older than this are refused.",
    )
    webhook_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Standard Webhooks secrets (`whsec_...`) of PBX adapters.",
    )

    @field_validator(
        "twilio_auth_tokens", "priority_tiers", "connect_api_keys", "webhook_secrets", mode="before"
    )
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    routing_tier_points: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=lambda: {"gold": 30.0, "silver": 20.0, "bronze": 10.0, "iron": 0.0},
        description="Priority points per value tier, as `gold=30,silver=20,bronze=10,iron=0`.",
    )
    routing_churn_risk_points: float = Field(
        default=5.0,
        ge=0,
        description="Priority points for a customer at or above the at-risk churn threshold.",
    )
    routing_queue_priority_weight: float = Field(
        default=10.0, ge=0, description="Priority points per unit of the queue's own priority."
    )
    routing_offer_timeout_seconds: float = Field(
        default=20.0, gt=0, description="An offer not answered within this goes back to the line."
    )
    routing_wrap_up_seconds: float = Field(
        default=30.0, ge=0, description="After-call work an agent gets when a contact ends."
    )
    routing_preferred_agent_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How long a contact waits for its customer's last agent before anyone else.",
    )
    routing_expansion_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Every this many seconds of waiting, required proficiency drops a level.",
    )
    routing_interval_seconds: float = Field(
        default=0.25, gt=0, description="How often the router looks at the lines when idle."
    )
    routing_default_queue: str = Field(
        default="support",
        min_length=1,
        description="Queue a contact enters when it names none, or one that does not exist.",
    )
    twilio_account_sid: str = Field(
        default="", description="Twilio account whose REST API connects accepted calls."
    )
    twilio_api_base_url: str = Field(
        default="https://api.twilio.com",
        description="Base URL of Twilio's REST API (a local stand-in in tests).",
    )
    pbx_connect_url: str = Field(
        default="",
        description="URL of the PBX adapter told to connect accepted calls (Standard Webhooks).",
    )
    pbx_connect_secret: str = Field(
        default="", description="Standard Webhooks secret (`whsec_…`) signing those requests."
    )

    @field_validator("routing_tier_points", mode="before")
    @classmethod
    def _parse_points(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
            return {k.strip(): float(v) for k, v in pairs}
        return value

    kpi_short_abandon_seconds: float = Field(
        default=5.0,
        ge=0,
        description="A caller who hangs up within this many seconds of queueing abandoned short.",
    )
    kpi_first_contact_days: float = Field(
        default=7.0,
        gt=0,
        description="A contact is resolved at first contact if no repeat on its reason follows "
        "within this many days.",
    )
    call_settle_seconds: float = Field(
        default=2.0,
        ge=0,
        description="A provider call, or an Amazon Connect chat or e-mail contact, publishes "
        "its events once no event of it has arrived for this long, from all its events in the "
        "provider's order; 0 publishes at once, in arrival order.",
    )
    call_final_status_seconds: float = Field(
        default=60.0,
        ge=0,
        description="A Twilio call that has ended (the caller hung up in the queue, the agent "
        "leg ended) but whose final status, with its duration, has not come publishes once it "
        "has waited this long after its last event, without the duration.",
    )
    kpi_rollup_interval_seconds: float = Field(
        default=60.0, gt=0, description="How often finished 15-minute KPI intervals are stored."
    )
    kpi_settle_seconds: float = Field(
        default=300.0,
        ge=0,
        description="An interval is stored this long after it ends (late provider events).",
    )
