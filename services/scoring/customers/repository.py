"""Queries of aliases, erasure tombstones and every per-customer row a merge or erasure moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import (
    ComplaintState,
    CustomerAlias,
    CustomerStats,
    ErasedCustomer,
    ProgrammeMember,
    PurchaseDay,
    RecordedTransaction,
    ScoreHistory,
    StateChange,
)
from shared.db import chunks

# Tables holding per-customer rows by `customer_id`, moved on a merge and deleted on erasure.
OWNED = (RecordedTransaction, ComplaintState, ScoreHistory, StateChange)


async def find_alias(session: AsyncSession, merged_id: str) -> CustomerAlias | None:
    """The alias of a merged id, if it was merged."""
    return await session.get(CustomerAlias, merged_id)


async def is_erased(session: AsyncSession, customer_id: str) -> bool:
    """True if the customer was erased."""
    return await session.get(ErasedCustomer, customer_id) is not None


async def survivors(session: AsyncSession, merged_ids: Sequence[str]) -> dict[str, str]:
    """The survivor of each of `merged_ids` that was merged."""
    out: dict[str, str] = {}
    for chunk in chunks(merged_ids):
        rows = await session.execute(
            select(CustomerAlias.merged_id, CustomerAlias.customer_id).where(
                CustomerAlias.merged_id.in_(chunk)
            )
        )
        out.update({merged: survivor for merged, survivor in rows.all()})
    return out


async def erased_among(session: AsyncSession, customer_ids: Sequence[str]) -> set[str]:
    """Those of `customer_ids` that were erased."""
    out: set[str] = set()
    for chunk in chunks(customer_ids):
        out.update(
            await session.scalars(
                select(ErasedCustomer.customer_id).where(ErasedCustomer.customer_id.in_(chunk))
            )
        )
    return out


async def merged_into(session: AsyncSession, customer_id: str) -> list[str]:
    """Ids merged into the customer."""
    result = await session.scalars(
        select(CustomerAlias.merged_id).where(CustomerAlias.customer_id == customer_id)
    )
    return list(result)


async def repoint_aliases(session: AsyncSession, source: str, survivor: str) -> None:
    """Make ids merged into `source` point at `survivor`."""
    await session.execute(
        update(CustomerAlias)
        .where(CustomerAlias.customer_id == source)
        .values(customer_id=survivor)
    )


async def locked_stats(session: AsyncSession, ids: list[str]) -> dict[str, CustomerStats]:
    """The statistics rows of `ids`, locked in id order so concurrent events wait for the merge."""
    result = await session.scalars(
        select(CustomerStats)
        .where(CustomerStats.customer_id.in_(ids))
        .order_by(CustomerStats.customer_id)
        .with_for_update()
    )
    return {row.customer_id: row for row in result}


async def purchase_days_of(session: AsyncSession, customer_id: str) -> list[PurchaseDay]:
    """Every purchase day of the customer."""
    result = await session.scalars(
        select(PurchaseDay).where(PurchaseDay.customer_id == customer_id)
    )
    return list(result)


async def purchase_days_on(
    session: AsyncSession, customer_id: str, days: Sequence[dt.date]
) -> dict[dt.date, PurchaseDay]:
    """The customer's purchase days among `days`."""
    out: dict[dt.date, PurchaseDay] = {}
    for chunk in chunks(days):
        found = await session.scalars(
            select(PurchaseDay).where(
                PurchaseDay.customer_id == customer_id, PurchaseDay.day.in_(chunk)
            )
        )
        out.update({r.day: r for r in found})
    return out


async def rekey_owned_rows(session: AsyncSession, source: str, survivor: str) -> None:
    """Move the transactions, complaint states and score history of `source` to `survivor`."""
    for table in OWNED:
        await session.execute(
            update(table).where(table.customer_id == source).values(customer_id=survivor)
        )


async def delete_customers(session: AsyncSession, customer_id: str, ids: Sequence[str]) -> None:
    """Delete the aliases of `customer_id` and every per-customer row of `ids`."""
    await session.execute(
        delete(CustomerAlias).where(
            or_(CustomerAlias.customer_id == customer_id, CustomerAlias.merged_id == customer_id)
        )
    )
    # Programme memberships go too: the measured effect then counts the others only.
    for table in (*OWNED, PurchaseDay, CustomerStats, ProgrammeMember):
        await session.execute(delete(table).where(table.customer_id.in_(ids)))
