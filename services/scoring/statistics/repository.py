"""Queries of statistics, purchase days, recorded transactions and complaint states."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import ComplaintState, CustomerStats, PurchaseDay, RecordedTransaction
from shared.db import chunks


async def find_stats(session: AsyncSession, customer_id: str) -> CustomerStats | None:
    """The statistics row of a customer, if any."""
    return await session.get(CustomerStats, customer_id)


async def find_complaint(session: AsyncSession, complaint_id: str) -> ComplaintState | None:
    """The state row of a complaint, if it was seen before."""
    return await session.get(ComplaintState, complaint_id)


async def find_purchase_day(
    session: AsyncSession, customer_id: str, day: dt.date
) -> PurchaseDay | None:
    """The customer's purchase day row, if they bought that day."""
    return await session.get(PurchaseDay, (customer_id, day))


async def recorded_ids(session: AsyncSession, transaction_ids: Sequence[str]) -> set[str]:
    """Those of `transaction_ids` already recorded."""
    stored: set[str] = set()
    for chunk in chunks(transaction_ids):
        stored.update(
            await session.scalars(
                select(RecordedTransaction.transaction_id).where(
                    RecordedTransaction.transaction_id.in_(chunk)
                )
            )
        )
    return stored


async def stats_of(session: AsyncSession, customer_ids: Sequence[str]) -> Sequence[CustomerStats]:
    """The statistics rows of those customers that have one."""
    result = await session.scalars(
        select(CustomerStats).where(CustomerStats.customer_id.in_(customer_ids))
    )
    return result.all()


async def purchase_days_between(
    session: AsyncSession, customer_ids: Sequence[str], low: dt.date, high: dt.date
) -> Sequence[PurchaseDay]:
    """Purchase days of those customers from `low` to `high`, both included."""
    result = await session.scalars(
        select(PurchaseDay).where(
            PurchaseDay.customer_id.in_(customer_ids),
            PurchaseDay.day >= low,
            PurchaseDay.day <= high,
        )
    )
    return result.all()


async def order_days(
    session: AsyncSession, transaction_ids: Sequence[str]
) -> dict[str, tuple[str, dt.datetime]]:
    """Customer and time of each recorded order among `transaction_ids`."""
    out: dict[str, tuple[str, dt.datetime]] = {}
    for chunk in chunks(transaction_ids):
        result = await session.execute(
            select(
                RecordedTransaction.transaction_id,
                RecordedTransaction.customer_id,
                RecordedTransaction.occurred_at,
            ).where(
                RecordedTransaction.transaction_id.in_(chunk),
                RecordedTransaction.kind == "order",
            )
        )
        out.update({tid: (cid, occurred) for tid, cid, occurred in result.all()})
    return out


async def refunds_waiting(session: AsyncSession, order_ids: Sequence[str]) -> dict[str, Decimal]:
    """Per order id among `order_ids`, the refunds already recorded that refer to it.

    Asked for orders not recorded yet: such refunds arrived before their order and wait for it.
    """
    out: dict[str, Decimal] = {}
    for chunk in chunks(order_ids):
        result = await session.execute(
            select(RecordedTransaction.refers_to, func.sum(RecordedTransaction.amount))
            .where(
                RecordedTransaction.refers_to.in_(chunk),
                RecordedTransaction.kind == "refund",
            )
            .group_by(RecordedTransaction.refers_to)
        )
        out.update({ref: Decimal(total) for ref, total in result.all() if ref is not None})
    return out
