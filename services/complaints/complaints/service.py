"""Filing, reading, listing and editing complaints.

Functions flush, never commit; every state change other services must hear about stages its
event in the same transaction (`changes.save`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.audit.details import change, jsonable
from services.complaints.changes import event_ids, save
from services.complaints.complaints import repository
from services.complaints.complaints.etag import check_version
from services.complaints.complaints.schemas import (
    ComplaintCreate,
    ComplaintFilters,
    ComplaintUpdate,
)
from services.complaints.customers.repository import get_profile
from services.complaints.errors import (
    ComplaintNotFoundError,
    LinkedComplaintNotFoundError,
    UnknownValueError,
)
from services.complaints.models import Complaint
from services.complaints.settings import ComplaintsSettings
from services.complaints.sla.calendar import BUILTIN_CALENDARS
from services.complaints.sla.deadlines import reschedule
from services.complaints.sla.priority import compute_priority
from services.complaints.sla.service import retarget
from shared.contracts.complaints import ComplaintFiledV1
from shared.errors import ConflictError
from shared.pagination import page_of

# Fields of a filing stored as sent.
_AS_FILED: set[str] = {
    "customer_id",
    "channel",
    "category",
    "description",
    "remedy_sought",
    "severity",
    "team",
    "assignee",
    "duplicate_of",
    "source_contacts",
}


async def get_complaint(
    session: AsyncSession, complaint_id: uuid.UUID, *, expected_version: int | None = None
) -> Complaint:
    """A complaint, at `expected_version` if one is given; raises not found or precondition."""
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintNotFoundError(complaint_id)
    check_version(complaint, expected_version)
    return complaint


async def list_complaints(
    session: AsyncSession, filters: ComplaintFilters, *, cursor: str | None, limit: int
) -> tuple[list[Complaint], str | None]:
    """One page of complaints, newest first, and the cursor of the next page."""
    rows = await repository.page_of_complaints(
        session, cursor=cursor, limit=limit, **filters.model_dump()
    )
    return page_of(list(rows), limit, key=lambda c: (c.received_at, c.id))


async def file_complaint(
    session: AsyncSession,
    data: ComplaintCreate,
    *,
    actor: str,
    now: dt.datetime,
    settings: ComplaintsSettings,
    idempotency_key: str | None = None,
) -> tuple[Complaint, bool]:
    """Receive a complaint: compute its priority, start its SLA clock, stage `filed`.

    A filing with an `idempotency_key` or a source contact already on file is the complaint
    filed then, returned as it is now: `(complaint, created)`. So a retried request, a
    duplicated webhook or two agents filing from one call make one complaint.
    """
    keys = filing_keys(idempotency_key, data.source_contacts)
    existing = await repository.complaint_of_filing_keys(session, keys)
    if existing is not None:
        return existing, False
    _check_category(data.category, settings)
    calendar = data.calendar or settings.default_calendar
    if calendar not in BUILTIN_CALENDARS:
        raise UnknownValueError("calendar", calendar, sorted(BUILTIN_CALENDARS))
    await _check_links(session, data.duplicate_of, data.related_ids)
    profile = await get_profile(session, data.customer_id)
    received_at = min(data.received_at or now, now)
    complaint_id = uuid.uuid4()
    if not await repository.claim_filing_keys(session, complaint_id, keys):
        return await _filed_concurrently(session, keys), False
    complaint = Complaint(
        **data.model_dump(include=_AS_FILED),
        id=complaint_id,
        tier=profile.tier if profile else None,
        churn_risk=profile.churn_risk if profile else None,
        calendar=calendar,
        state="received",
        escalation_level=0,
        root_cause="unknown",
        related_ids=[str(r) for r in data.related_ids],
        reopen_count=0,
        received_at=received_at,
        updated_at=now,
        sla_started_at=received_at,
        sla_paused_seconds=0.0,
    )
    complaint.priority = compute_priority(complaint.severity, complaint.tier, complaint.churn_risk)
    reschedule(complaint, warn_fraction=settings.sla_warning_fraction)
    session.add(complaint)
    await session.flush()
    audit.add_entry(session, complaint.id, actor=actor, action="filed", at=now, to_state="received")
    filed = ComplaintFiledV1(
        **event_ids(complaint),
        category=complaint.category,
        severity=complaint.severity,
        priority=complaint.priority,
        channel=complaint.channel,
        filed_at=received_at,
    )
    await save(session, [filed])
    return complaint, True


async def _filed_concurrently(session: AsyncSession, keys: list[str]) -> Complaint:
    """The complaint of a concurrent copy that claimed a key first (and has committed)."""
    found = await repository.complaint_of_filing_keys(session, keys)
    if found is None:
        raise ConflictError("A filing with the same key is in progress; retry.")
    return found


def filing_keys(idempotency_key: str | None, source_contacts: list[str]) -> list[str]:
    """The keys that identify a filing: its idempotency key and each source contact."""
    keys = [f"idempotency-key:{idempotency_key}"] if idempotency_key else []
    keys += [f"source-contact:{ref}" for ref in dict.fromkeys(source_contacts)]
    return keys


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
    complaint = await get_complaint(session, complaint_id, expected_version=expected_version)
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes:
        _check_category(changes["category"], settings)
    await _check_links(session, changes.get("duplicate_of"), changes.get("related_ids") or [])
    if changes.get("duplicate_of") == complaint.id:
        raise UnknownValueError("duplicate_of", str(complaint.id), ["another complaint"])
    if changes.get("related_ids") is not None:
        changes["related_ids"] = [str(v) for v in changes["related_ids"]]
    before = {k: jsonable(getattr(complaint, k)) for k in changes}
    for key, value in changes.items():
        setattr(complaint, key, value)
    after = {k: jsonable(getattr(complaint, k)) for k in changes}
    changed = {k: change(before[k], after[k]) for k in changes if before[k] != after[k]}
    if not changed:
        return complaint
    complaint.updated_at = now
    audit.add_entry(session, complaint.id, actor=actor, action="updated", at=now, details=changed)
    if moved := sorted({"severity", "category"} & changed.keys()):
        reason = f"{' and '.join(moved)} changed"
        retarget(session, complaint, actor=actor, now=now, settings=settings, reason=reason)
    await save(session)
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
