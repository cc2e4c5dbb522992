"""Follow-up policies and follow-ups as read and written through the API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contact.followups.levels import Level
from shared.inputs import InputModel

PolicyTier = Literal["gold", "silver", "bronze", "iron", "unscored"]
CustomerKind = Literal["consumer", "intermediary", "public_interest"]


class LevelRead(BaseModel):
    """A relationship level, its names and what it does."""

    level: Level
    name_zh: str
    name_en: str
    does: str


class PolicyWrite(InputModel):
    """The relationship level kept with one tier and kind of customer."""

    model_config = ConfigDict(extra="forbid")

    level: Level
    queue: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The routing queue of its call-back tasks; null for the default queue.",
    )
    csat_at_most: int = Field(
        default=2, ge=1, le=4, description="A CSAT at or below this is a low score."
    )


class PolicyRead(PolicyWrite):
    """A follow-up policy, with its level's Chinese and English names."""

    model_config = ConfigDict(from_attributes=True)

    tier: PolicyTier = Field(description="`unscored` for customers not tiered yet.")
    customer_kind: CustomerKind
    level_name_zh: str
    level_name_en: str
    updated_at: dt.datetime


class FollowUpRead(BaseModel):
    """A call-back task a policy created, and why."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    trigger: str
    level: Level
    reason: str
    queue_id: uuid.UUID
    work_item_id: uuid.UUID
    created_at: dt.datetime


class FollowUpPage(BaseModel):
    """A page of a customer's follow-ups, newest first."""

    items: list[FollowUpRead]
    next_cursor: str | None
