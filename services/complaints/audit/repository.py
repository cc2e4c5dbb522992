"""Queries of the audit trail."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.models import ComplaintAudit


def add_entry(
    session: AsyncSession,
    complaint_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    at: dt.datetime,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append an entry to a complaint's audit trail."""
    session.add(
        ComplaintAudit(
            complaint_id=complaint_id,
            at=at,
            actor=actor,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            details=details or {},
        )
    )


async def audit_trail(session: AsyncSession, complaint_id: uuid.UUID) -> Sequence[ComplaintAudit]:
    """A complaint's audit entries in the order they were written."""
    result = await session.scalars(
        select(ComplaintAudit)
        .where(ComplaintAudit.complaint_id == complaint_id)
        .order_by(ComplaintAudit.id)
    )
    return result.all()


async def replace_details(
    session: AsyncSession, entry: ComplaintAudit, details: dict[str, Any]
) -> None:
    """Rewrite an entry's details with a Core UPDATE, past the ORM's append-only guard."""
    table = cast(Table, ComplaintAudit.__table__)
    await session.execute(update(table).where(table.c.id == entry.id).values(details=details))
    session.expire(entry)


async def replace_reason(session: AsyncSession, entry: ComplaintAudit, reason: str | None) -> None:
    """Rewrite an entry's reason with a Core UPDATE (erasure only), past the append-only guard."""
    table = cast(Table, ComplaintAudit.__table__)
    await session.execute(update(table).where(table.c.id == entry.id).values(reason=reason))
    session.expire(entry)
