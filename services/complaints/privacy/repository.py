"""Queries of data protection: every row complaints keeps about some customers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import (
    Complaint,
    ComplaintAudit,
    ContactSeen,
    CustomerAlias,
    CustomerProfile,
    SatisfactionSurvey,
)
from shared.export import rows_where


async def customer_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[str, list[Any]]:
    """The rows about these customers, per kind: complaints and their trails, what we know."""
    complaints = await rows_where(session, Complaint.customer_id, ids)
    complaint_ids = [c.id for c in complaints]
    audit = await rows_where(session, ComplaintAudit.complaint_id, complaint_ids)
    return {
        "complaints": complaints,
        "audit_entries": sorted(audit, key=lambda e: e.id),
        "satisfaction_surveys": await rows_where(
            session, SatisfactionSurvey.complaint_id, complaint_ids
        ),
        "customer_profiles": await rows_where(session, CustomerProfile.customer_id, ids),
        "contacts_seen": await rows_where(session, ContactSeen.customer_id, ids),
        "customer_aliases": await rows_where(session, CustomerAlias.customer_id, ids),
    }
