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
        description=(
            "Comma-separated bootstrap keys, accepted in `X-API-Key` or `Authorization: Bearer` "
            "with the roles of `GATEWAY_BOOTSTRAP_KEY_ROLES`. For a first start and the embedded "
            "default; in production issue named keys (`python -m tools.keys`) and leave it empty."
        ),
    )
    bootstrap_key_roles: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["admin", "service"],
        description="Comma-separated roles a bootstrap key holds.",
    )
    oidc_issuer: str = Field(
        default="", description="Issuer (`iss`) of people's bearer tokens; empty: no OIDC."
    )
    oidc_jwks_url: str = Field(default="", description="The issuer's JWKS URL.")
    oidc_jwks_refresh_cooldown_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Least time between two JWKS fetches caused by an unknown key id.",
    )
    oidc_audience: str = Field(default="rapport", description="Required `aud` of bearer tokens.")
    oidc_algorithms: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["RS256", "ES256"],
        description="Comma-separated signature algorithms accepted (asymmetric only).",
    )
    oidc_roles_claim: str = Field(
        default="roles",
        description="Claim holding the roles (a dotted path, e.g. `realm_access.roles`).",
    )
    oidc_agent_claim: str = Field(default="agent_id", description="Claim holding the agent id.")
    oidc_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock skew allowed on `exp`, `nbf` and `iat`."
    )
    dev_issuer_enabled: bool = Field(
        default=False,
        description=(
            "Serve a local development OIDC issuer at `/dev-issuer` with built-in users (agent, "
            "agent2, supervisor, admin) and trust it. Never in production."
        ),
    )
    dev_issuer_key_file: str = Field(
        default="", description="Where the development issuer keeps its RSA key (empty: memory)."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The gateway's own base URL, as callers see it.",
    )
    rate_limit_per_ip: str = Field(
        default="6000/minute", description="Requests allowed per client IP (`limits` notation)."
    )
    rate_limit_per_principal: str = Field(
        default="6000/minute", description="Requests allowed per API key or signed-in person."
    )
    rate_limit_failed_auth_per_ip: str = Field(
        default="30/minute",
        description="Failed authentications per client IP before every request from it is 429.",
    )
    max_header_bytes: int = Field(
        default=16 * 1024, gt=0, description="Largest total size of request headers (431 above)."
    )
    credential_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        le=300,
        description=(
            "How long a verified API key or bearer token is reused without verifying it again "
            "(never past its expiry or revocation; see GATEWAY_KEY_REVOCATION_POLL_SECONDS). "
            "0: verify every request."
        ),
    )
    key_revocation_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description=(
            "How often each replica reads the list of revoked API keys: a key revoked on "
            "another replica or with `tools.keys` stops here within this time."
        ),
    )
    read_retries: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Retries of an idempotent read whose upstream failed to connect.",
    )
    breaker_failures: int = Field(
        default=5, ge=1, description="Consecutive upstream failures that open its circuit."
    )
    breaker_open_seconds: float = Field(
        default=10.0, gt=0, description="How long an open circuit answers 503 before a probe."
    )
    customer360_deadline_seconds: float = Field(
        default=1.5,
        gt=0,
        le=10,
        description="How long the customer 360 waits for its parts before answering partial.",
    )
    stream_replay_events: int = Field(
        default=10_000,
        ge=100,
        description="Events the live stream keeps so a reconnect with Last-Event-ID can resume.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed by CORS (the agent desktop's origin).",
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

    @field_validator(
        "api_keys", "bootstrap_key_roles", "oidc_algorithms", "cors_origins", mode="before"
    )
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        refused = [a for a in value if a.lower() == "none" or a.upper().startswith("HS")]
        if refused:
            raise ValueError(f"not accepted for bearer tokens: {', '.join(refused)}")
        return value
