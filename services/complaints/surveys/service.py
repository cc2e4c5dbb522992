"""Recording the complainant's satisfaction after a closure."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.changes import event_ids, save
from services.complaints.complaints.service import get_complaint
from services.complaints.errors import SurveyNotAllowedError
from services.complaints.models import SatisfactionSurvey
from services.complaints.surveys.schemas import SurveyCreate
from shared.contracts.complaints import SatisfactionSurveyedV1
from shared.inserts import try_insert


async def record_survey(
    session: AsyncSession,
    complaint_id: uuid.UUID,
    data: SurveyCreate,
    *,
    now: dt.datetime,
) -> SatisfactionSurvey:
    """Store the complainant's CSAT after closure and stage `satisfaction_surveyed`."""
    complaint = await get_complaint(session, complaint_id)
    if complaint.state not in ("closed_accepted", "closed_rejected"):
        raise SurveyNotAllowedError("A survey is taken after the complaint is closed.")
    survey = SatisfactionSurvey(
        complaint_id=complaint.id,
        closure=complaint.reopen_count,
        csat=data.csat,
        nps=data.nps,
        comment=data.comment,
        surveyed_at=now,
    )
    if not await try_insert(session, survey):
        raise SurveyNotAllowedError("This closure has been surveyed already.")
    audit.add_entry(
        session,
        complaint.id,
        actor="complainant",
        action="surveyed",
        at=now,
        details={"csat": data.csat, "nps": data.nps},
    )
    surveyed = SatisfactionSurveyedV1(
        **event_ids(complaint), csat=data.csat, nps=data.nps, comment=data.comment, surveyed_at=now
    )
    await save(session, [surveyed])
    return survey
