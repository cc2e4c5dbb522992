"""Survey requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.contact import QualityClass, SurveyQuestion
from shared.inputs import InputModel


def _csat_only() -> list[SurveyQuestion]:
    return ["csat"]


class SurveySend(InputModel):
    """A survey sent after one contact: a call (`call_id`) or another contact (`contact_id`)."""

    model_config = ConfigDict(extra="forbid")

    call_id: uuid.UUID | None = Field(default=None, description="The contact service's call id.")
    contact_id: uuid.UUID | None = Field(
        default=None, description="An e-mail, chat, web-form or SMS contact."
    )
    questions: list[SurveyQuestion] = Field(
        default_factory=_csat_only,
        min_length=1,
        max_length=3,
        description="`csat` (1-5), `nps` (0-10), `quality` (expected Q0 and perceived Q1, 1-5).",
    )
    via: Literal["ivr", "sms", "email", "web"] = Field(
        description="How the survey reaches the customer."
    )

    @model_validator(mode="after")
    def _one_contact(self) -> SurveySend:
        if (self.call_id is None) == (self.contact_id is None):
            raise ValueError("give exactly one of `call_id` and `contact_id`")
        if len(set(self.questions)) != len(self.questions):
            raise ValueError("each question once")
        return self


class SurveyAnswer(InputModel):
    """The customer's answer, as an IVR or SMS adapter received it: the questions asked only."""

    model_config = ConfigDict(extra="forbid")

    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    expected_quality: int | None = Field(default=None, ge=1, le=5, description="Q0.")
    perceived_quality: int | None = Field(default=None, ge=1, le=5, description="Q1.")
    comment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _both_qualities(self) -> SurveyAnswer:
        if (self.expected_quality is None) != (self.perceived_quality is None):
            raise ValueError("give both `expected_quality` and `perceived_quality`, or neither")
        return self


class SurveyRead(BaseModel):
    """A survey, and its answer once given."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    customer_id: uuid.UUID
    call_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    channel: str
    questions: list[SurveyQuestion]
    via: str
    state: Literal["sent", "answered"]
    sent_at: dt.datetime
    answered_at: dt.datetime | None
    csat: int | None
    nps: int | None
    expected_quality: int | None
    perceived_quality: int | None
    quality: QualityClass | None = Field(description="Q1 against Q0, when quality was asked.")
    comment: str | None


class SurveyPage(BaseModel):
    """A page of a customer's surveys, newest first."""

    items: list[SurveyRead]
    next_cursor: str | None
