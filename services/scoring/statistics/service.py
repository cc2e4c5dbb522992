"""Recording what happens to customers into their statistics, then rescoring them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.customers.service import log_ignored, resolve_id, resolve_ids
from services.scoring.errors import (
    TooManyTransactionsError,
    TransactionConflictError,
    UnknownOrderError,
)
from services.scoring.models import CustomerStats
from services.scoring.scores.service import Scorer, rescore, rescore_many
from services.scoring.statistics import counters, repository
from services.scoring.statistics.ledger import Ledger, Transaction
from shared.db import utcnow


@dataclass(frozen=True)
class TransactionsRecorded:
    """What recording a batch of transactions changed."""

    accepted: int
    duplicates: int
    customers: int
    events_published: int


@dataclass(frozen=True)
class ComplaintChange:
    """What one complaint event says about a complaint."""

    complaint_id: uuid.UUID
    customer_id: uuid.UUID
    at: dt.datetime
    is_open: bool | None = None
    root_cause: str | None = None
    escalated: bool = False


async def _stats_for(
    session: AsyncSession, customer_id: uuid.UUID, kind: str
) -> CustomerStats | None:
    """The statistics an event about `customer_id` counts for: the survivor's if it was merged,
    created on the first event; None (and the event logged as ignored) if it was erased."""
    resolved = await resolve_id(session, str(customer_id))
    if resolved is None:
        log_ignored(customer_id, kind)
        return None
    stats = await repository.find_stats(session, resolved)
    if stats is None:
        stats = counters.new_stats(resolved)
        session.add(stats)
    return stats


async def record_call_event(
    session: AsyncSession,
    customer_id: uuid.UUID,
    occurred_at: dt.datetime,
    *,
    first_event_of_call: bool,
) -> CustomerStats | None:
    """Count a call event; the first event of a call also counts one contact."""
    stats = await _stats_for(session, customer_id, "call_event")
    if stats is not None:
        counters.count_contact(
            stats, occurred_at, channel="call", new_contact=first_event_of_call, call_event=True
        )
        await session.flush()
    return stats


async def record_contact(
    session: AsyncSession, *, customer_id: uuid.UUID, occurred_at: dt.datetime, channel: str
) -> CustomerStats | None:
    """Count a non-voice contact (e-mail, chat, web form, SMS) under its channel."""
    stats = await _stats_for(session, customer_id, "contact")
    if stats is not None:
        counters.count_contact(
            stats, occurred_at, channel=channel, new_contact=True, call_event=False
        )
        await session.flush()
    return stats


async def record_transactions(
    session: AsyncSession,
    items: Sequence[Transaction],
    *,
    scorer: Scorer,
    now: dt.datetime | None = None,
    known_orders_only: bool = True,
) -> TransactionsRecorded:
    """Apply each transaction not seen before, then rescore every customer it touched.

    Raises `TooManyTransactionsError` over the batch limit, `UnknownOrderError` when a refund
    refers to an order neither recorded nor in the batch (unless `known_orders_only` is False),
    and `TransactionConflictError` when a transaction of the batch was recorded concurrently.
    Transactions of merged customers count for the survivor; those of erased customers are
    dropped (neither accepted nor duplicates).
    """
    limit = scorer.settings.max_batch_transactions
    if len(items) > limit:
        raise TooManyTransactionsError(len(items), limit)
    try:
        return await _record_transactions(
            session, items, scorer=scorer, now=now or utcnow(), known_orders_only=known_orders_only
        )
    except IntegrityError as exc:
        raise TransactionConflictError() from exc


async def _record_transactions(
    session: AsyncSession,
    items: Sequence[Transaction],
    *,
    scorer: Scorer,
    now: dt.datetime,
    known_orders_only: bool,
) -> TransactionsRecorded:
    items = await _resolve_transactions(session, items)
    book = Ledger(session)
    fresh = await book.new_only(items)
    touched: dict[str, CustomerStats] = {}
    if fresh:
        await book.load(fresh)
        unknown = book.unknown_orders(fresh) if known_orders_only else []
        if unknown:
            raise UnknownOrderError(unknown)
        for item in fresh:
            stats = await book.apply(item)
            touched[stats.customer_id] = stats
    # Scores and states change the same detached rows; the ledger writes them once.
    published = await rescore_many(session, list(touched.values()), scorer=scorer, now=now)
    await book.save(now)
    return TransactionsRecorded(
        accepted=len(fresh),
        duplicates=len(items) - len(fresh),
        customers=len(touched),
        events_published=published,
    )


async def _resolve_transactions(
    session: AsyncSession, items: Sequence[Transaction]
) -> list[Transaction]:
    """The items with merged customer ids replaced by the survivor's, erased customers' dropped."""
    ids = await resolve_ids(session, (str(t.customer_id) for t in items))
    out: list[Transaction] = []
    ignored: Counter[str] = Counter()
    for item in items:
        cid = ids[str(item.customer_id)]
        if cid is None:
            ignored[str(item.customer_id)] += 1
        elif cid == str(item.customer_id):
            out.append(item)
        else:
            out.append(replace(item, customer_id=uuid.UUID(cid)))
    for customer_id, count in ignored.items():
        log_ignored(customer_id, "transaction", count)
    return out


async def record_complaint(
    session: AsyncSession, change: ComplaintChange, *, scorer: Scorer
) -> None:
    """Update complaint counts (open, total, by root cause) and rescore the customer."""
    stats = await _stats_for(session, change.customer_id, "complaint")
    if stats is None:
        return
    state = await repository.find_complaint(session, str(change.complaint_id))
    if state is None:
        opened = change.is_open is not False
        state = counters.new_complaint(stats, str(change.complaint_id), is_open=opened)
        session.add(state)
    if change.is_open is not None:
        counters.set_open(stats, state, change.is_open)
    if change.root_cause is not None:
        counters.set_root_cause(stats, state, change.root_cause)
    if change.escalated:
        stats.complaints_escalated += 1
    counters.touch_complaint_time(stats, change.at)
    await session.flush()
    await rescore(session, stats, scorer=scorer)


async def record_survey(
    session: AsyncSession,
    customer_id: uuid.UUID,
    csat: int,
    nps: int | None,
    *,
    at: dt.datetime,
    scorer: Scorer,
) -> None:
    """Keep the customer's satisfaction answer (CSAT, NPS) if it is the latest, and rescore."""
    stats = await _stats_for(session, customer_id, "survey")
    if stats is None:
        return
    counters.keep_survey(stats, csat=csat, nps=nps, surveyed_at=at)
    await session.flush()
    await rescore(session, stats, scorer=scorer)


async def record_handle_time(
    session: AsyncSession, customer_id: uuid.UUID, *, seconds: int
) -> CustomerStats | None:
    """Add a finished call's duration to the customer's handle time (their cost to serve)."""
    stats = await _stats_for(session, customer_id, "call_ended")
    if stats is not None:
        stats.handle_seconds += seconds
        await session.flush()
    return stats


async def record_abandoned_call(
    session: AsyncSession, customer_id: uuid.UUID
) -> CustomerStats | None:
    """Count a call the customer gave up on while queued, unanswered."""
    stats = await _stats_for(session, customer_id, "call_abandoned")
    if stats is not None:
        stats.calls_abandoned += 1
        await session.flush()
    return stats


async def record_sla_breach(session: AsyncSession, customer_id: uuid.UUID) -> None:
    """Count a missed SLA target of one of the customer's complaints (a broken promise)."""
    stats = await _stats_for(session, customer_id, "sla_breach")
    if stats is not None:
        stats.sla_breaches += 1
        await session.flush()


async def unplaced(session: AsyncSession, customer_id: uuid.UUID) -> CustomerStats | None:
    """The customer's statistics if no state has been derived for them yet."""
    resolved = await resolve_id(session, str(customer_id))
    stats = None if resolved is None else await repository.find_stats(session, resolved)
    return stats if stats is not None and stats.state is None else None


async def record_contact_survey(
    session: AsyncSession,
    customer_id: uuid.UUID,
    *,
    csat: int | None,
    nps: int | None,
    quality: str | None,
    at: dt.datetime,
    scorer: Scorer,
) -> None:
    """Keep a post-contact survey's answers if it is the latest survey, and rescore.

    Only what the survey asked replaces what is kept: an NPS-only survey leaves the last CSAT.
    """
    stats = await _stats_for(session, customer_id, "contact_survey")
    if stats is None:
        return
    if stats.last_surveyed_at is not None and at < stats.last_surveyed_at:
        return
    stats.last_csat = stats.last_csat if csat is None else csat
    stats.last_nps = stats.last_nps if nps is None else nps
    stats.last_quality = stats.last_quality if quality is None else quality
    stats.last_surveyed_at = at
    await session.flush()
    await rescore(session, stats, scorer=scorer)
