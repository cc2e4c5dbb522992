"""SLA timers on business calendars, driven by a controlled clock, on both databases."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints import repository, service
from services.complaints.models import Complaint, ComplaintAudit
from services.complaints.schemas import ComplaintCreate, TransitionRequest
from services.complaints.settings import ComplaintsSettings
from shared.db import OutboxMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def cn(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(dt.UTC)


def ny(y: int, m: int, d: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=NEW_YORK).astimezone(dt.UTC)


async def file(
    session: AsyncSession, settings: ComplaintsSettings, now: dt.datetime, **overrides: Any
) -> Complaint:
    data: dict[str, Any] = {
        "customer_id": uuid.uuid4(),
        "channel": "phone",
        "category": "billing",
        "description": "Charged twice.",
        "severity": "medium",
    }
    data.update(overrides)
    complaint = await service.file_complaint(
        session, ComplaintCreate(**data), actor="agent", now=now, settings=settings
    )
    await session.commit()
    return complaint


async def move(
    session: AsyncSession,
    settings: ComplaintsSettings,
    complaint: Complaint,
    now: dt.datetime,
    *targets: str,
) -> Complaint:
    for target in targets:
        extra: dict[str, Any] = {}
        if target == "decision_communicated":
            extra = {"decision_channel": "email", "decision_summary": "Refunded."}
        complaint = await service.transition_complaint(
            session,
            complaint.id,
            TransitionRequest(to=target, **extra),  # type: ignore[arg-type]
            expected_version=None,
            actor="agent",
            now=now,
            settings=settings,
        )
    await session.commit()
    return complaint


async def tick(session: AsyncSession, settings: ComplaintsSettings, now: dt.datetime) -> int:
    handled = await service.process_due(session, now=now, limit=100, settings=settings)
    await session.commit()
    return handled


async def events(session: AsyncSession, complaint: Complaint, kind: str) -> list[dict[str, Any]]:
    payloads = (
        await session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.event_type == f"complaints.{kind}")
            .order_by(OutboxMessage.id)
        )
    ).all()
    data = [json.loads(p)["data"] for p in payloads]
    return [d for d in data if d["complaint_id"] == str(complaint.id)]


async def actions(session: AsyncSession, complaint: Complaint) -> list[str]:
    rows = await session.scalars(
        select(ComplaintAudit.action)
        .where(ComplaintAudit.complaint_id == complaint.id)
        .order_by(ComplaintAudit.id)
    )
    return list(rows.all())


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

    await tick(session, settings, cn(2026, 11, 2, 13, 30))
    await session.refresh(complaint)
    assert complaint.acknowledgement_breached_at is None

    await tick(session, settings, cn(2026, 11, 2, 14))
    await session.refresh(complaint)
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
    complaint = await move(
        session,
        settings,
        complaint,
        cn(2026, 11, 2, 10, 30),
        "acknowledged",
        "assessed",
        "investigating",
    )
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
    assert complaint.resolution_due_at == service.calendar_of(complaint).add_business(
        cn(2026, 11, 2, 10), dt.timedelta(hours=40 + 24)
    )
    await tick(session, settings, cn(2026, 11, 6, 18))
    await session.refresh(complaint)
    assert complaint.first_response_breached_at is None
    await tick(session, settings, cn(2026, 11, 9, 10))
    await session.refresh(complaint)
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
        "acknowledged",
        "assessed",
        "investigating",
        "waiting_on_third_party",
    )

    assert complaint.paused_at is None
    assert complaint.next_due_at is not None
    await tick(session, settings, cn(2026, 11, 4, 10))
    await session.refresh(complaint)
    assert complaint.first_response_breached_at == cn(2026, 11, 4, 10)


async def test_tier_and_churn_change_retargets_and_is_audited(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    closed = await file(session, settings, cn(2026, 11, 2, 10), customer_id=complaint.customer_id)
    await move(session, settings, closed, cn(2026, 11, 2, 10), "withdrawn")
    assert (complaint.priority, complaint.acknowledgement_due_at) == ("p4", cn(2026, 11, 3, 10))

    # Scoring says this is a gold customer at high risk: medium (2) + gold (3) + risk (2) → p2.
    await service.apply_customer_scores(
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


async def test_breaches_escalate_level_by_level(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(
        session, settings, cn(2026, 11, 2, 10), category="service", team="desk", assignee="li"
    )

    await tick(session, settings, complaint.acknowledgement_due_at)
    await session.refresh(complaint)
    assert (complaint.escalation_level, complaint.team, complaint.assignee) == (1, "desk", "li")

    await tick(session, settings, complaint.first_response_due_at)
    await session.refresh(complaint)
    assert (complaint.escalation_level, complaint.team, complaint.assignee) == (
        2,
        "supervisors",
        None,
    )

    assert complaint.resolution_due_at is not None
    await tick(session, settings, complaint.resolution_due_at + dt.timedelta(days=30))
    await session.refresh(complaint)
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


async def test_churn_risk_rise_escalates_open_complaints_only(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    customer = uuid.uuid4()
    first = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    second = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    done = await file(session, settings, cn(2026, 11, 2, 10), customer_id=customer)
    other = await file(session, settings, cn(2026, 11, 2, 10))
    await move(session, settings, done, cn(2026, 11, 2, 10), "withdrawn")

    escalated = await service.escalate_for_churn_risk(
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


async def test_due_scan_takes_only_due_rows_in_batches(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    due = [await file(session, settings, cn(2026, 11, 2, 10)) for _ in range(3)]
    later = await file(session, settings, cn(2026, 11, 2, 17))
    now = cn(2026, 11, 2, 17)  # the warnings of the 10:00 ones (6h) are due, not the 17:00 one

    first = await service.process_due(session, now=now, limit=2, settings=settings)
    await session.commit()
    second = await service.process_due(session, now=now, limit=2, settings=settings)
    await session.commit()
    third = await service.process_due(session, now=now, limit=2, settings=settings)

    assert (first, second, third) == (2, 1, 0)
    for complaint in [*due, later]:
        await session.refresh(complaint)
    assert all(c.acknowledgement_warned for c in due)
    assert not later.acknowledgement_warned


async def test_reopening_restarts_the_resolution_clock(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    complaint = await move(
        session,
        settings,
        complaint,
        cn(2026, 11, 2, 11),
        "acknowledged",
        "assessed",
        "response_proposed",
        "decision_communicated",
        "closed_accepted",
    )
    assert complaint.next_due_at is None

    complaint = await service.transition_complaint(
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
        rows = await repository.page_of_complaints(
            session, limit=10, after=None, customer_id=customer, sla=sla
        )
        return {c.id for c in rows}

    assert await ids("breached") == {late.id}
    assert await ids("at_risk") == {risky.id}
    assert fine.id not in await ids("at_risk")


async def test_the_audit_trail_is_append_only(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    entry = (
        await session.scalars(
            select(ComplaintAudit).where(ComplaintAudit.complaint_id == complaint.id)
        )
    ).one()

    entry.reason = "rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        await session.flush()
    await session.rollback()
    await session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        await session.flush()
