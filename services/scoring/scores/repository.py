"""Queries of statistics rows and published score history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, ScoreHistory


async def find_stats(session: AsyncSession, customer_id: str) -> CustomerStats | None:
    """The statistics row of a customer, if any event about them has been applied."""
    return await session.get(CustomerStats, customer_id)


async def history(session: AsyncSession, customer_id: str, *, limit: int) -> Sequence[ScoreHistory]:
    """Published scores of a customer, newest first."""
    result = await session.scalars(
        select(ScoreHistory)
        .where(ScoreHistory.customer_id == customer_id)
        .order_by(ScoreHistory.id.desc())
        .limit(limit)
    )
    return result.all()


async def stats_page(session: AsyncSession, *, after: str, limit: int) -> Sequence[CustomerStats]:
    """Up to `limit` statistics rows with ids after `after`, in id order (keyset paging)."""
    result = await session.scalars(
        select(CustomerStats)
        .where(CustomerStats.customer_id > after)
        .order_by(CustomerStats.customer_id)
        .limit(limit)
    )
    return result.all()
