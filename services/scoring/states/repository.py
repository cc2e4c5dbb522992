"""Queries of customer states and their history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, StateChange


async def find_stats(session: AsyncSession, customer_id: str) -> CustomerStats | None:
    """The statistics row of a customer, which holds its current state."""
    return await session.get(CustomerStats, customer_id)


async def history(session: AsyncSession, customer_id: str, *, limit: int) -> Sequence[StateChange]:
    """A customer's state changes, newest first."""
    result = await session.scalars(
        select(StateChange)
        .where(StateChange.customer_id == customer_id)
        .order_by(StateChange.id.desc())
        .limit(limit)
    )
    return result.all()


async def changes_until(session: AsyncSession, until: dt.datetime) -> Sequence[StateChange]:
    """Every state change that happened before `until`, per customer in the order recorded."""
    result = await session.scalars(
        select(StateChange)
        .where(StateChange.occurred_at < until)
        .order_by(StateChange.customer_id, StateChange.id)
    )
    return result.all()
