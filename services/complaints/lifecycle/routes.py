"""HTTP routes of the lifecycle: moving a complaint to another state."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from services.complaints.complaints.routes import answer
from services.complaints.complaints.schemas import ComplaintRead
from services.complaints.dependencies import ERRORS, Actor, Now, Settings, VersionIfSent
from services.complaints.lifecycle import service
from services.complaints.lifecycle.schemas import TransitionRequest
from shared.api import Session, allow

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


@router.post(
    "/{complaint_id}/transitions",
    dependencies=allow("complaints:transition"),
    response_model=ComplaintRead,
    summary="Move a complaint along its lifecycle",
    description=(
        "A forbidden step is a 409 problem whose `allowed` lists the states reachable from "
        "the current one. `If-Match` is checked when sent."
    ),
    responses=ERRORS,
)
async def transition(
    complaint_id: uuid.UUID,
    data: TransitionRequest,
    session: Session,
    response: Response,
    settings: Settings,
    now: Now,
    version: VersionIfSent,
    actor: Actor,
) -> ComplaintRead:
    """Move a complaint along its lifecycle."""
    complaint = await service.transition_complaint(
        session,
        complaint_id,
        data,
        expected_version=version,
        actor=actor,
        now=now,
        settings=settings,
    )
    return answer(response, complaint)
