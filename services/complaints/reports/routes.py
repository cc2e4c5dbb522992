"""HTTP routes of the reports."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from services.complaints.dependencies import INVALID, Now
from services.complaints.reports.schemas import ComplaintReport
from services.complaints.reports.service import complaint_report
from shared.api import Session, allow

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])


@router.get(
    "/reports/summary",
    dependencies=allow("complaints:report"),
    response_model=ComplaintReport,
    summary="Complaint handling figures for a period",
    description=(
        "For complaints received in `[start, end)` (default: the 30 days up to now): volume "
        "by category and root cause, time to acknowledge and resolve (p50/p90), SLA "
        "compliance, escalation, reopen and acceptance rates, repeat complainants, "
        "complaints per 1,000 contacts and average CSAT."
    ),
    responses=INVALID,
)
async def report(
    session: Session,
    now: Now,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> ComplaintReport:
    """Complaint handling figures for a period."""
    return await complaint_report(session, start=start, end=end, now=now)
