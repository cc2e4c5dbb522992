"""HTTP routes of satisfaction surveys."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.complaints.dependencies import INVALID, NOT_FOUND, Now
from services.complaints.surveys import service
from services.complaints.surveys.schemas import SurveyCreate, SurveyRead
from shared.api import Session, allow, problem

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


@router.post(
    "/{complaint_id}/survey",
    dependencies=allow("complaints:survey"),
    response_model=SurveyRead,
    status_code=201,
    summary="Record the complainant's satisfaction after closure",
    description="Publishes `complaints.satisfaction_surveyed`; one answer per closure.",
    responses={**NOT_FOUND, 409: problem("Not allowed in the complaint's state"), **INVALID},
)
async def survey(
    complaint_id: uuid.UUID, data: SurveyCreate, session: Session, now: Now
) -> SurveyRead:
    """Record the complainant's satisfaction after closure."""
    return SurveyRead.model_validate(
        await service.record_survey(session, complaint_id, data, now=now)
    )
