"""Queries of data protection: every row about a customer; raw call payloads past their time."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.models import (
    Call,
    CallEvent,
    CallLogEntry,
    Contact,
    Customer,
    CustomerIdentity,
    Offer,
    WorkItem,
)
from shared.export import rows_where


async def customer_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[str, list[Any]]:
    """The rows about these customers, per kind: profile, identities, calls, contacts, lines."""
    calls = await rows_where(session, Call.customer_id, ids)
    items = await rows_where(session, WorkItem.customer_id, ids)
    return {
        "customers": await rows_where(session, Customer.id, ids),
        "identities": await rows_where(session, CustomerIdentity.customer_id, ids),
        "calls": calls,
        "call_log_entries": await rows_where(session, CallLogEntry.call_id, [c.id for c in calls]),
        "call_events": await rows_where(session, CallEvent.customer_id, ids),
        "contacts": await rows_where(session, Contact.customer_id, ids),
        "work_items": items,
        "offers": await rows_where(session, Offer.work_item_id, [i.id for i in items]),
    }


async def old_entries_with_facts(
    session: AsyncSession, *, ended_before: dt.datetime, facts: Sequence[str], limit: int
) -> Sequence[CallLogEntry]:
    """Raw events of calls ended before `ended_before` still holding one of `facts`."""
    text = cast(CallLogEntry.facts, String)
    rows = await session.scalars(
        select(CallLogEntry)
        .join(Call, Call.id == CallLogEntry.call_id)
        .where(
            Call.ended_at < ended_before,
            or_(*(text.contains(f'"{name}"', autoescape=True) for name in facts)),
        )
        .order_by(CallLogEntry.received_at, CallLogEntry.id)
        .limit(limit)
    )
    return rows.all()


async def blank_old_call_event_numbers(session: AsyncSession, *, before: dt.datetime) -> int:
    """Blank the numbers of the API's stored call events received before `before`."""
    result = await session.execute(
        update(CallEvent)
        .where(
            CallEvent.received_at < before,
            or_(CallEvent.from_number != "", CallEvent.to_number != ""),
        )
        .values(from_number="", to_number="")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
