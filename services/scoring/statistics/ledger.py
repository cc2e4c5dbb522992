"""Folding a batch of orders and refunds into per-customer statistics, O(1) per transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats, PurchaseDay, RecordedTransaction
from services.scoring.statistics import repository
from services.scoring.statistics.counters import new_stats
from shared.db import chunks


@dataclass(frozen=True)
class Transaction:
    """An order or refund, whichever way it arrived."""

    transaction_id: str
    customer_id: uuid.UUID
    kind: str
    amount: Decimal
    currency: str
    occurred_at: dt.datetime
    refers_to: str | None = None
    discount: Decimal = Decimal(0)


class Ledger:
    """Applies a batch of transactions with a few set-based reads instead of one per item."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.stats: dict[str, CustomerStats] = {}
        self._days: dict[tuple[str, dt.date], PurchaseDay | None] = {}
        self._orders: dict[str, tuple[str, dt.date]] = {}
        # Refunds that arrived before their order, by order id: applied when it comes.
        self._waiting: dict[str, Decimal] = {}

    async def new_only(self, items: Sequence[Transaction]) -> list[Transaction]:
        """Items whose id is neither stored nor repeated earlier in the batch."""
        seen: set[str] = set()
        unique: list[Transaction] = []
        for item in items:
            if item.transaction_id not in seen:
                seen.add(item.transaction_id)
                unique.append(item)
        stored = await repository.recorded_ids(self._session, [t.transaction_id for t in unique])
        return [t for t in unique if t.transaction_id not in stored]

    async def load(self, items: Sequence[Transaction]) -> None:
        """Read the statistics, purchase days and referred orders the batch will touch."""
        customers = sorted({str(t.customer_id) for t in items})
        days = [_day(t.occurred_at) for t in items]
        low, high = min(days), max(days)
        for chunk in chunks(customers):
            for stats in await repository.stats_of(self._session, chunk):
                self.stats[stats.customer_id] = stats
            rows = await repository.purchase_days_between(self._session, chunk, low, high)
            found = {(r.customer_id, r.day): r for r in rows}
            members = set(chunk)
            for item in items:
                key = (str(item.customer_id), _day(item.occurred_at))
                if key[0] in members:
                    self._days[key] = found.get(key)
        referred = sorted({t.refers_to for t in items if t.refers_to})
        orders = await repository.order_days(self._session, referred)
        self._orders.update({tid: (cid, _day(at)) for tid, (cid, at) in orders.items()})
        new_orders = [t.transaction_id for t in items if t.kind == "order"]
        self._waiting.update(await repository.refunds_waiting(self._session, new_orders))

    def _stats(self, customer_id: str) -> CustomerStats:
        stats = self.stats.get(customer_id)
        if stats is None:
            stats = new_stats(customer_id)
            self._session.add(stats)
            self.stats[customer_id] = stats
        return stats

    async def _day(self, customer_id: str, day: dt.date) -> PurchaseDay | None:
        key = (customer_id, day)
        if key not in self._days:
            self._days[key] = await repository.find_purchase_day(self._session, customer_id, day)
        return self._days[key]

    async def apply(self, item: Transaction) -> CustomerStats:
        """Fold one new transaction into its customer's statistics and record its id."""
        cid = str(item.customer_id)
        stats = self._stats(cid)
        self._session.add(
            RecordedTransaction(
                transaction_id=item.transaction_id,
                customer_id=cid,
                kind=item.kind,
                amount=item.amount,
                currency=item.currency,
                occurred_at=item.occurred_at,
                refers_to=item.refers_to,
            )
        )
        if item.kind == "refund":
            await self._apply_refund(stats, item)
        else:
            await self._apply_order(stats, item)
            self._orders[item.transaction_id] = (cid, _day(item.occurred_at))
        return stats

    async def _apply_order(self, stats: CustomerStats, item: Transaction) -> None:
        day = _day(item.occurred_at)
        stats.order_count += 1
        stats.gross_spend += item.amount
        stats.discounted += item.discount
        row = await self._day(stats.customer_id, day)
        if row is None:
            row = PurchaseDay(customer_id=stats.customer_id, day=day, spend=Decimal(0))
            self._session.add(row)
            self._days[(stats.customer_id, day)] = row
            stats.purchase_days += 1
            # An earlier first day re-bases the customer: the old first day becomes a repeat.
            if stats.first_purchase_day is None or day < stats.first_purchase_day:
                stats.first_purchase_day = day
            if stats.last_purchase_day is None or day > stats.last_purchase_day:
                stats.last_purchase_day = day
        row.spend += item.amount - self._waiting.pop(item.transaction_id, Decimal(0))
        if day == stats.first_purchase_day:
            stats.first_day_spend = row.spend
        if stats.first_purchase_at is None or item.occurred_at < stats.first_purchase_at:
            stats.first_purchase_at = item.occurred_at
        if stats.last_purchase_at is None or item.occurred_at > stats.last_purchase_at:
            stats.last_purchase_at = item.occurred_at

    async def _apply_refund(self, stats: CustomerStats, item: Transaction) -> None:
        stats.refund_count += 1
        stats.refunded += item.amount
        # The refund lowers the spend of the day its order was on (else the latest day).
        target = self._orders.get(item.refers_to or "")
        if item.refers_to and target is None:
            # Its order has not arrived: the refund waits for it, so any order gives one result.
            self._waiting[item.refers_to] = (
                self._waiting.get(item.refers_to, Decimal(0)) + item.amount
            )
            return
        day = target[1] if target and target[0] == stats.customer_id else stats.last_purchase_day
        if day is None:
            return
        row = await self._day(stats.customer_id, day)
        if row is None:
            return
        row.spend -= item.amount
        if day == stats.first_purchase_day:
            stats.first_day_spend = row.spend


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()
