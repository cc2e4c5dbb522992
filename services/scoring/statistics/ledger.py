"""Folding a batch of orders and refunds into per-customer statistics, O(1) per transaction.

Set-based: one read of the statistics, purchase days and referred orders the batch touches,
the batch folded in memory, then one insert or update statement per table for the whole batch
(`save`). The statistics are detached objects: rescoring reads and changes them in memory and
`save` writes what both changed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import CustomerStats
from services.scoring.statistics import repository
from services.scoring.statistics.counters import new_stats
from shared.db import chunks

DayKey = tuple[str, dt.date]


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
    """Applies a batch of transactions with a few set-based reads and writes."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.stats: dict[str, CustomerStats] = {}
        self._created: set[str] = set()
        # Spend per (customer, day); None: no purchase that day.
        self._days: dict[DayKey, Decimal | None] = {}
        self._new_days: set[DayKey] = set()
        self._changed_days: set[DayKey] = set()
        self._orders: dict[str, DayKey] = {}
        self._recorded: list[Transaction] = []
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
            self.stats.update(await repository.detached_stats(self._session, chunk))
            found = await repository.day_spends_between(self._session, chunk, low, high)
            members = set(chunk)
            for item, day in zip(items, days, strict=True):
                key = (str(item.customer_id), day)
                if key[0] in members:
                    self._days[key] = found.get(key)
        referred = sorted({t.refers_to for t in items if t.refers_to})
        orders = await repository.order_days(self._session, referred)
        self._orders.update({tid: (cid, _day(at)) for tid, (cid, at) in orders.items()})
        new_orders = [t.transaction_id for t in items if t.kind == "order"]
        self._waiting.update(await repository.refunds_waiting(self._session, new_orders))

    def unknown_orders(self, items: Sequence[Transaction]) -> list[str]:
        """Ids that refunds among `items` refer to, loaded, and neither a recorded order nor an
        order in `items` (a refund refers to an order by the order's `transaction_id`)."""
        batch = {t.transaction_id for t in items if t.kind == "order"}
        return sorted(
            {
                t.refers_to
                for t in items
                if t.kind == "refund"
                and t.refers_to
                and t.refers_to not in self._orders
                and t.refers_to not in batch
            }
        )

    def _stats(self, customer_id: str) -> CustomerStats:
        stats = self.stats.get(customer_id)
        if stats is None:
            stats = new_stats(customer_id)
            self._created.add(customer_id)
            self.stats[customer_id] = stats
        return stats

    async def _spend(self, key: DayKey) -> Decimal | None:
        if key not in self._days:
            self._days[key] = await repository.day_spend(self._session, *key)
        return self._days[key]

    def _add_spend(self, key: DayKey, amount: Decimal) -> Decimal:
        spend = (self._days.get(key) or Decimal(0)) + amount
        self._days[key] = spend
        if key not in self._new_days:
            self._changed_days.add(key)
        return spend

    async def apply(self, item: Transaction) -> CustomerStats:
        """Fold one new transaction into its customer's statistics and record its id."""
        cid = str(item.customer_id)
        stats = self._stats(cid)
        self._recorded.append(item)
        if item.kind == "refund":
            await self._apply_refund(stats, item)
        else:
            self._apply_order(stats, item)
            self._orders[item.transaction_id] = (cid, _day(item.occurred_at))
        return stats

    def _apply_order(self, stats: CustomerStats, item: Transaction) -> None:
        day = _day(item.occurred_at)
        key = (stats.customer_id, day)
        stats.order_count += 1
        stats.gross_spend += item.amount
        stats.discounted += item.discount
        if self._days.get(key) is None:
            self._days[key] = Decimal(0)
            self._new_days.add(key)
            stats.purchase_days += 1
            # An earlier first day re-bases the customer: the old first day becomes a repeat.
            if stats.first_purchase_day is None or day < stats.first_purchase_day:
                stats.first_purchase_day = day
            if stats.last_purchase_day is None or day > stats.last_purchase_day:
                stats.last_purchase_day = day
        waited = self._waiting.pop(item.transaction_id, Decimal(0))
        spend = self._add_spend(key, item.amount - waited)
        if day == stats.first_purchase_day:
            stats.first_day_spend = spend
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
        if day is None or await self._spend((stats.customer_id, day)) is None:
            return
        spend = self._add_spend((stats.customer_id, day), -item.amount)
        if day == stats.first_purchase_day:
            stats.first_day_spend = spend

    async def save(self, now: dt.datetime) -> None:
        """Write the batch: recorded transactions, purchase days and statistics, set-based."""
        session = self._session
        await repository.insert_recorded(session, self._recorded, now=now)
        spends = self._days
        await repository.insert_days(session, {k: spends[k] or Decimal(0) for k in self._new_days})
        changed = self._changed_days - self._new_days
        await repository.update_days(session, {k: spends[k] or Decimal(0) for k in changed})
        created = [s for cid, s in self.stats.items() if cid in self._created]
        existing = [s for cid, s in self.stats.items() if cid not in self._created]
        await repository.insert_stats(session, created, now=now)
        await repository.update_stats(session, existing, now=now)


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()
