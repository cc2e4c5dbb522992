"""Raising a complaint's escalation level: by hand, on an SLA breach, on churn risk."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.audit.details import change
from services.complaints.changes import event_ids, save
from services.complaints.complaints.service import get_complaint
from services.complaints.errors import ComplaintClosedError
from services.complaints.lifecycle.lifecycle import CLOSED
from services.complaints.models import Complaint
from services.complaints.settings import ComplaintsSettings
from shared.contracts.complaints import ComplaintEscalatedV1

# Escalation level → what it does; levels past the last keep raising visibility only.
_LEVEL_ACTIONS = {1: "notify", 2: "supervisor_queue"}


async def escalate_complaint(
    session: AsyncSession,
    complaint_id: uuid.UUID,
    *,
    reason: str,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
    expected_version: int | None = None,
) -> Complaint:
    """Raise a complaint's escalation level by one, by hand."""
    complaint = await get_complaint(session, complaint_id, expected_version=expected_version)
    if complaint.state in CLOSED:
        raise ComplaintClosedError(complaint.state)
    event = raise_level(session, complaint, reason=reason, actor=actor, now=now, settings=settings)
    await save(session, [event])
    return complaint


def raise_level(
    session: AsyncSession,
    complaint: Complaint,
    *,
    reason: str,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> ComplaintEscalatedV1:
    """One level up, audited (1 notifies, 2 reassigns to supervisors, 3+ raises); its event."""
    complaint.escalation_level += 1
    level = complaint.escalation_level
    action: Any = _LEVEL_ACTIONS.get(level, "raise")
    details: dict[str, Any] = {"level": level, "action": action}
    if action == "supervisor_queue":
        details["reassigned"] = change(
            {"team": complaint.team, "assignee": complaint.assignee},
            {"team": settings.supervisor_queue, "assignee": None},
        )
        complaint.team = settings.supervisor_queue
        complaint.assignee = None
    complaint.updated_at = now
    audit.add_entry(
        session,
        complaint.id,
        actor=actor,
        action="escalated",
        at=now,
        reason=reason,
        details=details,
    )
    return ComplaintEscalatedV1(
        **event_ids(complaint),
        level=level,
        reason=reason,
        escalated_at=now,
        action=action,
        team=complaint.team,
    )
