"""HTTP shapes of escalation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from services.complaints.complaints.schemas import LongText


class EscalationRequest(BaseModel):
    """Raise a complaint's escalation level by one."""

    model_config = ConfigDict(extra="forbid")

    reason: LongText
