"""Moving a complaint along its lifecycle: checks, timestamps, outcome and events of a step."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.changes import event_ids, save
from services.complaints.complaints.etag import check_version
from services.complaints.complaints.service import get_complaint
from services.complaints.errors import (
    FieldRequiredError,
    ReopenWindowExpiredError,
    TransitionNotAllowedError,
)
from services.complaints.lifecycle.lifecycle import CLOSED, PAUSED, State, allowed_from, is_allowed
from services.complaints.lifecycle.schemas import TransitionRequest
from services.complaints.models import Complaint
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla import deadlines
from shared.contracts import complaints as complaint_events
from shared.events import Event

_OUTCOMES: dict[str, Any] = {
    "closed_accepted": "accepted",
    "closed_rejected": "rejected",
    "withdrawn": "withdrawn",
}


async def transition_complaint(
    session: AsyncSession,
    complaint_id: uuid.UUID,
    request: TransitionRequest,
    *,
    expected_version: int | None,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> Complaint:
    """Move a complaint one step along its lifecycle, or raise listing the allowed steps.

    A step to the state the complaint is in (no step leads from a state to itself) is a
    replay of the step that got it there: the complaint is answered unchanged.
    """
    complaint = await get_complaint(session, complaint_id)
    source: State = complaint.state  # type: ignore[assignment]
    target = request.to
    if target == source:
        return complaint
    check_version(complaint, expected_version)
    if not is_allowed(source, target):
        raise TransitionNotAllowedError(source, target, allowed_from(source))
    _check_required_fields(complaint, request, settings=settings, now=now)
    warn_fraction = settings.sla_warning_fraction
    if source in PAUSED:
        deadlines.resume(complaint, now, warn_fraction=warn_fraction)
    complaint.state = target
    complaint.updated_at = now
    events = _enter(complaint, request, now=now, warn_fraction=warn_fraction)
    if target in PAUSED:
        complaint.paused_at = now
    deadlines.refresh_next_due(complaint)
    audit.add_entry(
        session,
        complaint.id,
        actor=actor,
        action="transition",
        at=now,
        from_state=source,
        to_state=target,
        reason=request.reason,
    )
    await save(session, events)
    return complaint


def _check_required_fields(
    complaint: Complaint,
    request: TransitionRequest,
    *,
    settings: ComplaintsSettings,
    now: dt.datetime,
) -> None:
    if request.to == "decision_communicated":
        if request.decision_channel is None:
            raise FieldRequiredError("decision_channel", "to communicate the decision")
        if request.decision_summary is None:
            raise FieldRequiredError("decision_summary", "to communicate the decision")
    if request.to == "closed_rejected" and not request.recourse_offered:
        raise FieldRequiredError("recourse_offered", "when the complainant rejects the decision")
    if request.to == "reopened":
        if not request.reason:
            raise FieldRequiredError("reason", "to reopen a complaint")
        closed_at = complaint.closed_at or now
        if now - closed_at > dt.timedelta(days=settings.reopen_window_days):
            raise ReopenWindowExpiredError(settings.reopen_window_days)


def _enter(
    complaint: Complaint, request: TransitionRequest, *, now: dt.datetime, warn_fraction: float
) -> list[Event]:
    """Set the timestamps and outcome fields of entering `request.to`; the events it sends."""
    target = request.to
    ids = event_ids(complaint)
    if request.resolution_reason is not None:
        complaint.resolution_reason = request.resolution_reason
    if target == "acknowledged":
        complaint.acknowledged_at = now
        return [complaint_events.ComplaintAcknowledgedV1(**ids, acknowledged_at=now)]
    if target == "assessed":
        complaint.assessed_at = complaint.assessed_at or now
    elif target == "investigating":
        complaint.investigation_started_at = complaint.investigation_started_at or now
    elif target == "response_proposed":
        complaint.responded_at = complaint.responded_at or now
    elif target == "decision_communicated":
        complaint.decision_communicated_at = now
        complaint.decision_channel = request.decision_channel
        complaint.decision_summary = request.decision_summary
        # Answering with the decision is also a first response if none came before.
        complaint.responded_at = complaint.responded_at or now
        root_cause = complaint.root_cause
        return [complaint_events.ComplaintResolvedV1(**ids, root_cause=root_cause, resolved_at=now)]
    elif target in CLOSED:
        return [_close(complaint, request, now=now)]
    elif target == "reopened":
        _reopen(complaint, now=now, warn_fraction=warn_fraction)
        reason = request.reason or ""
        return [complaint_events.ComplaintReopenedV1(**ids, reason=reason, reopened_at=now)]
    return []


def _close(
    complaint: Complaint, request: TransitionRequest, *, now: dt.datetime
) -> complaint_events.ComplaintClosedV1:
    complaint.closed_at = now
    complaint.paused_at = None
    outcome = _OUTCOMES[request.to]
    if outcome != "withdrawn":
        complaint.complainant_response = outcome
    if request.recourse_offered is not None:
        complaint.recourse_offered = request.recourse_offered
    return complaint_events.ComplaintClosedV1(
        **event_ids(complaint), outcome=outcome, root_cause=complaint.root_cause, closed_at=now
    )


def _reopen(complaint: Complaint, *, now: dt.datetime, warn_fraction: float) -> None:
    # A reopened complaint owes a new decision: the resolution clock starts again from now;
    # acknowledgement and first response stay met. The audit trail keeps the old outcome.
    complaint.reopen_count += 1
    complaint.reopened_at = now
    complaint.closed_at = None
    complaint.complainant_response = None
    complaint.decision_communicated_at = None
    deadlines.restart(complaint, now, warn_fraction=warn_fraction)
