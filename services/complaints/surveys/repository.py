"""Queries of satisfaction surveys."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import Complaint, SatisfactionSurvey


async def surveys_of(
    session: AsyncSession, complaint_ids: Sequence[uuid.UUID]
) -> Sequence[SatisfactionSurvey]:
    """The satisfaction surveys of these complaints."""
    result = await session.scalars(
        select(SatisfactionSurvey).where(SatisfactionSurvey.complaint_id.in_(complaint_ids))
    )
    return result.all()


async def closed_between(
    session: AsyncSession, customer_id: uuid.UUID, start: dt.datetime, end: dt.datetime
) -> Sequence[Complaint]:
    """The customer's closed complaints whose closure falls in `[start, end]`."""
    result = await session.scalars(
        select(Complaint).where(
            Complaint.customer_id == customer_id,
            Complaint.state.in_(("closed_accepted", "closed_rejected")),
            Complaint.closed_at >= start,
            Complaint.closed_at <= end,
        )
    )
    return result.all()
