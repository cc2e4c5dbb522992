"""Queries of stored fits and of the model inputs of every buyer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, ModelFit

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


async def latest_fit(session: AsyncSession) -> ModelFit | None:
    """The most recent model fit."""
    result = await session.scalars(select(ModelFit).order_by(ModelFit.fit_id.desc()).limit(1))
    return result.first()


async def buyers(session: AsyncSession) -> Sequence[Any]:
    """Model inputs of every customer with at least one purchase."""
    result = await session.execute(
        select(*HISTORY_COLUMNS)
        .where(CustomerStats.purchase_days > 0)
        .order_by(CustomerStats.customer_id)
    )
    return result.all()
