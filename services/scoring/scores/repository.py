"""Queries of statistics rows and published score history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, PurchaseDay, ScoreHistory


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


async def spend_since(session: AsyncSession, customer_id: str, day: dt.date) -> Decimal:
    """The customer's net spend on purchase days from `day` on."""
    total = await session.scalar(
        select(func.sum(PurchaseDay.spend)).where(
            PurchaseDay.customer_id == customer_id, PurchaseDay.day >= day
        )
    )
    return Decimal(total or 0)
