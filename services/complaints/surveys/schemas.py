"""HTTP shapes of satisfaction surveys."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.inputs import InputModel


class SurveyCreate(InputModel):
    """The complainant's satisfaction after closure."""

    model_config = ConfigDict(extra="forbid")

    csat: int = Field(ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    comment: Annotated[str, StringConstraints(max_length=4000)] | None = None


class SurveyRead(BaseModel):
    """A stored satisfaction survey."""

    model_config = ConfigDict(from_attributes=True)

    complaint_id: uuid.UUID
    closure: int
    csat: int
    nps: int | None
    comment: str | None
    surveyed_at: dt.datetime
