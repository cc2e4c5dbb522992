"""The audit trail refuses to be rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import ComplaintAudit
from services.complaints.settings import ComplaintsSettings
from tests.complaints.helpers import cn, file


async def test_the_audit_trail_is_append_only(
    session: AsyncSession, settings: ComplaintsSettings
) -> None:
    complaint = await file(session, settings, cn(2026, 11, 2, 10))
    entry = (
        await session.scalars(
            select(ComplaintAudit).where(ComplaintAudit.complaint_id == complaint.id)
        )
    ).one()

    entry.reason = "rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        await session.flush()
    await session.rollback()
    await session.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        await session.flush()
