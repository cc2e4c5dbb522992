"""A complaint's SLA deadlines: when each target is due, time paused, the next timer.

These functions change the complaint object only; they write no other rows.
"""

from __future__ import annotations

import datetime as dt

from services.complaints.lifecycle.lifecycle import CLOSED
from services.complaints.models import Complaint
from services.complaints.sla.calendar import BUILTIN_CALENDARS, BusinessCalendar
from services.complaints.sla.policy import TARGETS, Target, policy_for, schedule

# The column of the record that marks each SLA target as met.
MET_AT: dict[Target, str] = {
    "acknowledgement": "acknowledged_at",
    "first_response": "responded_at",
    "resolution": "decision_communicated_at",
}


def calendar_of(complaint: Complaint) -> BusinessCalendar:
    """The business calendar a complaint's SLAs are measured on."""
    return BUILTIN_CALENDARS[complaint.calendar]


def met_at(complaint: Complaint, target: Target) -> dt.datetime | None:
    """When a target was met, if it was."""
    value: dt.datetime | None = getattr(complaint, MET_AT[target])
    return value


def is_pending(complaint: Complaint, target: Target) -> bool:
    """True while a target is neither met nor breached."""
    breached = getattr(complaint, f"{target}_breached_at") is not None
    return met_at(complaint, target) is None and not breached


def reschedule(complaint: Complaint, *, warn_fraction: float) -> None:
    """Recompute the pending targets' warning and due times from the policy and the clock.

    A target already met or breached keeps the deadline it was measured against.
    """
    targets = policy_for(complaint.priority, complaint.category)  # type: ignore[arg-type]
    deadlines = schedule(
        targets,
        calendar_of(complaint),
        started_at=complaint.sla_started_at,
        paused=dt.timedelta(seconds=complaint.sla_paused_seconds),
        warn_fraction=warn_fraction,
    )
    for target, deadline in deadlines.items():
        if is_pending(complaint, target):
            setattr(complaint, f"{target}_warn_at", deadline.warn_at)
            setattr(complaint, f"{target}_due_at", deadline.due_at)
    refresh_next_due(complaint)


def refresh_next_due(complaint: Complaint) -> None:
    """Set `next_due_at` to the earliest pending warning or deadline (NULL if none)."""
    complaint.next_due_at = None
    if complaint.state in CLOSED or complaint.paused_at is not None:
        return
    pending: list[dt.datetime] = []
    for target in TARGETS:
        if not is_pending(complaint, target):
            continue
        due = getattr(complaint, f"{target}_due_at")
        if due is not None:
            pending.append(due)
        warn = getattr(complaint, f"{target}_warn_at")
        if warn is not None and not getattr(complaint, f"{target}_warned"):
            pending.append(warn)
    complaint.next_due_at = min(pending) if pending else None


def resume(complaint: Complaint, now: dt.datetime, *, warn_fraction: float) -> None:
    """Add the business time spent waiting on the customer to the allowance, then re-plan."""
    if complaint.paused_at is None:
        return
    paused = calendar_of(complaint).business_between(complaint.paused_at, now)
    complaint.sla_paused_seconds += paused.total_seconds()
    complaint.paused_at = None
    reschedule(complaint, warn_fraction=warn_fraction)


def restart(complaint: Complaint, now: dt.datetime, *, warn_fraction: float) -> None:
    """Start the resolution clock again from `now` (a reopening owes a new decision)."""
    complaint.sla_started_at = now
    complaint.sla_paused_seconds = 0.0
    complaint.resolution_warned = False
    complaint.resolution_breached_at = None
    reschedule(complaint, warn_fraction=warn_fraction)
