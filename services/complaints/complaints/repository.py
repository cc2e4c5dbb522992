"""Queries of complaints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.lifecycle.lifecycle import CLOSED
from services.complaints.models import Complaint, FilingKey
from services.complaints.sla.repository import at_risk, breached
from shared.pagination import newest_first


async def page_of_complaints(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    customer_id: uuid.UUID | None = None,
    state: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    sla: str | None = None,
) -> Sequence[Complaint]:
    """Complaints matching the filters, newest first after `cursor`: `limit` and one more."""
    query = select(Complaint)
    if sla == "breached":
        query = query.where(breached())
    elif sla == "at_risk":
        query = query.where(at_risk())
    for column, value in (
        (Complaint.customer_id, customer_id),
        (Complaint.state, state),
        (Complaint.category, category),
        (Complaint.priority, priority),
    ):
        if value is not None:
            query = query.where(column == value)
    query = newest_first(query, Complaint.received_at, Complaint.id, cursor=cursor, limit=limit)
    return (await session.scalars(query)).all()


async def open_complaints_of(session: AsyncSession, customer_id: uuid.UUID) -> Sequence[Complaint]:
    """A customer's complaints that are not closed or withdrawn."""
    result = await session.scalars(
        select(Complaint)
        .where(Complaint.customer_id == customer_id, Complaint.state.not_in(CLOSED))
        .order_by(Complaint.received_at)
    )
    return result.all()


async def complaints_of(
    session: AsyncSession, customer_ids: Sequence[uuid.UUID]
) -> Sequence[Complaint]:
    """Every complaint of these customers, open or closed, oldest first."""
    result = await session.scalars(
        select(Complaint)
        .where(Complaint.customer_id.in_(customer_ids))
        .order_by(Complaint.received_at, Complaint.id)
    )
    return result.all()


async def complaint_of_filing_keys(session: AsyncSession, keys: list[str]) -> Complaint | None:
    """The complaint that already holds one of `keys`, if any."""
    if not keys:
        return None
    found = await session.scalar(
        select(FilingKey.complaint_id).where(FilingKey.key.in_(keys)).limit(1)
    )
    return None if found is None else await session.get(Complaint, found)


async def claim_filing_keys(
    session: AsyncSession, complaint_id: uuid.UUID, keys: list[str]
) -> bool:
    """Claim every key for `complaint_id` in one savepoint; False (nothing kept) if one is taken."""
    if not keys:
        return True
    try:
        async with session.begin_nested():
            session.add_all(FilingKey(key=k, complaint_id=complaint_id) for k in keys)
            await session.flush()
    except IntegrityError:
        return False
    return True
