"""Queries of calls, their log entries and the call-event API's stored events."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import Call, CallEvent, CallLogEntry, Customer
from shared.db import chunks
from shared.pagination import newest_first

# Log entries in the order they happened (the call model's canonical order).
_LOG_ORDER = (CallLogEntry.occurred_at, CallLogEntry.sequence, CallLogEntry.dedup_key)


def _locked(query: Select[Call]) -> Select[Call]:
    # The row lock serialises events of one call on PostgreSQL, so no projection is lost.
    return query.with_for_update().execution_options(populate_existing=True)


async def find_call(session: AsyncSession, provider: str, provider_call_id: str) -> Call | None:
    """The call a provider knows by `provider_call_id`, without locking it."""
    result = await session.scalars(
        select(Call).where(Call.provider == provider, Call.provider_call_id == provider_call_id)
    )
    return result.first()


async def lock_call_with_entries(
    session: AsyncSession, provider: str, provider_call_id: str
) -> tuple[Call, list[CallLogEntry]] | None:
    """The call a provider knows by `provider_call_id`, row-locked and freshly read, with its
    stored events oldest first: one query (the lock is on the call's row alone)."""
    query = (
        select(Call, CallLogEntry)
        .outerjoin(CallLogEntry, CallLogEntry.call_id == Call.id)
        .where(Call.provider == provider, Call.provider_call_id == provider_call_id)
        .order_by(*_LOG_ORDER)
        .with_for_update(of=Call)
        .execution_options(populate_existing=True)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return None
    return rows[0][0], [entry for _, entry in rows if entry is not None]


async def find_call_by_id(session: AsyncSession, call_id: uuid.UUID) -> Call | None:
    """A call by our id."""
    return await session.get(Call, call_id)


async def lock_call_by_id(session: AsyncSession, call_id: uuid.UUID) -> Call | None:
    """A call by our id, row-locked and freshly read."""
    return (await session.scalars(_locked(select(Call).where(Call.id == call_id)))).first()


async def lock_held_calls(session: AsyncSession) -> list[Call]:
    """Every call waiting for an agent to say whose it is, row-locked."""
    query = select(Call).where(Call.identification == "held")
    return list((await session.scalars(_locked(query))).all())


async def lock_calls_settled_by(
    session: AsyncSession, now: dt.datetime, *, limit: int
) -> list[Call]:
    """Calls whose settle time has come, earliest first, row-locked (others' skipped)."""
    query = (
        select(Call)
        .where(Call.settles_at.is_not(None), Call.settles_at <= now)
        .order_by(Call.settles_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())


async def calls_page(
    session: AsyncSession, *, identification: str | None, cursor: str | None, limit: int
) -> list[Call]:
    """Calls newest first after `cursor`, one row past `limit`."""
    query = select(Call)
    if identification is not None:
        query = query.where(Call.identification == identification)
    query = newest_first(query, Call.started_at, Call.id, cursor=cursor, limit=limit)
    return list((await session.scalars(query)).all())


async def queued_calls(session: AsyncSession, *, queue: str | None) -> list[Call]:
    """Every call waiting in a queue (in `queue` only, if given), on the state-queue index.

    All of them: ranking only a sample could miss the most valuable caller. They are the
    callers on hold right now, so their number is that of a call center's waiting callers.
    """
    query = select(Call).where(Call.state == "queued")
    if queue is not None:
        query = query.where(Call.queue == queue)
    return list((await session.scalars(query)).all())


async def customers_by_id(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Customer]:
    """The customers with these ids that exist, by id."""
    found: dict[uuid.UUID, Customer] = {}
    for part in chunks(list(set(ids))):
        rows = await session.scalars(select(Customer).where(Customer.id.in_(part)))
        found.update((c.id, c) for c in rows)
    return found


async def calls_of_customer(session: AsyncSession, customer_id: uuid.UUID) -> list[Call]:
    """Every call of a customer."""
    result = await session.scalars(select(Call).where(Call.customer_id == customer_id))
    return list(result.all())


async def move_calls(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """Give `target` every call and stored API event of `source`; how many calls moved."""
    result = await session.execute(
        update(Call).where(Call.customer_id == source).values(customer_id=target)
    )
    await session.execute(
        update(CallEvent).where(CallEvent.customer_id == source).values(customer_id=target)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def find_log_entry(
    session: AsyncSession, provider: str, dedup_key: str
) -> CallLogEntry | None:
    """The log entry stored under a provider's dedup key, if any."""
    result = await session.scalars(
        select(CallLogEntry).where(
            CallLogEntry.provider == provider, CallLogEntry.dedup_key == dedup_key
        )
    )
    return result.first()


async def log_entries(session: AsyncSession, call_id: uuid.UUID) -> list[CallLogEntry]:
    """A call's stored events, oldest first."""
    result = await session.scalars(
        select(CallLogEntry).where(CallLogEntry.call_id == call_id).order_by(*_LOG_ORDER)
    )
    return list(result.all())


async def unannounced_entries(session: AsyncSession, call_id: uuid.UUID) -> list[CallLogEntry]:
    """A call's log entries not yet published, oldest first."""
    result = await session.scalars(
        select(CallLogEntry)
        .where(CallLogEntry.call_id == call_id, CallLogEntry.announced.is_(False))
        .order_by(*_LOG_ORDER)
    )
    return list(result.all())


async def any_entry_announced(session: AsyncSession, call_id: uuid.UUID) -> bool:
    """True once any log entry of the call has been published."""
    found = await session.scalars(
        select(CallLogEntry.id)
        .where(CallLogEntry.call_id == call_id, CallLogEntry.announced.is_(True))
        .limit(1)
    )
    return found.first() is not None


async def find_call_event(
    session: AsyncSession, *, provider: str, provider_call_id: str, sequence_number: int
) -> CallEvent | None:
    """The API event stored under its key, if any."""
    result = await session.scalars(
        select(CallEvent).where(
            CallEvent.provider == provider,
            CallEvent.provider_call_id == provider_call_id,
            CallEvent.sequence_number == sequence_number,
        )
    )
    return result.first()


async def find_call_event_by_id(
    session: AsyncSession, call_event_id: uuid.UUID
) -> CallEvent | None:
    """A stored API event by its id."""
    return await session.get(CallEvent, call_event_id)


async def call_events_of_call(session: AsyncSession, call: Call) -> list[CallEvent]:
    """The API events stored for a call."""
    result = await session.scalars(
        select(CallEvent).where(
            CallEvent.provider == call.provider,
            CallEvent.provider_call_id == call.provider_call_id,
        )
    )
    return list(result.all())


async def call_events_of_customer(session: AsyncSession, customer_id: uuid.UUID) -> list[CallEvent]:
    """The API events stored for a customer."""
    result = await session.scalars(select(CallEvent).where(CallEvent.customer_id == customer_id))
    return list(result.all())
