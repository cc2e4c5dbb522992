"""Staffing requests and answers."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.inputs import InputModel

Model = Literal["erlang_c", "erlang_a"]


class ErlangRequest(InputModel):
    """What a queue is offered and the target it must meet."""

    model_config = ConfigDict(extra="forbid")

    arrival_rate_per_hour: float = Field(gt=0, le=1_000_000)
    aht_seconds: float = Field(gt=0, le=86_400, description="Average handle time.")
    target_percent: float = Field(default=80.0, gt=0, lt=100)
    target_seconds: float = Field(default=20.0, ge=0, le=3600)
    patience_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86_400,
        description="Mean patience of waiting callers: given, Erlang A is used, else Erlang C.",
    )
    agents: int | None = Field(default=None, ge=1, le=5000, description="Also evaluate these.")


class ServiceRead(BaseModel):
    """What a number of agents gives."""

    agents: int
    service_level: float = Field(description="Share of callers answered within the target time.")
    asa_seconds: float | None = Field(description="Average speed of answer; null: unbounded.")
    occupancy: float
    probability_of_waiting: float
    abandonment: float = Field(description="Share of callers who give up (0 under Erlang C).")

    @field_validator("asa_seconds", mode="before")
    @classmethod
    def _unbounded(cls, value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else value


class ErlangAnswer(BaseModel):
    """The fewest agents that meet the target, with one fewer for comparison."""

    model: Model
    erlangs: float = Field(description="Offered load A = λ · AHT.")
    required: ServiceRead
    one_fewer: ServiceRead | None
    at_agents: ServiceRead | None = Field(description="The figures of the `agents` asked about.")


class MeasuredLoad(BaseModel):
    """What the queue was offered in the matching windows of past weeks."""

    dates: list[dt.date]
    hours: float
    offered: int
    handled: int
    abandoned: int
    arrival_rate_per_hour: float | None = Field(description="offered / hours.")
    aht_seconds: float | None = Field(description="(Σ talk + Σ after-call work) / handled.")
    patience_seconds: float | None = Field(
        description="Σ waits of answered and abandoned callers / abandoned (the exponential "
        "patience estimate, answered callers' waits being censored patience)."
    )


class QueueStaffing(ErlangAnswer):
    """How many agents a queue needs in a weekly window, from its measured load."""

    queue_id: uuid.UUID
    weekday: str
    window_from: str = Field(serialization_alias="from")
    window_to: str = Field(serialization_alias="to")
    measured: MeasuredLoad
    inputs: ErlangRequest = Field(description="What was computed with: measured unless given.")
