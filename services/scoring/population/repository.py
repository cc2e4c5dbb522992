"""Queries of every customer's model inputs and service signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.model.repository import HISTORY_COLUMNS
from services.scoring.models import CustomerStats, PurchaseDay

SIGNAL_COLUMNS = (
    CustomerStats.complaints_open,
    CustomerStats.last_complaint_at,
    CustomerStats.last_csat,
    CustomerStats.last_nps,
    CustomerStats.handle_seconds,
    CustomerStats.last_quality,
)


async def all_stats(session: AsyncSession) -> Sequence[Any]:
    """Model inputs and service signals of every customer."""
    result = await session.execute(
        select(*HISTORY_COLUMNS, *SIGNAL_COLUMNS).order_by(CustomerStats.customer_id)
    )
    return result.all()


async def profit_rows(session: AsyncSession) -> Sequence[Any]:
    """Revenue and handle time of every customer who ordered."""
    result = await session.execute(
        select(
            CustomerStats.customer_id,
            CustomerStats.gross_spend,
            CustomerStats.refunded,
            CustomerStats.handle_seconds,
        )
        .where(CustomerStats.order_count > 0)
        .order_by(CustomerStats.customer_id)
    )
    return result.all()


LOYALTY_COLUMNS = (
    CustomerStats.customer_id,
    CustomerStats.tier,
    CustomerStats.purchase_days,
    CustomerStats.gross_spend,
    CustomerStats.discounted,
    CustomerStats.declared_wallet,
    CustomerStats.last_nps,
)


async def loyalty_rows(session: AsyncSession) -> Sequence[Any]:
    """What the loyalty measures read of every customer who ordered or answered a survey."""
    result = await session.execute(
        select(*LOYALTY_COLUMNS)
        .where((CustomerStats.order_count > 0) | (CustomerStats.last_nps.is_not(None)))
        .order_by(CustomerStats.customer_id)
    )
    return result.all()


async def spend_since(session: AsyncSession, day: dt.date) -> dict[str, Decimal]:
    """Net spend per customer on purchase days from `day` on."""
    result = await session.execute(
        select(PurchaseDay.customer_id, func.sum(PurchaseDay.spend))
        .where(PurchaseDay.day >= day)
        .group_by(PurchaseDay.customer_id)
    )
    return {cid: Decimal(total or 0) for cid, total in result.all()}
