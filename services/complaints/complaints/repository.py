"""Queries of complaints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.complaints.lifecycle.lifecycle import CLOSED
from services.complaints.models import Complaint
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
