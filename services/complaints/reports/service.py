"""Complaint handling figures over a period (ISO 10002 monitoring)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.reports import repository
from services.complaints.reports.figures import percentiles, ratio, sla_compliance
from services.complaints.reports.schemas import ComplaintReport
from shared.errors import UnprocessableError

_CLOSED_WITH_ANSWER = ("closed_accepted", "closed_rejected")


# The period of a report without one.
DEFAULT_PERIOD = dt.timedelta(days=30)


async def complaint_report(
    session: AsyncSession,
    *,
    start: dt.datetime | None,
    end: dt.datetime | None,
    now: dt.datetime,
) -> ComplaintReport:
    """Figures for the complaints received in `[start, end)`, by default the 30 days to now."""
    end = _aware(end, "end") or now
    start = _aware(start, "start") or end - DEFAULT_PERIOD
    if start >= end:
        raise UnprocessableError("`start` must be before `end`.")
    complaints = await repository.complaints_received(session, start, end)
    ever_reopened = await repository.ever_reopened(session, start, end)
    per_customer = Counter(c.customer_id for c in complaints)
    repeaters = sum(1 for n in per_customer.values() if n > 1)
    closed = [c for c in complaints if c.closed_at is not None or c.id in ever_reopened]
    answered = [c for c in complaints if c.state in _CLOSED_WITH_ANSWER]
    contacts = await repository.contacts_seen(session, start, end)
    csat = await repository.average_csat(session, start, end)
    return ComplaintReport(
        start=start,
        end=end,
        complaints=len(complaints),
        by_category=dict(Counter(c.category for c in complaints)),
        by_root_cause=dict(Counter(c.root_cause for c in complaints)),
        time_to_acknowledge=percentiles(
            [c.acknowledged_at - c.received_at for c in complaints if c.acknowledged_at]
        ),
        time_to_resolve=percentiles(
            [
                c.decision_communicated_at - c.received_at
                for c in complaints
                if c.decision_communicated_at
            ]
        ),
        sla_compliance=sla_compliance(complaints),
        escalation_rate=ratio(
            sum(1 for c in complaints if c.escalation_level > 0), len(complaints)
        ),
        reopen_rate=ratio(len(ever_reopened), len(closed)),
        closed_with_acceptance=ratio(
            sum(1 for c in answered if c.state == "closed_accepted"), len(answered)
        ),
        repeat_complainants=repeaters,
        repeat_complainant_share=ratio(repeaters, len(per_customer)),
        contacts=contacts,
        complaints_per_1000_contacts=(
            round(len(complaints) * 1000 / contacts, 3) if contacts else None
        ),
        average_csat=None if csat is None else round(csat, 3),
    )


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise UnprocessableError(f"`{name}` needs a time zone.", extra={"field": name})
    return value
