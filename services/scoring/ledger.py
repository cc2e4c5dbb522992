"""Folding transactions, contacts and complaints into per-customer statistics, O(1) per item."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.models import (
    ComplaintState,
    CustomerStats,
    PurchaseDay,
    RecordedTransaction,
)

# Rows per IN (...) query: well under SQLite's and PostgreSQL's bind-parameter limits.
CHUNK = 500


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


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def new_stats(customer_id: str) -> CustomerStats:
    """An empty statistics row (events for unknown customers create their statistics)."""
    return CustomerStats(
        customer_id=customer_id,
        contact_count=0,
        call_event_count=0,
        order_count=0,
        refund_count=0,
        gross_spend=Decimal(0),
        refunded=Decimal(0),
        purchase_days=0,
        first_day_spend=Decimal(0),
        complaints_total=0,
        complaints_open=0,
        complaints_escalated=0,
    )


async def stats_for_update(session: AsyncSession, customer_id: str) -> CustomerStats:
    """The customer's statistics row, created when this is the first event about them."""
    stats = await session.get(CustomerStats, customer_id)
    if stats is None:
        stats = new_stats(customer_id)
        session.add(stats)
    return stats


class Ledger:
    """Applies a batch of transactions with a few set-based reads instead of one per item."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.stats: dict[str, CustomerStats] = {}
        self._days: dict[tuple[str, dt.date], PurchaseDay | None] = {}
        self._orders: dict[str, tuple[str, dt.date]] = {}

    async def new_only(self, items: Sequence[Transaction]) -> list[Transaction]:
        """Items whose id is neither stored nor repeated earlier in the batch."""
        seen: set[str] = set()
        unique: list[Transaction] = []
        for item in items:
            if item.transaction_id not in seen:
                seen.add(item.transaction_id)
                unique.append(item)
        ids = [t.transaction_id for t in unique]
        stored: set[str] = set()
        for chunk in _chunks(ids):
            result = await self._session.scalars(
                select(RecordedTransaction.transaction_id).where(
                    RecordedTransaction.transaction_id.in_(chunk)
                )
            )
            stored.update(result)
        return [t for t in unique if t.transaction_id not in stored]

    async def load(self, items: Sequence[Transaction]) -> None:
        """Read the statistics, purchase days and referred orders the batch will touch."""
        customers = sorted({str(t.customer_id) for t in items})
        days = [_day(t.occurred_at) for t in items]
        low, high = min(days), max(days)
        for chunk in _chunks(customers):
            for stats in await self._session.scalars(
                select(CustomerStats).where(CustomerStats.customer_id.in_(chunk))
            ):
                self.stats[stats.customer_id] = stats
            rows = await self._session.scalars(
                select(PurchaseDay).where(
                    PurchaseDay.customer_id.in_(chunk),
                    PurchaseDay.day >= low,
                    PurchaseDay.day <= high,
                )
            )
            found = {(r.customer_id, r.day): r for r in rows}
            members = set(chunk)
            for item in items:
                key = (str(item.customer_id), _day(item.occurred_at))
                if key[0] in members:
                    self._days[key] = found.get(key)
        referred = sorted({t.refers_to for t in items if t.refers_to})
        for chunk in _chunks(referred):
            result = await self._session.execute(
                select(
                    RecordedTransaction.transaction_id,
                    RecordedTransaction.customer_id,
                    RecordedTransaction.occurred_at,
                ).where(
                    RecordedTransaction.transaction_id.in_(chunk),
                    RecordedTransaction.kind == "order",
                )
            )
            for tid, cid, occurred in result.all():
                self._orders[tid] = (cid, _day(occurred))

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
            self._days[key] = await self._session.get(PurchaseDay, key)
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
        row.spend += item.amount
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


def record_contact(
    stats: CustomerStats,
    occurred_at: dt.datetime,
    *,
    channel: str,
    new_contact: bool,
    call_event: bool = True,
) -> None:
    """Count a contact event; a new contact also counts once for its channel."""
    if call_event:
        stats.call_event_count += 1
    if new_contact:
        stats.contact_count += 1
        channels = dict(stats.contacts_by_channel or {})
        channels[channel] = channels.get(channel, 0) + 1
        stats.contacts_by_channel = channels
    if stats.first_contact_at is None or occurred_at < stats.first_contact_at:
        stats.first_contact_at = occurred_at
    if stats.last_contact_at is None or occurred_at > stats.last_contact_at:
        stats.last_contact_at = occurred_at


async def complaint_state(
    session: AsyncSession, stats: CustomerStats, complaint_id: uuid.UUID, *, is_open: bool
) -> tuple[ComplaintState, bool]:
    """The complaint's state row, counted in the totals when first seen; True if it is new."""
    state = await session.get(ComplaintState, str(complaint_id))
    if state is not None:
        return state, False
    state = ComplaintState(
        complaint_id=str(complaint_id), customer_id=stats.customer_id, is_open=is_open
    )
    session.add(state)
    stats.complaints_total += 1
    if is_open:
        stats.complaints_open += 1
    return state, True


def set_open(stats: CustomerStats, state: ComplaintState, is_open: bool) -> None:
    """Open or close a known complaint, keeping the open count right under repeats."""
    if state.is_open and not is_open:
        stats.complaints_open = max(0, stats.complaints_open - 1)
    elif not state.is_open and is_open:
        stats.complaints_open += 1
    state.is_open = is_open


def set_root_cause(stats: CustomerStats, state: ComplaintState, root_cause: str) -> None:
    """Count the complaint under its (latest) root cause."""
    if state.root_cause == root_cause:
        return
    causes = dict(stats.complaints_by_root_cause or {})
    if state.root_cause is not None:
        causes[state.root_cause] = max(0, causes.get(state.root_cause, 0) - 1)
    causes[root_cause] = causes.get(root_cause, 0) + 1
    stats.complaints_by_root_cause = causes
    state.root_cause = root_cause


def touch_complaint_time(stats: CustomerStats, moment: dt.datetime) -> None:
    """Remember the latest complaint activity."""
    if stats.last_complaint_at is None or moment > stats.last_complaint_at:
        stats.last_complaint_at = moment
