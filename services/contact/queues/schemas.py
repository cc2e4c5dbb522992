"""Queue requests and answers."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator

from shared.inputs import InputModel

Skill = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_.-]+$")]
Weekday = Annotated[str, Field(pattern=r"^(mon|tue|wed|thu|fri|sat|sun)$")]
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class QueueFields(InputModel):
    """What a queue is configured with."""

    model_config = ConfigDict(extra="forbid")

    required_skills: dict[Skill, Annotated[int, Field(ge=1, le=5)]] = Field(
        default_factory=dict, description="Skill and the least proficiency an agent needs."
    )
    priority: int = Field(default=0, ge=0, le=10, description="Higher goes first across queues.")
    service_level_percent: float = Field(default=80.0, gt=0, le=100)
    service_level_seconds: int = Field(default=20, gt=0, le=3600)
    timezone: str = Field(default="UTC", max_length=60)
    opening_hours: dict[Weekday, Annotated[list[str], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict,
        description='Weekday and its ["HH:MM", "HH:MM"] opening; empty means always open.',
    )
    holiday_country: str | None = Field(default=None, min_length=2, max_length=2)
    overflow_queue_id: uuid.UUID | None = None
    overflow_after_seconds: int | None = Field(default=None, gt=0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, (opens, closes) in value.items():
            if not (_HH_MM.match(opens) and _HH_MM.match(closes)) or opens >= closes:
                raise ValueError(f"{day}: give an opening before the closing, as HH:MM")
        return value


class QueueCreate(QueueFields):
    """A new queue."""

    name: str = Field(min_length=1, max_length=200, description="Also the Twilio queue name.")


class QueueUpdate(InputModel):
    """Changes to a queue; fields left out stay."""

    model_config = ConfigDict(extra="forbid")

    required_skills: dict[Skill, Annotated[int, Field(ge=1, le=5)]] | None = None
    priority: int | None = Field(default=None, ge=0, le=10)
    service_level_percent: float | None = Field(default=None, gt=0, le=100)
    service_level_seconds: int | None = Field(default=None, gt=0, le=3600)
    overflow_queue_id: uuid.UUID | None = None
    overflow_after_seconds: int | None = Field(default=None, gt=0)


class QueueRead(QueueCreate):
    """A queue."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: dt.datetime
