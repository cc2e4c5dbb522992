"""Data protection in contact: a customer's export; raw call payloads kept no longer than set."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls.service import PERSONAL_FACTS
from services.contact.customers import repository as customers
from services.contact.customers.service import get_customer
from services.contact.privacy import repository
from shared.export import ServiceExport
from shared.retention import Purge, cutoff

# What a raw provider event says about the person once its call is long over: dropped by
# retention (the call's own record keeps its parties until the customer is erased).
RAW_PERSONAL_FACTS = (*PERSONAL_FACTS, "from", "to")
BATCH = 500


async def export_customer(session: AsyncSession, customer_id: uuid.UUID) -> ServiceExport:
    """Everything contact keeps about a customer and the customers merged into it."""
    customer = await get_customer(session, customer_id)
    merged = await customers.merged_into(session, customer.id)
    rows = await repository.customer_rows(session, [customer.id, *(m.id for m in merged)])
    return ServiceExport.of("contact", customer.id, rows)


def call_payload_purge(days: int) -> Purge:
    """Retention of raw call payloads: `days` after a call ended, they lose the person.

    The numbers, notes, recording links and keyed-in digits leave the raw events of calls
    that ended more than `days` days ago, and the numbers leave the call-event API's stored
    events received before then. The calls keep their folded record.
    """

    async def purge(session: AsyncSession, now: dt.datetime) -> int:
        before = cutoff(now, days)
        trimmed = await repository.blank_old_call_event_numbers(session, before=before)
        while True:
            entries = await repository.old_entries_with_facts(
                session, ended_before=before, facts=RAW_PERSONAL_FACTS, limit=BATCH
            )
            changed = 0
            for entry in entries:
                kept = {k: v for k, v in (entry.facts or {}).items() if k not in RAW_PERSONAL_FACTS}
                if kept != entry.facts:
                    entry.facts, changed = kept, changed + 1
            await session.flush()
            trimmed += changed
            if len(entries) < BATCH or not changed:
                return trimmed

    return purge
