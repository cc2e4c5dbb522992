"""What scoring says about a customer re-targets and escalates their open complaints."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.customers.service import apply_customer_scores, escalate_for_churn_risk
from services.complaints.models import ComplaintAudit
from services.complaints.settings import ComplaintsSettings
from tests.complaints.helpers import cn, events, file, move, tick


async def test_tier_and_churn_change_retargets_and_is_audited(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    closed = await file(session, settings, cn(2026, 11, 2, 10), customer_id=complaint.customer_id)
    await move(session, settings, closed, cn(2026, 11, 2, 10), "withdrawn")
    assert (complaint.priority, complaint.acknowledgement_due_at) == ("p4", cn(2026, 11, 3, 10))

    # Scoring says this is a gold customer at high risk: medium (2) + gold (3) + risk (2) → p2.
    await apply_customer_scores(
        session,
        customer_id=complaint.customer_id,
        tier="gold",
        churn_risk=0.8,
        now=cn(2026, 11, 2, 13),
        settings=settings,
        reason="tier changed from silver to gold",
    )
    await session.commit()
    await session.refresh(complaint)
    await session.refresh(closed)

    assert complaint.priority == "p2"
    assert complaint.acknowledgement_due_at == cn(2026, 11, 2, 12)  # 2h from 10:00
    assert closed.priority == "p4"  # closed complaints keep what they had
    audit = (
        await session.scalars(
            select(ComplaintAudit).where(
                ComplaintAudit.complaint_id == complaint.id,
                ComplaintAudit.action == "sla_retargeted",
            )
        )
    ).one()
    assert audit.reason == "tier changed from silver to gold"
    assert audit.details["priority"] == {"from": "p4", "to": "p2"}
    assert audit.details["due_at"]["to"]["acknowledgement"] == "2026-11-02T04:00:00+00:00"

    # The tighter deadline has already passed: the next timer run breaches it.
    assert await tick(session, settings, cn(2026, 11, 2, 13)) == 1
    await session.refresh(complaint)
    assert complaint.acknowledgement_breached_at == cn(2026, 11, 2, 13)


async def test_churn_risk_rise_escalates_open_complaints_only(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    customer = uuid.uuid4()
    first = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    second = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    done = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    other = await file(session, settings, cn(2026, 11, 2, 10))
    await move(session, settings, done, cn(2026, 11, 2, 10), "withdrawn")

    escalated = await escalate_for_churn_risk(
        session,
        customer_id=customer,
        churn_risk=0.85,
        tier="silver",
        now=cn(2026, 11, 2, 11),
        settings=settings,
    )
    await session.commit()

    assert {c.id for c in escalated} == {first.id, second.id}
    for complaint in (first, second, done, other):
        await session.refresh(complaint)
    assert (first.escalation_level, second.escalation_level) == (1, 1)
    assert (done.escalation_level, other.escalation_level) == (0, 0)
    assert first.priority == "p2"  # medium (2) + silver (2) + risk over 0.7 (2) = 6
    reasons = [e["reason"] for e in await events(session, first, "complaint_escalated")]
    assert reasons == ["churn risk rose to 0.85"]
