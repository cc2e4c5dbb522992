"""Scoring operations: fold events into per-customer statistics, read scores."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring import repository
from services.scoring.errors import CustomerNotScoredError
from services.scoring.models import CustomerStats
from services.scoring.schemas import ContactActivity, CustomerScoreRead
from shared.db import utcnow


async def _stats_for_update(session: AsyncSession, customer_id: str) -> CustomerStats:
    stats = await repository.find_stats(session, customer_id)
    if stats is None:
        stats = CustomerStats(customer_id=customer_id, contact_count=0, call_event_count=0)
        session.add(stats)
    return stats


async def record_call_event(
    session: AsyncSession,
    *,
    customer_id: uuid.UUID,
    occurred_at: dt.datetime,
    first_event_of_call: bool,
) -> CustomerStats:
    """Count a call event; the first event of a call also counts one contact."""
    stats = await _stats_for_update(session, str(customer_id))
    stats.call_event_count += 1
    if first_event_of_call:
        stats.contact_count += 1
    if stats.first_contact_at is None or occurred_at < stats.first_contact_at:
        stats.first_contact_at = occurred_at
    if stats.last_contact_at is None or occurred_at > stats.last_contact_at:
        stats.last_contact_at = occurred_at
    await session.flush()
    return stats


async def get_score(session: AsyncSession, customer_id: uuid.UUID) -> CustomerScoreRead:
    """The customer's current scores; raises `CustomerNotScoredError`."""
    stats = await repository.find_stats(session, str(customer_id))
    if stats is None:
        raise CustomerNotScoredError(customer_id)
    return CustomerScoreRead(
        customer_id=customer_id,
        contacts=ContactActivity(
            count=stats.contact_count,
            call_events=stats.call_event_count,
            first_contact_at=stats.first_contact_at,
            last_contact_at=stats.last_contact_at,
        ),
        computed_at=utcnow(),
    )
