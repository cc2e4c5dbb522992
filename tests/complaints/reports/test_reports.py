"""Complaint handling figures over a period, on both databases."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.complaints.schemas import ComplaintUpdate
from services.complaints.complaints.service import update_complaint
from services.complaints.customers.service import record_contact
from services.complaints.models import Complaint
from services.complaints.reports.figures import percentiles
from services.complaints.reports.service import complaint_report
from services.complaints.settings import ComplaintsSettings
from services.complaints.surveys.schemas import SurveyCreate
from services.complaints.surveys.service import record_survey
from tests.complaints.helpers import TO_DECISION, close_accepted, cn, file, move, tick

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_percentiles_of_nothing_are_null() -> None:
    empty = percentiles([])
    assert (empty.count, empty.p50_hours, empty.p90_hours) == (0, None, None)


async def _accepted_with_survey(
    session: AsyncSession, settings: ComplaintsSettings, complaint: Complaint
) -> None:
    """c1: answered in a day, closed accepted, root cause the company's, surveyed 5."""
    await close_accepted(
        session, settings, complaint, acknowledged=cn(2026, 11, 2, 11), decided=cn(2026, 11, 3, 10)
    )
    await update_complaint(
        session,
        complaint.id,
        ComplaintUpdate(root_cause="company"),
        expected_version=None,
        actor="agent",
        now=cn(2026, 11, 3, 10),
        settings=settings,
    )
    await record_survey(session, complaint.id, SurveyCreate(csat=5), now=cn(2026, 11, 3, 11))
    await session.commit()


async def _rejected_then_reopened(
    session: AsyncSession, settings: ComplaintsSettings, complaint: Complaint
) -> None:
    """c2: investigated, closed rejected, then reopened and left open."""
    await move(session, settings, complaint, cn(2026, 11, 2, 13), "acknowledged", "assessed")
    steps = ("investigating", "response_proposed", "decision_communicated")
    await move(session, settings, complaint, cn(2026, 11, 4, 10), *steps)
    rejected = {"recourse_offered": "Arbitration."}
    await move(session, settings, complaint, cn(2026, 11, 4, 10), "closed_rejected", **rejected)
    await move(session, settings, complaint, cn(2026, 11, 4, 11), "reopened", reason="new evidence")


async def _rejected_the_same_hour(
    session: AsyncSession, settings: ComplaintsSettings, complaint: Complaint
) -> None:
    """c5: answered and closed rejected within the hour."""
    await move(session, settings, complaint, cn(2026, 11, 2, 11), *TO_DECISION)
    rejected = {"recourse_offered": "Labour inspectorate."}
    await move(session, settings, complaint, cn(2026, 11, 2, 11), "closed_rejected", **rejected)


async def _period_of_complaints(session: AsyncSession, settings: ComplaintsSettings) -> None:
    """Five complaints in November (two from one customer), one in December, nine contacts."""
    monday = cn(2026, 11, 2, 10)
    repeat_customer = uuid.uuid4()
    c1 = await file(session, settings, monday, customer_id=repeat_customer)
    c2 = await file(session, settings, monday, customer_id=repeat_customer, category="delivery")
    await file(session, settings, monday, category="service")  # never handled
    c4 = await file(session, settings, monday)
    c5 = await file(session, settings, monday, category="staff_conduct")
    await file(session, settings, cn(2026, 12, 5, 10))  # outside the period

    await _accepted_with_survey(session, settings, c1)
    await _rejected_then_reopened(session, settings, c2)
    await move(session, settings, c4, cn(2026, 11, 2, 10, 30), "withdrawn")
    await _rejected_the_same_hour(session, settings, c5)
    for n in range(9):
        when = START + dt.timedelta(days=n) if n < 8 else END + dt.timedelta(hours=1)
        await record_contact(
            session, call_event_id=uuid.uuid4(), customer_id=uuid.uuid4(), occurred_at=when
        )
    await session.commit()
    await tick(session, settings, cn(2026, 11, 30, 10))  # c3 misses everything


async def test_report_figures(session: AsyncSession, settings: ComplaintsSettings) -> None:
    await _period_of_complaints(session, settings)

    report = await complaint_report(session, start=START, end=END, now=END)

    assert report.complaints == 5
    assert report.by_category == {"billing": 2, "delivery": 1, "service": 1, "staff_conduct": 1}
    assert report.by_root_cause == {"company": 1, "unknown": 4}
    assert report.time_to_acknowledge.model_dump() == {
        "count": 3,
        "p50_hours": 1.0,
        "p90_hours": 2.6,
    }
    assert report.time_to_resolve.model_dump() == {
        "count": 2,
        "p50_hours": 12.5,
        "p90_hours": 21.7,
    }
    # c3 misses all three targets; c2, reopened and left open, misses its new resolution one.
    assert report.sla_compliance == {
        "acknowledgement": 0.75,
        "first_response": 0.75,
        "resolution": 0.5,
        "overall": 0.6667,
    }
    assert report.escalation_rate == 0.4
    assert report.reopen_rate == 0.25
    assert report.closed_with_acceptance == 0.5
    assert (report.repeat_complainants, report.repeat_complainant_share) == (1, 0.25)
    assert report.contacts == 8
    assert report.complaints_per_1000_contacts == 625.0
    assert report.average_csat == 5.0


async def test_empty_period_has_no_rates(session: AsyncSession) -> None:
    report = await complaint_report(session, start=START, end=END, now=END)

    assert report.complaints == 0
    assert report.escalation_rate is None
    assert report.sla_compliance["overall"] is None
    assert report.complaints_per_1000_contacts is None
