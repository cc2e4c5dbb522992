"""Queries of the contact service's generic call events."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import CallEvent


async def find_call_event(
    session: AsyncSession, *, provider: str, call_id: str, sequence_number: int
) -> CallEvent | None:
    """The event stored under a provider's dedup key, if any."""
    result = await session.scalars(
        select(CallEvent).where(
            CallEvent.provider == provider,
            CallEvent.call_id == call_id,
            CallEvent.sequence_number == sequence_number,
        )
    )
    return result.first()


async def call_has_events(session: AsyncSession, *, provider: str, call_id: str) -> bool:
    """True if any event of this call is stored already."""
    result = await session.scalars(
        select(CallEvent.id)
        .where(CallEvent.provider == provider, CallEvent.call_id == call_id)
        .limit(1)
    )
    return result.first() is not None


async def get_call_event(session: AsyncSession, call_event_id: uuid.UUID) -> CallEvent | None:
    """A stored call event by its id."""
    return await session.get(CallEvent, call_event_id)
