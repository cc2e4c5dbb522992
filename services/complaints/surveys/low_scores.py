"""A low post-contact survey score after a complaint's closure, recorded on the complaint.

The contact service publishes every answered survey (`contact.survey_completed`). When one
scores low — CSAT at most 2 of 5, or perceived quality below the expected — within
`low_score_window_days` of a closure, the complaint gets an audit entry and its
`low_score_after_closure_at` flag. It is not reopened: reopening is the complainant's or an
agent's decision, and the flag is what lets a supervisor find the complaints to look at again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.changes import SYSTEM, save
from services.complaints.customers.service import resolve_customer
from services.complaints.models import Complaint
from services.complaints.surveys import repository

# A CSAT at or below this (of 5) is a low score.
LOW_CSAT = 2


def is_low(csat: int | None, quality: str | None) -> bool:
    """True for a CSAT of at most `LOW_CSAT`, or a perceived quality below expectation."""
    return (csat is not None and csat <= LOW_CSAT) or quality == "unacceptable"


async def record_low_score(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    survey_id: uuid.UUID,
    csat: int | None,
    quality: str | None,
    answered_at: dt.datetime,
    window_days: int,
) -> list[Complaint]:
    """Flag the customer's complaints closed in the window before a low answer; those flagged."""
    if not is_low(csat, quality):
        return []
    customer = await resolve_customer(session, customer_id)
    start = answered_at - dt.timedelta(days=window_days)
    flagged = list(await repository.closed_between(session, customer, start, answered_at))
    for complaint in flagged:
        complaint.low_score_after_closure_at = answered_at
        audit.add_entry(
            session,
            complaint.id,
            actor=SYSTEM,
            action="low_score_after_closure",
            at=answered_at,
            reason="a post-contact survey scored low after the closure",
            details={"survey_id": str(survey_id), "csat": csat, "quality": quality},
        )
    await save(session)
    return flagged
