"""Queries of the scoring service's database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats


async def find_stats(session: AsyncSession, customer_id: str) -> CustomerStats | None:
    """The statistics row of a customer, if any event about them has been applied."""
    return await session.get(CustomerStats, customer_id)
