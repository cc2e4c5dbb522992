"""Complaint handling figures over a period (ISO 10002 monitoring)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import Complaint, ComplaintAudit, ContactSeen, SatisfactionSurvey
from services.complaints.schemas import ComplaintReport, Percentiles
from services.complaints.service import met_at
from services.complaints.sla import TARGETS

_CLOSED_WITH_ANSWER = ("closed_accepted", "closed_rejected")


def percentiles(durations: Sequence[dt.timedelta]) -> Percentiles:
    """p50 and p90 of durations, in hours."""
    if not durations:
        return Percentiles(count=0, p50_hours=None, p90_hours=None)
    hours = np.array([d.total_seconds() / 3600 for d in durations])
    p50, p90 = np.percentile(hours, [50, 90])
    return Percentiles(
        count=len(hours), p50_hours=round(float(p50), 3), p90_hours=round(float(p90), 3)
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def complaint_report(
    session: AsyncSession, *, start: dt.datetime, end: dt.datetime
) -> ComplaintReport:
    """Figures for the complaints received in `[start, end)`."""
    complaints = (
        await session.scalars(
            select(Complaint).where(Complaint.received_at >= start, Complaint.received_at < end)
        )
    ).all()
    ever_reopened = await _ever_reopened(session, start, end)
    per_customer = Counter(c.customer_id for c in complaints)
    repeaters = sum(1 for n in per_customer.values() if n > 1)
    closed = [c for c in complaints if c.closed_at is not None or c.id in ever_reopened]
    answered = [c for c in complaints if c.state in _CLOSED_WITH_ANSWER]
    contacts = int(
        await session.scalar(
            select(func.count())
            .select_from(ContactSeen)
            .where(ContactSeen.occurred_at >= start, ContactSeen.occurred_at < end)
        )
        or 0
    )
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
        sla_compliance=_sla_compliance(complaints),
        escalation_rate=_ratio(
            sum(1 for c in complaints if c.escalation_level > 0), len(complaints)
        ),
        reopen_rate=_ratio(len(ever_reopened), len(closed)),
        closed_with_acceptance=_ratio(
            sum(1 for c in answered if c.state == "closed_accepted"), len(answered)
        ),
        repeat_complainants=repeaters,
        repeat_complainant_share=_ratio(repeaters, len(per_customer)),
        contacts=contacts,
        complaints_per_1000_contacts=(
            round(len(complaints) * 1000 / contacts, 3) if contacts else None
        ),
        average_csat=await _average_csat(session, start, end),
    )


def _sla_compliance(complaints: Sequence[Complaint]) -> dict[str, float | None]:
    """Per target: share met on time among those met or breached; `overall` pools them."""
    out: dict[str, float | None] = {}
    total_ok = total = 0
    for target in TARGETS:
        breached = sum(1 for c in complaints if getattr(c, f"{target}_breached_at") is not None)
        met = sum(
            1
            for c in complaints
            if getattr(c, f"{target}_breached_at") is None and met_at(c, target) is not None
        )
        out[target] = _ratio(met, met + breached)
        total_ok += met
        total += met + breached
    out["overall"] = _ratio(total_ok, total)
    return out


def _in_window(start: dt.datetime, end: dt.datetime) -> Select[uuid.UUID]:
    return select(Complaint.id).where(Complaint.received_at >= start, Complaint.received_at < end)


async def _ever_reopened(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(ComplaintAudit.complaint_id)
        .where(
            ComplaintAudit.complaint_id.in_(_in_window(start, end)),
            ComplaintAudit.to_state == "reopened",
        )
        .distinct()
    )
    return set(rows.all())


async def _average_csat(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> float | None:
    value = await session.scalar(
        select(func.avg(SatisfactionSurvey.csat)).where(
            SatisfactionSurvey.complaint_id.in_(_in_window(start, end))
        )
    )
    return None if value is None else round(float(value), 3)
