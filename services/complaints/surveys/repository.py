"""Queries of satisfaction surveys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import SatisfactionSurvey


async def surveys_of(
    session: AsyncSession, complaint_ids: Sequence[uuid.UUID]
) -> Sequence[SatisfactionSurvey]:
    """The satisfaction surveys of these complaints."""
    result = await session.scalars(
        select(SatisfactionSurvey).where(SatisfactionSurvey.complaint_id.in_(complaint_ids))
    )
    return result.all()
