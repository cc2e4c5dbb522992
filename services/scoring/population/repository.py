"""Queries of every customer's model inputs and service signals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.model.repository import HISTORY_COLUMNS
from services.scoring.models import CustomerStats

SIGNAL_COLUMNS = (
    CustomerStats.complaints_open,
    CustomerStats.last_complaint_at,
    CustomerStats.last_csat,
    CustomerStats.last_nps,
)


async def all_stats(session: AsyncSession) -> Sequence[Any]:
    """Model inputs and service signals of every customer."""
    result = await session.execute(
        select(*HISTORY_COLUMNS, *SIGNAL_COLUMNS).order_by(CustomerStats.customer_id)
    )
    return result.all()
