"""HTTP shapes of escalation."""

from __future__ import annotations

from pydantic import ConfigDict

from services.complaints.complaints.schemas import LongText
from shared.inputs import InputModel


class EscalationRequest(InputModel):
    """Raise a complaint's escalation level by one."""

    model_config = ConfigDict(extra="forbid")

    reason: LongText
