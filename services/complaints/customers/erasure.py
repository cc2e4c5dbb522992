"""Erasure (right to be forgotten): complaints are kept, the personal data around them is not."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository as audit
from services.complaints.changes import SYSTEM, save
from services.complaints.complaints.repository import complaints_of
from services.complaints.customers import repository
from services.complaints.models import Complaint
from services.complaints.surveys.repository import surveys_of

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


async def erase_customer(
    session: AsyncSession, *, customer_id: uuid.UUID, deleted_at: dt.datetime, now: dt.datetime
) -> list[Complaint]:
    """Erase a customer's personal data but keep their complaints; returns those erased.

    Complaints (of the customer and of ids merged into it) lose their free text, in the
    record and in past `updated` audit entries, and get a `personal_data_erased` entry;
    survey comments are cleared; profile, contacts and aliases are deleted. Idempotent.
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
    for survey in await surveys_of(session, [c.id for c in complaints]):
        survey.comment = None
    await repository.delete_customer_rows(session, ids)
    await save(session)
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
