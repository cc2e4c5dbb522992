"""Customer identity in scoring: merges fold one customer into another, erasures delete one.

A merged id resolves to the customer it was merged into (`customer_alias`), so events that
still carry the old id count for the survivor; an erased id resolves to nothing
(`erased_customer`), so later events about it are ignored instead of recreating its data.
Invariants: an alias never points at an erased or merged id, and an erased id has no alias.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import ledger
from services.scoring.models import (
    ComplaintState,
    CustomerAlias,
    CustomerStats,
    ErasedCustomer,
    PurchaseDay,
    RecordedTransaction,
    ScoreHistory,
)
from shared.logging import get_logger

log = get_logger(__name__)

# Tables holding per-customer rows by `customer_id`, moved on a merge and deleted on erasure.
OWNED = (RecordedTransaction, ComplaintState, ScoreHistory)
T = TypeVar("T", dt.datetime, dt.date)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), ledger.CHUNK):
        yield items[start : start + ledger.CHUNK]


# --- resolving ids ----------------------------------------------------------------------------


async def resolve_id(session: AsyncSession, customer_id: str) -> str | None:
    """The id events about `customer_id` count for: its survivor, itself, or None if erased."""
    alias = await session.get(CustomerAlias, customer_id)
    if alias is not None:
        return alias.customer_id
    if await session.get(ErasedCustomer, customer_id) is not None:
        return None
    return customer_id


async def resolve_ids(session: AsyncSession, customer_ids: Iterable[str]) -> dict[str, str | None]:
    """`resolve_id` of several ids with a few set-based reads."""
    ids = sorted(set(customer_ids))
    out: dict[str, str | None] = {cid: cid for cid in ids}
    for chunk in _chunks(ids):
        aliases = await session.execute(
            select(CustomerAlias.merged_id, CustomerAlias.customer_id).where(
                CustomerAlias.merged_id.in_(chunk)
            )
        )
        out.update({merged: survivor for merged, survivor in aliases.all()})
        erased = await session.scalars(
            select(ErasedCustomer.customer_id).where(ErasedCustomer.customer_id.in_(chunk))
        )
        out.update(dict.fromkeys(erased))
    return out


def log_ignored(customer_id: object, event: str, count: int = 1) -> None:
    """Record that events about an erased customer were dropped (the id only, no personal data)."""
    log.info("erased_customer_event_ignored", customer_id=str(customer_id), kind=event, count=count)


# --- merging ----------------------------------------------------------------------------------


async def merge(
    session: AsyncSession, *, source: str, target: str, at: dt.datetime
) -> CustomerStats | None:
    """Fold everything of `source` into `target` (or the customer `target` was merged into).

    Returns the survivor's statistics when data moved and it needs rescoring; None when there
    was nothing to move (e.g. a redelivered merge) or the merge is ignored.
    """
    survivor = await resolve_id(session, target)
    reason = None
    if survivor is None:
        reason = "survivor-erased"
    elif await session.get(ErasedCustomer, source) is not None:
        reason = "merged-customer-erased"
    elif survivor == source:
        reason = "same-customer"
    if reason is not None or survivor is None:
        log.info("customer_merge_ignored", customer_id=target, merged_id=source, reason=reason)
        return None
    await _point_aliases(session, source, survivor, at)
    rows = await _locked_stats(session, [source, survivor])
    moved = rows.get(source)
    if moved is None:
        return None
    kept = rows.get(survivor)
    if kept is None:
        kept = ledger.new_stats(survivor)
        session.add(kept)
    new_days, day_spend = await _move_days(session, source, survivor)
    fold_stats(kept, moved, new_days=new_days)
    if kept.first_purchase_day in day_spend:
        kept.first_day_spend = day_spend[kept.first_purchase_day]
    for table in OWNED:
        await session.execute(
            update(table).where(table.customer_id == source).values(customer_id=survivor)
        )
    await session.delete(moved)
    await session.flush()
    log.info("customers_merged", customer_id=survivor, merged_id=source)
    return kept


async def _point_aliases(
    session: AsyncSession, source: str, survivor: str, at: dt.datetime
) -> None:
    """Alias `source` to the survivor, and repoint ids earlier merged into `source`."""
    await session.execute(
        update(CustomerAlias)
        .where(CustomerAlias.customer_id == source)
        .values(customer_id=survivor)
    )
    alias = await session.get(CustomerAlias, source)
    if alias is None:
        session.add(CustomerAlias(merged_id=source, customer_id=survivor, merged_at=at))
    else:
        alias.customer_id = survivor


async def _locked_stats(session: AsyncSession, ids: list[str]) -> dict[str, CustomerStats]:
    """The statistics rows of `ids`, locked in id order so concurrent events wait for the merge."""
    result = await session.scalars(
        select(CustomerStats)
        .where(CustomerStats.customer_id.in_(ids))
        .order_by(CustomerStats.customer_id)
        .with_for_update()
    )
    return {row.customer_id: row for row in result}


async def _move_days(
    session: AsyncSession, source: str, survivor: str
) -> tuple[int, dict[dt.date, Decimal]]:
    """Move purchase days; a day both bought on gets the sum of both spends.

    Returns how many days are new to the survivor and the spend of every day touched.
    """
    rows = list(await session.scalars(select(PurchaseDay).where(PurchaseDay.customer_id == source)))
    existing: dict[dt.date, PurchaseDay] = {}
    days = [r.day for r in rows]
    for start in range(0, len(days), ledger.CHUNK):
        found = await session.scalars(
            select(PurchaseDay).where(
                PurchaseDay.customer_id == survivor,
                PurchaseDay.day.in_(days[start : start + ledger.CHUNK]),
            )
        )
        existing.update({r.day: r for r in found})
    spend: dict[dt.date, Decimal] = {}
    for row in rows:
        kept = existing.get(row.day)
        if kept is None:
            kept = PurchaseDay(customer_id=survivor, day=row.day, spend=row.spend)
            session.add(kept)
        else:
            kept.spend += row.spend
        spend[row.day] = kept.spend
        await session.delete(row)
    return len(rows) - len(existing), spend


def fold_stats(into: CustomerStats, src: CustomerStats, *, new_days: int) -> None:
    """Add `src`'s running statistics to `into`'s (`new_days`: purchase days `into` lacked).

    The scores last published stay the survivor's, so the rescoring after the merge compares
    against what subscribers last heard about the survivor.
    """
    _fold_contacts(into, src)
    _fold_purchases(into, src, new_days)
    _fold_complaints(into, src)


def _fold_contacts(into: CustomerStats, src: CustomerStats) -> None:
    into.contact_count += src.contact_count
    into.call_event_count += src.call_event_count
    into.first_contact_at = _earliest(into.first_contact_at, src.first_contact_at)
    into.last_contact_at = _latest(into.last_contact_at, src.last_contact_at)
    into.contacts_by_channel = _add_counts(into.contacts_by_channel, src.contacts_by_channel)


def _fold_purchases(into: CustomerStats, src: CustomerStats, new_days: int) -> None:
    into.order_count += src.order_count
    into.refund_count += src.refund_count
    into.gross_spend += src.gross_spend
    into.refunded += src.refunded
    into.purchase_days += new_days
    into.first_purchase_day = _earliest(into.first_purchase_day, src.first_purchase_day)
    into.last_purchase_day = _latest(into.last_purchase_day, src.last_purchase_day)
    into.first_purchase_at = _earliest(into.first_purchase_at, src.first_purchase_at)
    into.last_purchase_at = _latest(into.last_purchase_at, src.last_purchase_at)


def _fold_complaints(into: CustomerStats, src: CustomerStats) -> None:
    into.complaints_total += src.complaints_total
    into.complaints_open += src.complaints_open
    into.complaints_escalated += src.complaints_escalated
    into.complaints_by_root_cause = _add_counts(
        into.complaints_by_root_cause, src.complaints_by_root_cause
    )
    into.last_complaint_at = _latest(into.last_complaint_at, src.last_complaint_at)
    if src.last_surveyed_at is not None and (
        into.last_surveyed_at is None or src.last_surveyed_at > into.last_surveyed_at
    ):
        into.last_csat, into.last_nps = src.last_csat, src.last_nps
        into.last_surveyed_at = src.last_surveyed_at


def _earliest(a: T | None, b: T | None) -> T | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: T | None, b: T | None) -> T | None:
    return b if a is None else a if b is None else max(a, b)


def _add_counts(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if not b:
        return a
    out = dict(a or {})
    for key, n in b.items():
        out[key] = out.get(key, 0) + n
    return out


# --- erasure ----------------------------------------------------------------------------------


async def erase(session: AsyncSession, customer_id: str, at: dt.datetime) -> list[str]:
    """Delete every row about the customer and tombstone it and the ids merged into it.

    Returns the ids tombstoned. An erased merged id loses its alias only: its data was already
    folded into the survivor, which is another, live customer.
    """
    merged = list(
        await session.scalars(
            select(CustomerAlias.merged_id).where(CustomerAlias.customer_id == customer_id)
        )
    )
    ids = [customer_id, *merged]
    await session.execute(
        delete(CustomerAlias).where(
            or_(CustomerAlias.customer_id == customer_id, CustomerAlias.merged_id == customer_id)
        )
    )
    for table in (*OWNED, PurchaseDay, CustomerStats):
        await session.execute(delete(table).where(table.customer_id.in_(ids)))
    for erased in ids:
        if await session.get(ErasedCustomer, erased) is None:
            session.add(ErasedCustomer(customer_id=erased, erased_at=at))
    await session.flush()
    log.info("customer_erased", customer_id=customer_id, merged_ids=len(merged))
    return ids
