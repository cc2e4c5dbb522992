"""Saving a change to complaints: one flush, then the change's events into the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from services.complaints.errors import ConcurrentUpdateError
from services.complaints.models import Complaint
from shared.events import Event
from shared.outbox import stage_event

SOURCE = "rapport/complaints"
# The actor of the changes the service makes on its own (the timer, consumed events).
SYSTEM = "system"


def event_ids(complaint: Complaint) -> dict[str, uuid.UUID]:
    """The ids every complaint event carries."""
    return {"complaint_id": complaint.id, "customer_id": complaint.customer_id}


async def save(session: AsyncSession, events: Iterable[Event] = ()) -> None:
    """Write the change, then stage its events in the outbox, in the session's transaction.

    The flush comes first so that each changed complaint is written in one UPDATE (one
    version, one ETag) before staging flushes the outbox rows.
    """
    try:
        await session.flush()
    except StaleDataError as exc:
        # Another transaction updated the row between our read and write (version column).
        raise ConcurrentUpdateError() from exc
    for event in events:
        await stage_event(session, event, source=SOURCE)
