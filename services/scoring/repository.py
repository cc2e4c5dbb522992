"""Queries of the scoring service's database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, ModelFit, ScoreHistory

# Columns the models need, read without building ORM objects (refits read every buyer).
HISTORY_COLUMNS = (
    CustomerStats.customer_id,
    CustomerStats.first_purchase_day,
    CustomerStats.last_purchase_day,
    CustomerStats.purchase_days,
    CustomerStats.gross_spend,
    CustomerStats.refunded,
    CustomerStats.first_day_spend,
)
SIGNAL_COLUMNS = (
    CustomerStats.complaints_open,
    CustomerStats.last_complaint_at,
    CustomerStats.last_csat,
    CustomerStats.last_nps,
)


async def find_stats(session: AsyncSession, customer_id: str) -> CustomerStats | None:
    """The statistics row of a customer, if any event about them has been applied."""
    return await session.get(CustomerStats, customer_id)


async def latest_fit(session: AsyncSession) -> ModelFit | None:
    """The most recent model fit."""
    result = await session.scalars(select(ModelFit).order_by(ModelFit.id.desc()).limit(1))
    return result.first()


async def buyers(session: AsyncSession) -> Sequence[Any]:
    """Model inputs of every customer with at least one purchase."""
    result = await session.execute(
        select(*HISTORY_COLUMNS)
        .where(CustomerStats.purchase_days > 0)
        .order_by(CustomerStats.customer_id)
    )
    return result.all()


async def all_stats(session: AsyncSession) -> Sequence[Any]:
    """Model inputs and service signals of every customer."""
    result = await session.execute(
        select(*HISTORY_COLUMNS, *SIGNAL_COLUMNS).order_by(CustomerStats.customer_id)
    )
    return result.all()


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
