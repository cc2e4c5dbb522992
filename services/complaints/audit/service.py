"""Reading a complaint's audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.audit import repository
from services.complaints.complaints.service import get_complaint
from services.complaints.models import ComplaintAudit


async def get_audit_trail(
    session: AsyncSession, complaint_id: uuid.UUID
) -> Sequence[ComplaintAudit]:
    """A complaint's audit trail, oldest first; raises `ComplaintNotFoundError`."""
    await get_complaint(session, complaint_id)
    return await repository.audit_trail(session, complaint_id)
