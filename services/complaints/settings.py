"""Complaints service settings (env prefix `COMPLAINTS_`)."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from shared.settings import ServiceSettings

DEFAULT_CATEGORIES = [
    "product_defect",
    "service",
    "billing",
    "staff_conduct",
    "delivery",
    "broken_promise",
    "other",
]


class ComplaintsSettings(ServiceSettings):
    """Settings of the complaints service."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./var/complaints.db"
    categories: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_CATEGORIES),
        description="Comma-separated complaint categories accepted on filing.",
    )
    default_calendar: str = Field(
        default="cn",
        description="Business calendar of complaints filed without one (`cn` or `us`).",
    )
    reopen_window_days: int = Field(
        default=30, ge=0, description="Days after closing during which a complaint can reopen."
    )
    sla_warning_fraction: float = Field(
        default=0.75,
        gt=0,
        lt=1,
        description="Share of an SLA target's business time after which a warning is raised.",
    )
    sla_scan_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often the SLA timer looks for due complaints."
    )
    sla_scan_batch_size: int = Field(
        default=500, ge=1, description="Due complaints handled per timer transaction."
    )
    supervisor_queue: str = Field(
        default="supervisors",
        min_length=1,
        description="Team that escalated complaints are reassigned to at level 2.",
    )
    low_score_window_days: int = Field(
        default=14,
        ge=0,
        description="Days after a closure in which a low post-contact survey score is recorded "
        "on the complaint.",
    )

    @field_validator("categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        if isinstance(value, str):
            return [c.strip() for c in value.split(",") if c.strip()]
        return value

    @field_validator("categories")
    @classmethod
    def _some_categories(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one category is needed")
        return value

    @field_validator("default_calendar")
    @classmethod
    def _known_calendar(cls, value: str) -> str:
        # Imported here: the calendar module pulls in `holidays`, which settings users may not need.
        from services.complaints.sla.calendar import BUILTIN_CALENDARS

        if value not in BUILTIN_CALENDARS:
            raise ValueError(f"unknown calendar; known: {', '.join(sorted(BUILTIN_CALENDARS))}")
        return value
