"""Re-targeting a complaint's SLAs when what its priority depends on changes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.audit.details import change, jsonable
from services.complaints.models import Complaint
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.deadlines import reschedule
from services.complaints.sla.policy import TARGETS
from services.complaints.sla.priority import compute_priority


def _due_times(complaint: Complaint) -> dict[str, object]:
    return {t: jsonable(getattr(complaint, f"{t}_due_at")) for t in TARGETS}


def retarget(
    session: AsyncSession,
    complaint: Complaint,
    *,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
    reason: str,
) -> bool:
    """Recompute the priority and pending deadlines; audit it if they moved (True then)."""
    old_priority, old_due = complaint.priority, _due_times(complaint)
    complaint.priority = compute_priority(complaint.severity, complaint.tier, complaint.churn_risk)
    reschedule(complaint, warn_fraction=settings.sla_warning_fraction)
    new_due = _due_times(complaint)
    if old_priority == complaint.priority and old_due == new_due:
        return False
    complaint.updated_at = now
    audit.add_entry(
        session,
        complaint.id,
        actor=actor,
        action="sla_retargeted",
        at=now,
        reason=reason,
        details={
            "priority": change(old_priority, complaint.priority),
            "due_at": change(old_due, new_due),
        },
    )
    return True
