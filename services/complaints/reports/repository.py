"""Queries of the reports: what happened to complaints received in a period."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import Complaint, ComplaintAudit, ContactSeen, SatisfactionSurvey


def _in_window(start: dt.datetime, end: dt.datetime) -> Select[uuid.UUID]:
    return select(Complaint.id).where(Complaint.received_at >= start, Complaint.received_at < end)


async def complaints_received(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> Sequence[Complaint]:
    """Complaints received in `[start, end)`."""
    result = await session.scalars(
        select(Complaint).where(Complaint.received_at >= start, Complaint.received_at < end)
    )
    return result.all()


async def ever_reopened(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> set[uuid.UUID]:
    """Ids of the period's complaints that were reopened at least once."""
    rows = await session.scalars(
        select(ComplaintAudit.complaint_id)
        .where(
            ComplaintAudit.complaint_id.in_(_in_window(start, end)),
            ComplaintAudit.to_state == "reopened",
        )
        .distinct()
    )
    return set(rows.all())


async def contacts_seen(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> int:
    """Contacts seen in `[start, end)`."""
    count = await session.scalar(
        select(func.count())
        .select_from(ContactSeen)
        .where(ContactSeen.occurred_at >= start, ContactSeen.occurred_at < end)
    )
    return int(count or 0)


async def average_csat(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> float | None:
    """The average CSAT of the period's complaints, if any was surveyed."""
    value = await session.scalar(
        select(func.avg(SatisfactionSurvey.csat)).where(
            SatisfactionSurvey.complaint_id.in_(_in_window(start, end))
        )
    )
    return None if value is None else float(value)
