"""SLA deadlines on business calendars: weekends, holidays, shifts, pauses, reopening."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.lifecycle.schemas import TransitionRequest
from services.complaints.lifecycle.service import transition_complaint
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.deadlines import calendar_of
from tests.complaints.helpers import (
    TO_DECISION,
    TO_INVESTIGATION,
    actions,
    cn,
    events,
    file,
    move,
    ny,
    tick,
    tick_and_read,
)


async def test_weekend_is_skipped_and_warning_precedes_breach(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    # p4 billing: acknowledge within 8 business hours. Filed Friday 17:00 Shanghai time.
    complaint = await file(session, settings, cn(2026, 11, 6, 17))
    assert complaint.acknowledgement_due_at == cn(2026, 11, 9, 17)
    assert complaint.acknowledgement_warn_at == cn(2026, 11, 9, 15)  # 6h = 75% of 8h

    assert await tick(session, settings, cn(2026, 11, 8, 12)) == 0  # Sunday: nothing due
    assert await tick(session, settings, cn(2026, 11, 9, 15)) == 1
    await session.refresh(complaint)
    assert complaint.acknowledgement_warned
    assert complaint.acknowledgement_breached_at is None
    assert complaint.next_due_at == cn(2026, 11, 9, 17)

    assert await tick(session, settings, cn(2026, 11, 9, 17)) == 1
    await session.refresh(complaint)
    assert complaint.acknowledgement_breached_at == cn(2026, 11, 9, 17)
    assert complaint.escalation_level == 1
    breached = await events(session, complaint, "complaint_sla_breached")
    assert [(b["target"], b["due_at"]) for b in breached] == [
        ("acknowledgement", "2026-11-09T09:00:00Z")
    ]
    escalated = await events(session, complaint, "complaint_escalated")
    assert [(e["level"], e["action"]) for e in escalated] == [(1, "notify")]
    assert await actions(session, complaint) == [
        "filed",
        "sla_warning",
        "sla_breached",
        "escalated",
    ]


async def test_public_holidays_are_skipped_cn_and_us(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    golden_week = await file(session, settings, cn(2026, 9, 30, 17))
    thanksgiving = await file(session, settings, ny(2026, 11, 25, 16), calendar="us")

    # One hour before National Day, the rest after it (1-7 October are off).
    assert golden_week.acknowledgement_due_at == cn(2026, 10, 8, 17)
    # One hour on Wednesday, Thanksgiving Thursday off, seven hours on Friday.
    assert thanksgiving.acknowledgement_due_at == ny(2026, 11, 27, 16)
    assert await tick(session, settings, cn(2026, 10, 7, 23)) == 0


async def test_split_shift_lunch_break_does_not_count(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    # Critical severity → p2: acknowledge within 2 business hours; filed 11:00.
    complaint = await file(session, settings, cn(2026, 11, 2, 11), severity="critical")
    assert complaint.priority == "p2"
    assert complaint.acknowledgement_due_at == cn(2026, 11, 2, 14)

    complaint = await tick_and_read(session, settings, complaint, cn(2026, 11, 2, 13, 30))
    assert complaint.acknowledgement_breached_at is None

    complaint = await tick_and_read(session, settings, complaint, cn(2026, 11, 2, 14))
    assert complaint.acknowledgement_breached_at == cn(2026, 11, 2, 14)


async def test_met_targets_never_breach(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    complaint = await move(session, settings, complaint, cn(2026, 11, 2, 11), "acknowledged")

    await tick(session, settings, cn(2026, 11, 3, 10))  # the acknowledgement deadline
    await session.refresh(complaint)

    assert complaint.acknowledgement_breached_at is None
    assert complaint.escalation_level == 0
    assert await events(session, complaint, "complaint_sla_breached") == []
    # The next timer is the first response's warning: 12h of 16h after Monday 10:00.
    assert complaint.next_due_at == cn(2026, 11, 3, 15)


async def test_clock_pauses_while_waiting_on_the_customer(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    # First response within 16 business hours: Monday 7h, Tuesday 8h, Wednesday 1h.
    assert complaint.first_response_due_at == cn(2026, 11, 4, 10)
    complaint = await move(session, settings, complaint, cn(2026, 11, 2, 10, 30), *TO_INVESTIGATION)
    complaint = await move(session, settings, complaint, cn(2026, 11, 2, 11), "waiting_on_customer")
    assert complaint.paused_at == cn(2026, 11, 2, 11)
    assert complaint.next_due_at is None

    # Weeks pass without the customer answering: nothing is due while paused.
    assert await tick(session, settings, cn(2026, 11, 20, 12)) == 0

    # The customer answers Thursday 11:00: 24 business hours were paused.
    complaint = await move(session, settings, complaint, cn(2026, 11, 5, 11), "investigating")
    assert complaint.paused_at is None
    assert complaint.sla_paused_seconds == 24 * 3600
    assert complaint.first_response_due_at == cn(2026, 11, 9, 10)
    assert complaint.resolution_due_at == calendar_of(complaint).add_business(
        cn(2026, 11, 2, 10), dt.timedelta(hours=40 + 24)
    )
    complaint = await tick_and_read(session, settings, complaint, cn(2026, 11, 6, 18))
    assert complaint.first_response_breached_at is None
    complaint = await tick_and_read(session, settings, complaint, cn(2026, 11, 9, 10))
    assert complaint.first_response_breached_at == cn(2026, 11, 9, 10)


async def test_waiting_on_a_third_party_does_not_pause(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    complaint = await move(
        session,
        settings,
        complaint,
        cn(2026, 11, 2, 10, 30),
        *TO_INVESTIGATION,
        "waiting_on_third_party",
    )

    assert complaint.paused_at is None
    assert complaint.next_due_at is not None
    complaint = await tick_and_read(session, settings, complaint, cn(2026, 11, 4, 10))
    assert complaint.first_response_breached_at == cn(2026, 11, 4, 10)


async def test_reopening_restarts_the_resolution_clock(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    complaint = await move(
        session, settings, complaint, cn(2026, 11, 2, 11), *TO_DECISION, "closed_accepted"
    )
    assert complaint.next_due_at is None

    complaint = await transition_complaint(
        session,
        complaint.id,
        TransitionRequest(to="reopened", reason="the refund never arrived"),
        expected_version=None,
        actor="agent",
        now=cn(2026, 11, 9, 10),
        settings=settings,
    )
    await session.commit()

    assert complaint.sla_started_at == cn(2026, 11, 9, 10)
    # p4 billing resolution: 40 business hours from Monday 9 November 10:00.
    assert complaint.resolution_due_at == cn(2026, 11, 16, 10)
    assert complaint.acknowledgement_breached_at is None
    assert complaint.acknowledgement_due_at == cn(2026, 11, 3, 10)  # met: its deadline stays
    assert complaint.next_due_at == complaint.resolution_warn_at
