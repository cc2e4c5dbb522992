"""Erasure (right to be forgotten): complaints are kept, the personal data around them is not."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.changes import SYSTEM, save
from services.complaints.complaints.repository import complaints_of
from services.complaints.customers import repository
from services.complaints.models import Complaint
from services.complaints.surveys.repository import surveys_of
from shared.outbox_scrub import redactor, scrub_outbox

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
# Fields of complaints' events that carry text people typed (reasons, survey comments).
PERSONAL_EVENT_FIELDS = ("reason", "comment", *ERASED_FIELDS)


# `(session, customer_ids, complaints)`: erase what one part of the service keeps about these
# customers (the erased one and those merged into it) beside the complaint records themselves.
Scrub = Callable[[AsyncSession, Sequence[uuid.UUID], Sequence[Complaint]], Awaitable[None]]


async def erase_customer(
    session: AsyncSession, *, customer_id: uuid.UUID, deleted_at: dt.datetime, now: dt.datetime
) -> list[Complaint]:
    """Erase a customer's personal data but keep their complaints; returns those erased.

    Complaints (of the customer and of ids merged into it) lose their free text, in the
    record and in past `updated` audit entries, and get a `personal_data_erased` entry; then
    every scrub of `SCRUBS` runs: reasons staff typed in the audit trail, survey comments,
    profile, contacts and aliases, the outbox. Idempotent.
    """
    ids = [customer_id, *await repository.ids_merged_into(session, customer_id)]
    complaints = list(await complaints_of(session, ids))
    erased: list[Complaint] = []
    for complaint in complaints:
        fields = _blank_text(complaint)
        if not fields:
            continue
        complaint.updated_at = now
        await _redact_audit(session, complaint.id)
        audit.add_entry(
            session,
            complaint.id,
            actor=SYSTEM,
            action="personal_data_erased",
            at=now,
            reason="personal data erased",
            details={"fields": fields, "deleted_at": deleted_at.isoformat()},
        )
        erased.append(complaint)
    for scrub in SCRUBS:
        await scrub(session, ids, complaints)
    await save(session)
    return erased


async def _erase_audit_reasons(
    session: AsyncSession, ids: Sequence[uuid.UUID], complaints: Sequence[Complaint]
) -> None:
    """The reasons people typed on transitions and escalations (the system's own stay)."""
    for complaint in complaints:
        for entry in await audit.audit_trail(session, complaint.id):
            if entry.actor != SYSTEM and entry.reason not in (None, ERASED):
                await audit.replace_reason(session, entry, ERASED)


async def _erase_survey_comments(
    session: AsyncSession, ids: Sequence[uuid.UUID], complaints: Sequence[Complaint]
) -> None:
    for survey in await surveys_of(session, [c.id for c in complaints]):
        survey.comment = None


async def _delete_customer_rows(
    session: AsyncSession, ids: Sequence[uuid.UUID], complaints: Sequence[Complaint]
) -> None:
    await repository.delete_customer_rows(session, ids)


async def _scrub_outbox(
    session: AsyncSession, ids: Sequence[uuid.UUID], complaints: Sequence[Complaint]
) -> None:
    """Published events about them deleted; waiting ones lose reasons and comments."""
    await scrub_outbox(
        session, customer_ids=[str(i) for i in ids], redact=redactor(PERSONAL_EVENT_FIELDS, ())
    )


# Where complaints keeps a customer's personal data outside the complaint's own free text: a
# part of the service that stores more adds its scrub here. The outbox comes last.
SCRUBS: tuple[Scrub, ...] = (
    _erase_audit_reasons,
    _erase_survey_comments,
    _delete_customer_rows,
    _scrub_outbox,
)


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

    The one rewrite the audit trail allows, of text the complainant has the right to have
    erased. The entries themselves remain.
    """
    for entry in await audit.audit_trail(session, complaint_id):
        if entry.action != "updated" or not set(ERASED_FIELDS) & entry.details.keys():
            continue
        details = dict(entry.details)
        for field in set(ERASED_FIELDS) & details.keys():
            change = details[field]
            details[field] = {k: None if v is None else ERASED for k, v in change.items()}
        await audit.replace_details(session, entry, details)
