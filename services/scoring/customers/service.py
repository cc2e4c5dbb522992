"""Customer identity in scoring: merges fold one customer into another, erasures delete one.

A merged id resolves to the customer it was merged into (`customer_alias`), so events that
still carry the old id count for the survivor; an erased id resolves to nothing
(`erased_customer`), so later events about it are ignored instead of recreating its data.
Invariants: an alias never points at an erased or merged id, and an erased id has no alias.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.customers import repository
from services.scoring.customers.folding import fold_stats
from services.scoring.models import CustomerAlias, CustomerStats, ErasedCustomer, PurchaseDay
from services.scoring.scores.service import Scorer, rescore
from services.scoring.statistics.counters import new_stats
from shared.logging import get_logger
from shared.outbox_scrub import redactor, scrub_outbox

log = get_logger(__name__)


async def resolve_id(session: AsyncSession, customer_id: str) -> str | None:
    """The id events about `customer_id` count for: its survivor, itself, or None if erased."""
    alias = await repository.find_alias(session, customer_id)
    if alias is not None:
        return alias.customer_id
    if await repository.is_erased(session, customer_id):
        return None
    return customer_id


async def resolve_ids(session: AsyncSession, customer_ids: Iterable[str]) -> dict[str, str | None]:
    """`resolve_id` of several ids with a few set-based reads."""
    ids = sorted(set(customer_ids))
    out: dict[str, str | None] = {cid: cid for cid in ids}
    out.update(await repository.survivors(session, ids))
    out.update(dict.fromkeys(await repository.erased_among(session, ids)))
    return out


def log_ignored(customer_id: object, event: str, count: int = 1) -> None:
    """Record that events about an erased customer were dropped (the id only, no personal data)."""
    log.info("erased_customer_event_ignored", customer_id=str(customer_id), kind=event, count=count)


async def merge_customers(
    session: AsyncSession,
    customer_id: uuid.UUID,
    merged_customer_id: uuid.UUID,
    *,
    merged_at: dt.datetime,
    scorer: Scorer,
) -> int:
    """Fold the merged customer into the survivor and rescore it; returns events staged.

    Later events for the merged id count for the survivor. A merge with nothing to move (a
    redelivery, or a customer scoring never saw) only records the alias.
    """
    survivor = await _merge(
        session, source=str(merged_customer_id), target=str(customer_id), at=merged_at
    )
    if survivor is None:
        return 0
    return await rescore(session, survivor, scorer=scorer, cause="merge")


async def _merge(
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
    elif await repository.is_erased(session, source):
        reason = "merged-customer-erased"
    elif survivor == source:
        reason = "same-customer"
    if reason is not None or survivor is None:
        log.info("customer_merge_ignored", customer_id=target, merged_id=source, reason=reason)
        return None
    await _point_aliases(session, source, survivor, at)
    rows = await repository.locked_stats(session, [source, survivor])
    moved = rows.get(source)
    if moved is None:
        return None
    kept = rows.get(survivor)
    if kept is None:
        kept = new_stats(survivor)
        session.add(kept)
    new_days, day_spend = await _move_days(session, source, survivor)
    fold_stats(kept, moved, new_days=new_days)
    if kept.first_purchase_day in day_spend:
        kept.first_day_spend = day_spend[kept.first_purchase_day]
    await repository.rekey_owned_rows(session, source, survivor)
    await session.delete(moved)
    await session.flush()
    log.info("customers_merged", customer_id=survivor, merged_id=source)
    return kept


async def _point_aliases(
    session: AsyncSession, source: str, survivor: str, at: dt.datetime
) -> None:
    """Alias `source` to the survivor, and repoint ids earlier merged into `source`."""
    await repository.repoint_aliases(session, source, survivor)
    alias = await repository.find_alias(session, source)
    if alias is None:
        session.add(CustomerAlias(merged_id=source, customer_id=survivor, merged_at=at))
    else:
        alias.customer_id = survivor


async def _move_days(
    session: AsyncSession, source: str, survivor: str
) -> tuple[int, dict[dt.date, Decimal]]:
    """Move purchase days; a day both bought on gets the sum of both spends.

    Returns how many days are new to the survivor and the spend of every day touched.
    """
    rows = await repository.purchase_days_of(session, source)
    existing = await repository.purchase_days_on(session, survivor, [r.day for r in rows])
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


async def erase_customer(
    session: AsyncSession, customer_id: uuid.UUID, *, erased_at: dt.datetime
) -> list[str]:
    """Delete everything scoring keeps about the customer; later events about it are ignored.

    Tombstones the customer and the ids merged into it, and returns them. An erased merged id
    loses its alias only: its data was already folded into the survivor, another live customer.
    Its published events leave the outbox.
    """
    erased = str(customer_id)
    merged = await repository.merged_into(session, erased)
    ids = [erased, *merged]
    await repository.delete_customers(session, erased, ids)
    # Scoring's events name no person; published ones about the customer go, waiting ones stay.
    await scrub_outbox(session, customer_ids=ids, redact=redactor((), ()))
    for tombstoned in ids:
        if not await repository.is_erased(session, tombstoned):
            session.add(ErasedCustomer(customer_id=tombstoned, erased_at=erased_at))
    await session.flush()
    log.info("customer_erased", customer_id=erased, merged_ids=len(merged))
    return ids
