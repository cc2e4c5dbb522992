"""Complaint operations: filing, lifecycle steps, SLA timers, escalation, surveys.

Every function takes `now` so the SLA clock can be driven by tests and by the timer task.
Functions flush, never commit; each state change other services must hear about stages an
event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import Table, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.complaints import repository
from services.complaints.calendar import BUILTIN_CALENDARS, BusinessCalendar
from services.complaints.errors import (
    ComplaintClosedError,
    ComplaintNotFoundError,
    ConcurrentUpdateError,
    FieldRequiredError,
    LinkedComplaintNotFoundError,
    PreconditionFailedError,
    ReopenWindowExpiredError,
    SurveyNotAllowedError,
    TransitionNotAllowedError,
    UnknownValueError,
)
from services.complaints.lifecycle import CLOSED, PAUSED, State, allowed_from, is_allowed
from services.complaints.models import (
    Complaint,
    ComplaintAudit,
    ContactSeen,
    CustomerAlias,
    CustomerProfile,
    SatisfactionSurvey,
)
from services.complaints.schemas import (
    ComplaintCreate,
    ComplaintUpdate,
    SurveyCreate,
    TransitionRequest,
)
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla import (
    TARGETS,
    Priority,
    Target,
    compute_priority,
    policy_for,
    schedule,
)
from shared.contracts.complaints import (
    ComplaintAcknowledgedV1,
    ComplaintClosedV1,
    ComplaintEscalatedV1,
    ComplaintFiledV1,
    ComplaintReopenedV1,
    ComplaintResolvedV1,
    ComplaintSlaBreachedV1,
    SatisfactionSurveyedV1,
)
from shared.events import Event
from shared.outbox import stage_event

SOURCE = "rapport/complaints"
SYSTEM = "system"

# The timestamp that marks each SLA target as met.
_MET_AT: dict[Target, str] = {
    "acknowledgement": "acknowledged_at",
    "first_response": "responded_at",
    "resolution": "decision_communicated_at",
}
_PENDING_EVENTS = "complaints.pending_events"
# Escalation level → what it does; levels past the last keep raising visibility only.
_LEVEL_ACTIONS = {1: "notify", 2: "supervisor_queue"}


# --- reading ---------------------------------------------------------------------------------


async def get_complaint(session: AsyncSession, complaint_id: uuid.UUID) -> Complaint:
    """A complaint; raises `ComplaintNotFoundError`."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFoundError(complaint_id)
    return complaint


def calendar_of(complaint: Complaint) -> BusinessCalendar:
    """The business calendar a complaint's SLAs are measured on."""
    return BUILTIN_CALENDARS[complaint.calendar]


def met_at(complaint: Complaint, target: Target) -> dt.datetime | None:
    """When a target was met, if it was."""
    value: dt.datetime | None = getattr(complaint, _MET_AT[target])
    return value


# --- filing and editing ----------------------------------------------------------------------


async def file_complaint(
    session: AsyncSession,
    data: ComplaintCreate,
    *,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> Complaint:
    """Receive a complaint: compute its priority, start its SLA clock, stage `filed`."""
    _check_category(data.category, settings)
    calendar = data.calendar or settings.default_calendar
    if calendar not in BUILTIN_CALENDARS:
        raise UnknownValueError("calendar", calendar, sorted(BUILTIN_CALENDARS))
    received_at = min(data.received_at or now, now)
    await _check_links(session, data.duplicate_of, data.related_ids)
    profile = await repository.get_profile(session, data.customer_id)
    tier = profile.tier if profile else None
    churn_risk = profile.churn_risk if profile else None
    complaint = Complaint(
        id=uuid.uuid4(),
        customer_id=data.customer_id,
        source_contacts=list(data.source_contacts),
        channel=data.channel,
        category=data.category,
        description=data.description,
        remedy_sought=data.remedy_sought,
        severity=data.severity,
        priority=compute_priority(data.severity, tier, churn_risk),
        tier=tier,
        churn_risk=churn_risk,
        calendar=calendar,
        team=data.team,
        assignee=data.assignee,
        state="received",
        escalation_level=0,
        root_cause="unknown",
        related_ids=[str(r) for r in data.related_ids],
        duplicate_of=data.duplicate_of,
        reopen_count=0,
        received_at=received_at,
        updated_at=now,
        sla_started_at=received_at,
        sla_paused_seconds=0.0,
    )
    _reschedule(complaint, settings)
    session.add(complaint)
    await session.flush()
    _audit(session, complaint, actor=actor, action="filed", at=now, to_state="received")
    await _stage(
        session,
        ComplaintFiledV1(
            complaint_id=complaint.id,
            customer_id=complaint.customer_id,
            category=complaint.category,
            severity=complaint.severity,
            priority=complaint.priority,
            channel=complaint.channel,
            filed_at=received_at,
        ),
    )
    await _flush(session)
    return complaint


async def update_complaint(
    session: AsyncSession,
    complaint_id: uuid.UUID,
    data: ComplaintUpdate,
    *,
    expected_version: int | None,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> Complaint:
    """Change the fields sent; a new severity or category re-targets the SLAs."""
    complaint = await get_complaint(session, complaint_id)
    _check_version(complaint, expected_version)
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes:
        _check_category(changes["category"], settings)
    await _check_links(session, changes.get("duplicate_of"), changes.get("related_ids") or [])
    if changes.get("duplicate_of") == complaint.id:
        raise UnknownValueError("duplicate_of", str(complaint.id), ["another complaint"])
    if changes.get("related_ids") is not None:
        changes["related_ids"] = [str(v) for v in changes["related_ids"]]
    before = {k: _jsonable(getattr(complaint, k)) for k in changes}
    for key, value in changes.items():
        setattr(complaint, key, value)
    after = {k: _jsonable(getattr(complaint, k)) for k in changes}
    changed = {k: {"from": before[k], "to": after[k]} for k in changes if before[k] != after[k]}
    if not changed:
        return complaint
    complaint.updated_at = now
    _audit(session, complaint, actor=actor, action="updated", at=now, details=changed)
    if moved := sorted({"severity", "category"} & changed.keys()):
        reason = f"{' and '.join(moved)} changed"
        _retarget(session, complaint, actor=actor, now=now, settings=settings, reason=reason)
    await _flush(session)
    return complaint


def _check_category(category: str, settings: ComplaintsSettings) -> None:
    if category not in settings.categories:
        raise UnknownValueError("category", category, settings.categories)


async def _check_links(
    session: AsyncSession, duplicate_of: uuid.UUID | None, related: list[uuid.UUID]
) -> None:
    """Links must point at complaints that exist."""
    for field, ids in (
        ("duplicate_of", [duplicate_of] if duplicate_of else []),
        ("related_ids", related),
    ):
        for linked in ids:
            if await session.get(Complaint, linked) is None:
                raise LinkedComplaintNotFoundError(field, linked)


def _check_version(complaint: Complaint, expected_version: int | None) -> None:
    if expected_version is not None and complaint.version != expected_version:
        raise PreconditionFailedError(complaint.version)


# --- lifecycle -------------------------------------------------------------------------------


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
    """Move a complaint one step along its lifecycle, or raise listing the allowed steps."""
    complaint = await get_complaint(session, complaint_id)
    _check_version(complaint, expected_version)
    source: State = complaint.state  # type: ignore[assignment]
    target = request.to
    if not is_allowed(source, target):
        raise TransitionNotAllowedError(source, target, allowed_from(source))
    _check_required_fields(complaint, request, settings=settings, now=now)
    if source in PAUSED:
        _resume_clock(complaint, now, settings)
    complaint.state = target
    complaint.updated_at = now
    await _apply_entry(session, complaint, request, source=source, now=now, settings=settings)
    if target in PAUSED:
        complaint.paused_at = now
    _refresh_timer(complaint)
    _audit(
        session,
        complaint,
        actor=actor,
        action="transition",
        at=now,
        from_state=source,
        to_state=target,
        reason=request.reason,
    )
    await _flush(session)
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


async def _apply_entry(
    session: AsyncSession,
    complaint: Complaint,
    request: TransitionRequest,
    *,
    source: State,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> None:
    """Timestamps, outcome fields and events of entering `request.to`."""
    target = request.to
    if request.resolution_reason is not None:
        complaint.resolution_reason = request.resolution_reason
    if target == "acknowledged":
        complaint.acknowledged_at = now
        await _stage(session, ComplaintAcknowledgedV1(**_ids(complaint), acknowledged_at=now))
    elif target == "assessed":
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
        await _stage(
            session,
            ComplaintResolvedV1(
                **_ids(complaint), root_cause=complaint.root_cause, resolved_at=now
            ),
        )
    elif target in CLOSED:
        await _close(session, complaint, request, now=now)
    elif target == "reopened":
        _reopen(complaint, now=now, settings=settings)
        await _stage(
            session,
            ComplaintReopenedV1(**_ids(complaint), reason=request.reason or "", reopened_at=now),
        )


async def _close(
    session: AsyncSession, complaint: Complaint, request: TransitionRequest, *, now: dt.datetime
) -> None:
    complaint.closed_at = now
    complaint.paused_at = None
    outcome: Any = {
        "closed_accepted": "accepted",
        "closed_rejected": "rejected",
        "withdrawn": "withdrawn",
    }[request.to]
    if outcome != "withdrawn":
        complaint.complainant_response = outcome
    if request.recourse_offered is not None:
        complaint.recourse_offered = request.recourse_offered
    await _stage(
        session,
        ComplaintClosedV1(
            **_ids(complaint), outcome=outcome, root_cause=complaint.root_cause, closed_at=now
        ),
    )


def _reopen(complaint: Complaint, *, now: dt.datetime, settings: ComplaintsSettings) -> None:
    # A reopened complaint owes a new decision: the resolution clock starts again from now;
    # acknowledgement and first response stay met. The audit trail keeps the old outcome.
    complaint.reopen_count += 1
    complaint.reopened_at = now
    complaint.closed_at = None
    complaint.complainant_response = None
    complaint.decision_communicated_at = None
    complaint.sla_started_at = now
    complaint.sla_paused_seconds = 0.0
    complaint.resolution_warned = False
    complaint.resolution_breached_at = None
    _reschedule(complaint, settings)


# --- SLA clock -------------------------------------------------------------------------------


def _reschedule(complaint: Complaint, settings: ComplaintsSettings) -> None:
    """Recompute the pending targets' warning and due times from the policy and the clock.

    A target already met or breached keeps the deadline it was measured against.
    """
    targets = policy_for(complaint.priority, complaint.category)  # type: ignore[arg-type]
    deadlines = schedule(
        targets,
        calendar_of(complaint),
        started_at=complaint.sla_started_at,
        paused=dt.timedelta(seconds=complaint.sla_paused_seconds),
        warn_fraction=settings.sla_warning_fraction,
    )
    for target, deadline in deadlines.items():
        if met_at(complaint, target) is not None or getattr(complaint, f"{target}_breached_at"):
            continue
        setattr(complaint, f"{target}_warn_at", deadline.warn_at)
        setattr(complaint, f"{target}_due_at", deadline.due_at)
    _refresh_timer(complaint)


def _refresh_timer(complaint: Complaint) -> None:
    """Set `next_due_at` to the earliest pending warning or deadline (NULL if none)."""
    complaint.next_due_at = None
    if complaint.state in CLOSED or complaint.paused_at is not None:
        return
    pending: list[dt.datetime] = []
    for target in TARGETS:
        if met_at(complaint, target) is not None or getattr(complaint, f"{target}_breached_at"):
            continue
        due = getattr(complaint, f"{target}_due_at")
        if due is not None:
            pending.append(due)
        warn = getattr(complaint, f"{target}_warn_at")
        if warn is not None and not getattr(complaint, f"{target}_warned"):
            pending.append(warn)
    complaint.next_due_at = min(pending) if pending else None


def _resume_clock(complaint: Complaint, now: dt.datetime, settings: ComplaintsSettings) -> None:
    """Add the business time spent waiting on the customer to the allowance, then re-plan."""
    if complaint.paused_at is None:
        return
    paused = calendar_of(complaint).business_between(complaint.paused_at, now)
    complaint.sla_paused_seconds += paused.total_seconds()
    complaint.paused_at = None
    _reschedule(complaint, settings)


def _retarget(
    session: AsyncSession,
    complaint: Complaint,
    *,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
    reason: str,
) -> bool:
    """Recompute the priority; when it changes, move the SLA deadlines and audit it."""
    priority: Priority = compute_priority(complaint.severity, complaint.tier, complaint.churn_risk)
    old_due = {t: _jsonable(getattr(complaint, f"{t}_due_at")) for t in TARGETS}
    old_priority = complaint.priority
    complaint.priority = priority
    _reschedule(complaint, settings)
    new_due = {t: _jsonable(getattr(complaint, f"{t}_due_at")) for t in TARGETS}
    if old_priority == priority and old_due == new_due:
        return False
    complaint.updated_at = now
    _audit(
        session,
        complaint,
        actor=actor,
        action="sla_retargeted",
        at=now,
        reason=reason,
        details={
            "priority": {"from": old_priority, "to": priority},
            "due_at": {"from": old_due, "to": new_due},
        },
    )
    return True


async def process_due(
    session: AsyncSession, *, now: dt.datetime, limit: int, settings: ComplaintsSettings
) -> int:
    """Raise the warnings and breaches due by `now` on up to `limit` complaints."""
    complaints = await repository.due_complaints(session, now=now, limit=limit)
    for complaint in complaints:
        for target in TARGETS:
            await _check_target(session, complaint, target, now=now, settings=settings)
        _refresh_timer(complaint)
    await _flush(session)
    return len(complaints)


async def _check_target(
    session: AsyncSession,
    complaint: Complaint,
    target: Target,
    *,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> None:
    if met_at(complaint, target) is not None or getattr(complaint, f"{target}_breached_at"):
        return
    due: dt.datetime | None = getattr(complaint, f"{target}_due_at")
    warn: dt.datetime | None = getattr(complaint, f"{target}_warn_at")
    if due is not None and due <= now:
        await _breach(session, complaint, target, due=due, now=now, settings=settings)
    elif warn is not None and warn <= now and not getattr(complaint, f"{target}_warned"):
        setattr(complaint, f"{target}_warned", True)
        _audit(
            session,
            complaint,
            actor=SYSTEM,
            action="sla_warning",
            at=now,
            reason=f"{target} due soon",
            details={"target": target, "due_at": due.isoformat() if due else None},
        )


async def _breach(
    session: AsyncSession,
    complaint: Complaint,
    target: Target,
    *,
    due: dt.datetime,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> None:
    setattr(complaint, f"{target}_breached_at", now)
    setattr(complaint, f"{target}_warned", True)
    _audit(
        session,
        complaint,
        actor=SYSTEM,
        action="sla_breached",
        at=now,
        reason=f"{target} target missed",
        details={"target": target, "due_at": due.isoformat()},
    )
    await _stage(
        session,
        ComplaintSlaBreachedV1(**_ids(complaint), target=target, due_at=due, breached_at=now),
    )
    await _raise_level(
        session,
        complaint,
        reason=f"{target} SLA breached",
        actor=SYSTEM,
        now=now,
        settings=settings,
    )


# --- escalation ------------------------------------------------------------------------------


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
    complaint = await get_complaint(session, complaint_id)
    _check_version(complaint, expected_version)
    if complaint.state in CLOSED:
        raise ComplaintClosedError(complaint.state)
    await _raise_level(session, complaint, reason=reason, actor=actor, now=now, settings=settings)
    await _flush(session)
    return complaint


async def _raise_level(
    session: AsyncSession,
    complaint: Complaint,
    *,
    reason: str,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> None:
    """One level up: 1 notifies the team, 2 reassigns to the supervisor queue, 3+ raises."""
    complaint.escalation_level += 1
    level = complaint.escalation_level
    action: Any = _LEVEL_ACTIONS.get(level, "raise")
    details: dict[str, Any] = {"level": level, "action": action}
    if action == "supervisor_queue":
        details["reassigned"] = {
            "from": {"team": complaint.team, "assignee": complaint.assignee},
            "to": {"team": settings.supervisor_queue, "assignee": None},
        }
        complaint.team = settings.supervisor_queue
        complaint.assignee = None
    complaint.updated_at = now
    _audit(
        session, complaint, actor=actor, action="escalated", at=now, reason=reason, details=details
    )
    await _stage(
        session,
        ComplaintEscalatedV1(
            **_ids(complaint),
            level=level,
            reason=reason,
            escalated_at=now,
            action=action,
            team=complaint.team,
        ),
    )


# --- what scoring tells us ---------------------------------------------------------------------


async def apply_customer_scores(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    tier: str | None,
    churn_risk: float | None,
    now: dt.datetime,
    settings: ComplaintsSettings,
    reason: str,
) -> list[Complaint]:
    """Remember a customer's tier and churn risk and re-target their open complaints."""
    profile = await repository.get_profile(session, customer_id)
    if profile is None:
        profile = CustomerProfile(customer_id=customer_id)
        session.add(profile)
    if tier is not None:
        profile.tier = tier
    if churn_risk is not None:
        profile.churn_risk = churn_risk
    profile.updated_at = now
    complaints = await _apply_profile(session, profile, now=now, settings=settings, reason=reason)
    await _flush(session)
    return complaints


async def _apply_profile(
    session: AsyncSession,
    profile: CustomerProfile,
    *,
    now: dt.datetime,
    settings: ComplaintsSettings,
    reason: str,
) -> list[Complaint]:
    """Copy a profile's tier and churn risk onto the customer's open complaints; re-target."""
    await session.flush()
    complaints = list(await repository.open_complaints_of(session, profile.customer_id))
    for complaint in complaints:
        complaint.tier = profile.tier
        complaint.churn_risk = profile.churn_risk
        _retarget(session, complaint, actor=SYSTEM, now=now, settings=settings, reason=reason)
    return complaints


async def escalate_for_churn_risk(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    churn_risk: float,
    tier: str | None,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> list[Complaint]:
    """A churn-risk rise: re-target the customer's open complaints and escalate each one."""
    reason = f"churn risk rose to {churn_risk:.2f}"
    complaints = await apply_customer_scores(
        session,
        customer_id=customer_id,
        tier=tier,
        churn_risk=churn_risk,
        now=now,
        settings=settings,
        reason=reason,
    )
    for complaint in complaints:
        await _raise_level(
            session, complaint, reason=reason, actor=SYSTEM, now=now, settings=settings
        )
    await _flush(session)
    return complaints


async def record_contact(
    session: AsyncSession,
    *,
    call_event_id: uuid.UUID,
    customer_id: uuid.UUID,
    occurred_at: dt.datetime,
) -> None:
    """Count one contact for the complaints-per-contacts ratio."""
    if await session.get(ContactSeen, call_event_id) is None:
        session.add(
            ContactSeen(
                call_event_id=call_event_id, customer_id=customer_id, occurred_at=occurred_at
            )
        )
        await session.flush()


# --- customer merges and erasure -------------------------------------------------------------

# Free text on a complaint that can hold the complainant's personal data: what they wrote, and
# the notes staff wrote about their case (which often quote it). Blanked on erasure; the
# structured record (ids, dates, category, states, outcome codes, SLA data) stays.
ERASED_FIELDS = (
    "description",
    "remedy_sought",
    "root_cause_detail",
    "resolution_reason",
    "decision_summary",
    "recourse_offered",
)
ERASED = "[erased]"


async def resolve_customer(session: AsyncSession, customer_id: uuid.UUID) -> uuid.UUID:
    """The customer an id stands for now: the survivor if it was merged, else itself."""
    alias = await repository.get_alias(session, customer_id)
    return alias.customer_id if alias is not None else customer_id


async def merge_customers(
    session: AsyncSession,
    *,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    merged_at: dt.datetime,
    now: dt.datetime,
    settings: ComplaintsSettings,
) -> list[Complaint]:
    """Fold `merged_id` into `survivor_id`; returns the complaints moved.

    Complaints and contacts move to the survivor (each complaint audited), the survivor keeps
    its profile or adopts the merged one's, and open complaints are re-targeted for it. The
    merged id becomes an alias so later score and contact events land on the survivor.
    Applying the same merge again changes nothing.
    """
    survivor_id = await resolve_customer(session, survivor_id)
    if survivor_id == merged_id:
        return []
    await _record_alias(session, merged_id=merged_id, survivor_id=survivor_id, at=merged_at)
    moved = await _move_complaints(
        session, merged_id=merged_id, survivor_id=survivor_id, merged_at=merged_at, now=now
    )
    await session.execute(
        update(ContactSeen)
        .where(ContactSeen.customer_id == merged_id)
        .values(customer_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    profile = await _merge_profiles(session, merged_id=merged_id, survivor_id=survivor_id)
    if profile is not None:
        reason = f"customer {merged_id} merged into {survivor_id}"
        await _apply_profile(session, profile, now=now, settings=settings, reason=reason)
    await _flush(session)
    return moved


async def _record_alias(
    session: AsyncSession, *, merged_id: uuid.UUID, survivor_id: uuid.UUID, at: dt.datetime
) -> None:
    """Point `merged_id`, and every id merged into it before, at the survivor."""
    alias = await repository.get_alias(session, merged_id)
    if alias is None:
        session.add(CustomerAlias(merged_id=merged_id, customer_id=survivor_id, merged_at=at))
    else:
        alias.customer_id = survivor_id
    await session.execute(
        update(CustomerAlias)
        .where(CustomerAlias.customer_id == merged_id)
        .values(customer_id=survivor_id)
        .execution_options(synchronize_session="fetch")
    )


async def _move_complaints(
    session: AsyncSession,
    *,
    merged_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_at: dt.datetime,
    now: dt.datetime,
) -> list[Complaint]:
    """Re-key the merged customer's complaints to the survivor, one audit entry each."""
    complaints = list(await repository.complaints_of(session, [merged_id]))
    for complaint in complaints:
        complaint.customer_id = survivor_id
        complaint.updated_at = now
        _audit(
            session,
            complaint,
            actor=SYSTEM,
            action="customer_merged",
            at=now,
            reason=f"customer {merged_id} merged into {survivor_id}",
            details={
                "customer_id": {"from": str(merged_id), "to": str(survivor_id)},
                "merged_at": merged_at.isoformat(),
            },
        )
    return complaints


async def _merge_profiles(
    session: AsyncSession, *, merged_id: uuid.UUID, survivor_id: uuid.UUID
) -> CustomerProfile | None:
    """The survivor keeps its profile, or adopts the merged one's; the merged one's goes."""
    survivor = await repository.get_profile(session, survivor_id)
    merged = await repository.get_profile(session, merged_id)
    if merged is None:
        return survivor
    if survivor is None:
        survivor = CustomerProfile(
            customer_id=survivor_id,
            tier=merged.tier,
            churn_risk=merged.churn_risk,
            updated_at=merged.updated_at,
        )
        session.add(survivor)
    await session.delete(merged)
    return survivor


async def erase_customer(
    session: AsyncSession, *, customer_id: uuid.UUID, deleted_at: dt.datetime, now: dt.datetime
) -> list[Complaint]:
    """Erase a customer's personal data but keep their complaints; returns those erased.

    Complaints (of the customer and of ids merged into it) lose their free text, in the
    record and in past `updated` audit entries, and get a `personal_data_erased` entry;
    survey comments are cleared; profile, contacts and aliases are deleted. Idempotent.
    """
    ids = [customer_id, *await repository.ids_merged_into(session, customer_id)]
    complaints = list(await repository.complaints_of(session, ids))
    erased: list[Complaint] = []
    for complaint in complaints:
        fields = _blank_text(complaint)
        if not fields:
            continue
        complaint.updated_at = now
        await _redact_audit(session, complaint.id)
        _audit(
            session,
            complaint,
            actor=SYSTEM,
            action="personal_data_erased",
            at=now,
            reason="personal data erased",
            details={"fields": fields, "deleted_at": deleted_at.isoformat()},
        )
        erased.append(complaint)
    for survey in await repository.surveys_of(session, [c.id for c in complaints]):
        survey.comment = None
    await _delete_customer_rows(session, ids)
    await _flush(session)
    return erased


def _blank_text(complaint: Complaint) -> list[str]:
    """Blank the complaint's personal free text; the names of the fields that had some."""
    blanked: list[str] = []
    for field in ERASED_FIELDS:
        if getattr(complaint, field):
            # `description` is required, so it becomes empty rather than NULL.
            setattr(complaint, field, "" if field == "description" else None)
            blanked.append(field)
    return blanked


async def _redact_audit(session: AsyncSession, complaint_id: uuid.UUID) -> None:
    """Replace erased fields' old and new values in past `updated` entries by a marker.

    The one rewrite the audit trail allows: a Core UPDATE, past the ORM's append-only guard,
    of text the complainant has the right to have erased. The entries themselves remain.
    """
    for entry in await repository.audit_trail(session, complaint_id):
        if entry.action != "updated" or not set(ERASED_FIELDS) & entry.details.keys():
            continue
        details = dict(entry.details)
        for field in set(ERASED_FIELDS) & details.keys():
            change = details[field]
            details[field] = {k: None if v is None else ERASED for k, v in change.items()}
        table = cast(Table, ComplaintAudit.__table__)
        await session.execute(update(table).where(table.c.id == entry.id).values(details=details))
        session.expire(entry)


async def _delete_customer_rows(session: AsyncSession, ids: list[uuid.UUID]) -> None:
    """Delete what is kept about these customers outside the complaints themselves."""
    for model, column in (
        (CustomerProfile, CustomerProfile.customer_id),
        (ContactSeen, ContactSeen.customer_id),
        (CustomerAlias, CustomerAlias.customer_id),
        (CustomerAlias, CustomerAlias.merged_id),
    ):
        await session.execute(
            delete(model).where(column.in_(ids)).execution_options(synchronize_session="fetch")
        )


# --- satisfaction ----------------------------------------------------------------------------


async def record_survey(
    session: AsyncSession,
    complaint_id: uuid.UUID,
    data: SurveyCreate,
    *,
    now: dt.datetime,
) -> SatisfactionSurvey:
    """Store the complainant's CSAT after closure and stage `satisfaction_surveyed`."""
    complaint = await get_complaint(session, complaint_id)
    if complaint.state not in ("closed_accepted", "closed_rejected"):
        raise SurveyNotAllowedError("A survey is taken after the complaint is closed.")
    survey = SatisfactionSurvey(
        complaint_id=complaint.id,
        closure=complaint.reopen_count,
        csat=data.csat,
        nps=data.nps,
        comment=data.comment,
        surveyed_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(survey)
            await session.flush()
    except IntegrityError as exc:
        raise SurveyNotAllowedError("This closure has been surveyed already.") from exc
    _audit(
        session,
        complaint,
        actor="complainant",
        action="surveyed",
        at=now,
        details={"csat": data.csat, "nps": data.nps},
    )
    await _stage(
        session,
        SatisfactionSurveyedV1(
            **_ids(complaint), csat=data.csat, nps=data.nps, comment=data.comment, surveyed_at=now
        ),
    )
    await _flush(session)
    return survey


# --- helpers ---------------------------------------------------------------------------------


def _ids(complaint: Complaint) -> dict[str, uuid.UUID]:
    return {"complaint_id": complaint.id, "customer_id": complaint.customer_id}


async def _stage(session: AsyncSession, event: Event) -> None:
    # Staged at the next _flush, after the complaint's own UPDATE: one change, one version.
    session.info.setdefault(_PENDING_EVENTS, []).append(event)


def _audit(
    session: AsyncSession,
    complaint: Complaint,
    *,
    actor: str,
    action: str,
    at: dt.datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        ComplaintAudit(
            complaint_id=complaint.id,
            at=at,
            actor=actor,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            details=details or {},
        )
    )


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        # Another transaction updated the row between our read and write (version column).
        raise ConcurrentUpdateError() from exc
    pending: list[Event] = session.info.pop(_PENDING_EVENTS, [])
    for event in pending:
        await stage_event(session, event, source=SOURCE)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)
