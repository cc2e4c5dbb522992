"""HTTP routes of escalation: raising a complaint's level by hand."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from services.complaints.complaints.routes import answer
from services.complaints.complaints.schemas import ComplaintRead
from services.complaints.dependencies import ERRORS, Actor, Now, Settings, VersionIfSent
from services.complaints.escalation import service
from services.complaints.escalation.schemas import EscalationRequest
from shared.api import Session, allow

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


@router.post(
    "/{complaint_id}/escalations",
    dependencies=allow("complaints:escalate"),
    response_model=ComplaintRead,
    summary="Escalate a complaint one level",
    description="Level 1 notifies the team, 2 reassigns to the supervisor queue, 3+ raises.",
    responses=ERRORS,
)
async def escalate(
    complaint_id: uuid.UUID,
    data: EscalationRequest,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    version: VersionIfSent,
    actor: Actor,
) -> ComplaintRead:
    """Escalate a complaint one level."""
    complaint = await service.escalate_complaint(
        session,
        complaint_id,
        reason=data.reason,
        actor=actor,
        now=now,
        settings=settings,
        expected_version=version,
    )
    return answer(response, complaint)
