"""Calls whose events have settled publish what they owe, from all their events at once.

Providers deliver a call's events out of order: Amazon Connect names the caller only in
`INITIATED`, a hang-up can come before the answer. A provider event therefore publishes nothing
itself (with `CONTACT_CALL_SETTLE_SECONDS` above 0); it moves the call's `settles_at` to the
settle window from now. Once a call has been quiet that long, this pass publishes what it owes
from its folded events, in the provider's order, so the same events in any order publish the
same. A call whose events never named the caller gets a prospect of its own here, then.

Twilio ends a call in two steps: the queue or dial action (the caller hung up in the queue, the
agent leg ended), then the parent leg's final status with the call's duration, which can come
well after the window (a retry after an outage). Such a call waits for its final status, or
`CONTACT_CALL_FINAL_STATUS_SECONDS` after its last event, so that the `contact.call_ended` it
publishes once carries the duration.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls import repository
from services.contact.calls.announcements import PROVIDER_EVENTS, announce
from services.contact.calls.ingest import own_prospect_key
from services.contact.customers import service as customers
from services.contact.models import Call
from services.contact.routing.lines import follow_call
from services.contact.settings import ContactSettings
from shared.logging import get_logger

log = get_logger(__name__)


async def settle_due_calls(
    session: AsyncSession, settings: ContactSettings, now: dt.datetime, *, limit: int = 100
) -> int:
    """Publish what the calls quiet since their settle time owe; how many calls settled."""
    due = await repository.lock_calls_settled_by(session, now, limit=limit)
    for call in due:
        waiting_until = await _final_status_due(session, settings, call, now)
        if waiting_until is not None:
            call.settles_at = waiting_until
            continue
        if call.identification == "pending":
            await _own_prospect(session, call)
            await follow_call(session, settings, call)  # its place in line gets the customer
        call.settles_at = None
        await announce(session, call, PROVIDER_EVENTS)
    await session.flush()
    return len(due)


async def _own_prospect(session: AsyncSession, call: Call) -> None:
    """No event of the call named the caller within the window: a prospect of its own."""
    key = own_prospect_key(call.provider, call.provider_call_id)
    (customer, *_) = await customers.owners_or_new_prospect(session, key, via=call.provider)
    call.customer_id = customer.id
    call.identification = "caller_id"
    log.info("call_without_caller_settled", provider=call.provider)


async def _final_status_due(
    session: AsyncSession, settings: ContactSettings, call: Call, now: dt.datetime
) -> dt.datetime | None:
    """When to look again at a Twilio call ended without its final status; None: publish now."""
    if call.provider != "twilio" or call.state != "ended":
        return None
    entries = await repository.log_entries(session, call.id)
    if any(entry.facts.get("final_status") for entry in entries):
        return None
    last = max((entry.received_at for entry in entries), default=now)
    deadline = last + dt.timedelta(seconds=settings.call_final_status_seconds)
    return deadline if deadline > now else None
