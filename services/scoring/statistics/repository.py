"""Queries of statistics, purchase days, recorded transactions and complaint states."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from services.scoring.models import ComplaintState, CustomerStats, PurchaseDay, RecordedTransaction
from shared.db import chunks

if TYPE_CHECKING:
    from services.scoring.statistics.ledger import Transaction


async def find_stats(session: AsyncSession, customer_id: str) -> CustomerStats | None:
    """The statistics row of a customer, if any."""
    return await session.get(CustomerStats, customer_id)


async def find_complaint(session: AsyncSession, complaint_id: str) -> ComplaintState | None:
    """The state row of a complaint, if it was seen before."""
    return await session.get(ComplaintState, complaint_id)


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


# The statistics columns a batch of transactions, rescoring and state moves change.
PURCHASE_COLUMNS = (
    "order_count",
    "refund_count",
    "gross_spend",
    "refunded",
    "purchase_days",
    "first_purchase_day",
    "last_purchase_day",
    "first_purchase_at",
    "last_purchase_at",
    "first_day_spend",
    "discounted",
    "state",
    "state_since",
    "tier",
    "clv",
    "churn_risk",
    "rfm_segment",
    "lifecycle_stage",
    "scored_at",
)
# Those a new statistics row also starts with (zero counters).
NEW_ROW_COLUMNS = (
    "contact_count",
    "call_event_count",
    "complaints_total",
    "complaints_open",
    "complaints_escalated",
    "handle_seconds",
    "calls_abandoned",
    "sla_breaches",
)
_STATS = cast(Table, CustomerStats.__table__)
_DAYS = cast(Table, PurchaseDay.__table__)
_RECORDED = cast(Table, RecordedTransaction.__table__)
_STATS_CLASS = CustomerStats.__mapper__.class_manager


async def detached_stats(
    session: AsyncSession, customer_ids: Sequence[str]
) -> dict[str, CustomerStats]:
    """Statistics rows of those customers that have one, as objects outside the session.

    A row the session already holds is written first and dropped from it, so nothing the
    session would flush later overwrites what the caller saves.
    """
    await session.flush()
    for cid in customer_ids if session.identity_map else ():
        held = session.identity_map.get(identity_key(CustomerStats, cid))
        if held is not None:
            session.expunge(held)
    result = await session.execute(select(_STATS).where(_STATS.c.customer_id.in_(customer_ids)))
    return {row.customer_id: _detached(row._mapping) for row in result}


def _detached(values: RowMapping) -> CustomerStats:
    """A statistics object holding `values`, built without per-attribute change events."""
    stats: CustomerStats = _STATS_CLASS.new_instance()
    stats.__dict__.update(values)
    return stats


async def day_spends_between(
    session: AsyncSession, customer_ids: Sequence[str], low: dt.date, high: dt.date
) -> dict[tuple[str, dt.date], Decimal]:
    """Spend of those customers' purchase days from `low` to `high`, both included."""
    result = await session.execute(
        select(_DAYS.c.customer_id, _DAYS.c.day, _DAYS.c.spend).where(
            _DAYS.c.customer_id.in_(customer_ids), _DAYS.c.day >= low, _DAYS.c.day <= high
        )
    )
    return {(cid, day): spend for cid, day, spend in result}


async def day_spend(session: AsyncSession, customer_id: str, day: dt.date) -> Decimal | None:
    """The customer's spend on `day`, None if they did not buy that day."""
    spend: Decimal | None = await session.scalar(
        select(_DAYS.c.spend).where(_DAYS.c.customer_id == customer_id, _DAYS.c.day == day)
    )
    return spend


async def insert_recorded(
    session: AsyncSession, items: Sequence[Transaction], *, now: dt.datetime
) -> None:
    """Record the transactions' ids (one statement); a concurrent duplicate fails here."""
    if items:
        rows = [
            {
                "transaction_id": t.transaction_id,
                "customer_id": str(t.customer_id),
                "kind": t.kind,
                "amount": t.amount,
                "currency": t.currency,
                "occurred_at": t.occurred_at,
                "refers_to": t.refers_to,
                "recorded_at": now,
            }
            for t in items
        ]
        await session.execute(insert(_RECORDED), rows)


async def insert_days(session: AsyncSession, spends: dict[tuple[str, dt.date], Decimal]) -> None:
    """New purchase days with their spend, one statement."""
    if spends:
        rows = [{"customer_id": c, "day": d, "spend": s} for (c, d), s in spends.items()]
        await session.execute(insert(_DAYS), rows)


async def update_days(session: AsyncSession, spends: dict[tuple[str, dt.date], Decimal]) -> None:
    """New spend of existing purchase days, one statement run for all of them."""
    if spends:
        statement = (
            update(_DAYS)
            .where(
                _DAYS.c.customer_id == bindparam("k_customer"), _DAYS.c.day == bindparam("k_day")
            )
            .values(spend=bindparam("k_spend"))
        )
        rows = [{"k_customer": c, "k_day": d, "k_spend": s} for (c, d), s in spends.items()]
        await session.execute(statement, rows)


async def insert_stats(
    session: AsyncSession, rows: Sequence[CustomerStats], *, now: dt.datetime
) -> None:
    """New statistics rows, one statement."""
    if rows:
        columns = ("customer_id", *PURCHASE_COLUMNS, *NEW_ROW_COLUMNS)
        values = [{c: getattr(r, c) for c in columns} | {"updated_at": now} for r in rows]
        await session.execute(insert(_STATS), values)


async def update_stats(
    session: AsyncSession, rows: Sequence[CustomerStats], *, now: dt.datetime
) -> None:
    """Purchase, score and state columns of existing statistics rows, one statement run."""
    if rows:
        statement = (
            update(_STATS)
            .where(_STATS.c.customer_id == bindparam("k_customer"))
            .values({c: bindparam(f"k_{c}") for c in (*PURCHASE_COLUMNS, "updated_at")})
        )
        values = [
            {f"k_{c}": getattr(r, c) for c in PURCHASE_COLUMNS}
            | {"k_customer": r.customer_id, "k_updated_at": now}
            for r in rows
        ]
        await session.execute(statement, values)


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
