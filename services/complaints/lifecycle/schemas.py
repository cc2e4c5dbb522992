"""HTTP shapes of the lifecycle."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from services.complaints.complaints.schemas import Channel, LongText
from services.complaints.lifecycle.lifecycle import State
from shared.inputs import InputModel


class TransitionRequest(InputModel):
    """Move a complaint to another state of its lifecycle."""

    model_config = ConfigDict(extra="forbid")

    to: State
    reason: LongText | None = None
    decision_channel: Channel | None = Field(
        default=None, description="How the decision was communicated (required for that step)."
    )
    decision_summary: LongText | None = Field(
        default=None, description="What was decided (required to communicate the decision)."
    )
    resolution_reason: LongText | None = None
    recourse_offered: LongText | None = Field(
        default=None, description="Further recourse offered; required to close as rejected."
    )
