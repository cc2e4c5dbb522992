"""Staging the contact service's events in the outbox, all under one source."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events import Event
from shared.outbox import stage_event

SOURCE = "rapport/contact"


async def stage(session: AsyncSession, event: Event, *, key: str | None = None) -> None:
    """Write `event` to the outbox in the session's transaction (keyed by its customer)."""
    await stage_event(session, event, source=SOURCE, key=key)
