"""The SLA timer: breaches escalate, due rows are scanned in batches, risk can be listed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.complaints.repository import page_of_complaints
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.timers import process_due
from tests.complaints.helpers import cn, events, file, move, tick, tick_and_read


async def test_breaches_escalate_level_by_level(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(
        session, settings, cn(2026, 11, 2, 10), category="service", team="desk", assignee="li"
    )

    assert complaint.acknowledgement_due_at is not None
    complaint = await tick_and_read(session, settings, complaint, complaint.acknowledgement_due_at)
    assert (complaint.escalation_level, complaint.team, complaint.assignee) == (1, "desk", "li")

    assert complaint.first_response_due_at is not None
    complaint = await tick_and_read(session, settings, complaint, complaint.first_response_due_at)
    assert (complaint.escalation_level, complaint.team, complaint.assignee) == (
        2,
        "supervisors",
        None,
    )

    assert complaint.resolution_due_at is not None
    complaint = await tick_and_read(
        session, settings, complaint, complaint.resolution_due_at + dt.timedelta(days=30)
    )
    assert complaint.escalation_level == 3
    assert complaint.next_due_at is None  # every target breached: nothing left to time
    escalated = await events(session, complaint, "complaint_escalated")
    assert [(e["level"], e["action"], e["team"]) for e in escalated] == [
        (1, "notify", "desk"),
        (2, "supervisor_queue", "supervisors"),
        (3, "raise", "supervisors"),
    ]
    breached = await events(session, complaint, "complaint_sla_breached")
    assert [b["target"] for b in breached] == ["acknowledgement", "first_response", "resolution"]
    assert complaint.state == "received"


async def test_due_scan_takes_only_due_rows_in_batches(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    due = [await file(session, settings, cn(2026, 11, 2, 10)) for _ in range(3)]
    later = await file(session, settings, cn(2026, 11, 2, 17))
    now = cn(2026, 11, 2, 17)  # the warnings of the 10:00 ones (6h) are due, not the 17:00 one

    first = await process_due(session, now=now, limit=2, settings=settings)
    await session.commit()
    second = await process_due(session, now=now, limit=2, settings=settings)
    await session.commit()
    third = await process_due(session, now=now, limit=2, settings=settings)

    assert (first, second, third) == (2, 1, 0)
    for complaint in [*due, later]:
        await session.refresh(complaint)
    assert all(c.acknowledgement_warned for c in due)
    assert not later.acknowledgement_warned


async def test_supervisors_can_list_at_risk_and_breached_complaints(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    customer = uuid.uuid4()
    late = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    risky = await file(session, settings, cn(2026, 11, 2, 12), customer_id=customer)
    fine = await file(session, settings, cn(2026, 11, 2, 17), customer_id=customer)
    handled = await file(session, settings, cn(2026, 11, 2, 12), customer_id=customer)
    await move(session, settings, handled, cn(2026, 11, 2, 13), "acknowledged")
    # 10:00 + 8h → Tue 10:00 breached; 12:00 + 6h → Tue 10:00 warned (due Tue 12:00).
    await tick(session, settings, cn(2026, 11, 3, 10))

    async def ids(sla: str) -> set[uuid.UUID]:
        rows = await page_of_complaints(
            session, cursor=None, limit=10, customer_id=customer, sla=sla
        )
        return {c.id for c in rows}

    assert await ids("breached") == {late.id}
    assert await ids("at_risk") == {risky.id}
    assert fine.id not in await ids("at_risk")
