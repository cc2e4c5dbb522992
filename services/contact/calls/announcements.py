"""What a call owes the outbox: its lifecycle events and one `call_event_recorded` per event.

A call held for a shared number publishes nothing; once it has its customer it publishes what
it missed, once. `Call.announced` lists the lifecycle events published, `CallLogEntry.announced`
and `CallEvent.customer_id` say which stored events were.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import events
from services.contact.calls import repository
from services.contact.models import Call, CallEvent, CallLogEntry
from shared.contracts.contact import (
    CallAbandonedV1,
    CallConnectedV1,
    CallEndedV1,
    CallEventRecordedV2,
    CallStartedV1,
)
from shared.db import utcnow


@dataclass(frozen=True)
class Publishing:
    """Which of a call's events are published."""

    # contact.call_started / call_connected / call_ended / call_abandoned; when False they are
    # only marked as done.
    lifecycle: bool
    # The call-event API's stored events (`CallEvent`) still waiting for the call's customer.
    api_events: bool


# Provider webhooks publish the lifecycle and one event per stored provider event.
PROVIDER_EVENTS = Publishing(lifecycle=True, api_events=False)
# The call-event API has always published one event per stored API event, and nothing else.
API_EVENTS = Publishing(lifecycle=False, api_events=True)
# A held call that gets its customer publishes whatever it held back, from either source.
EVERYTHING = Publishing(lifecycle=True, api_events=True)


@dataclass(frozen=True)
class NewEntry:
    """The one log entry of the call not yet published, and whether it is the call's first."""

    entry: CallLogEntry
    first_of_call: bool


def _reached(call: Call) -> list[str]:
    """The lifecycle events the call's state calls for, in the order they happen."""
    reached = ["started"]
    if call.connected_at is not None:
        reached.append("connected")
    if call.state == "ended":
        reached.append("ended")
        if call.outcome == "abandoned":
            # A late queue event can turn an ended call into an abandoned one; said once.
            reached.append("abandoned")
    return reached


async def announce(
    session: AsyncSession,
    call: Call,
    publishing: Publishing,
    *,
    new_entry: NewEntry | None = None,
) -> None:
    """Stage every event the call owes and has not published, once; nothing while held.

    `new_entry` says that entry is the one log entry not yet published, which spares looking
    for others on the hot path.
    """
    due = [m for m in _reached(call) if m not in (call.announced or [])]
    if due and not publishing.lifecycle:
        call.announced = [*(call.announced or []), *due]
        due = []
    if call.customer_id is None:
        return
    for milestone in due:
        await events.stage(session, _lifecycle_event(call, milestone))
    if due:
        call.announced = [*(call.announced or []), *due]
    if new_entry is not None:
        await _announce_entries(session, call, [new_entry.entry], first=new_entry.first_of_call)
    else:
        pending = await repository.unannounced_entries(session, call.id)
        if pending:
            first = not await repository.any_entry_announced(session, call.id)
            await _announce_entries(session, call, pending, first=first)
    if publishing.api_events:
        await _announce_api_events(session, call)
    await session.flush()


async def _announce_entries(
    session: AsyncSession, call: Call, entries: list[CallLogEntry], *, first: bool
) -> None:
    for entry in entries:
        if entry.announced:
            continue
        await events.stage(session, _entry_recorded(call, entry, first=first))
        entry.announced = True
        first = False


async def _announce_api_events(session: AsyncSession, call: Call) -> None:
    """Give the call-event API's stored events of this call their customer, and publish them."""
    stored = await repository.call_events_of_call(session, call)
    waiting = sorted(
        (e for e in stored if e.customer_id is None),
        key=lambda e: (e.occurred_at, e.sequence_number),
    )
    first = all(e.customer_id is None for e in stored)
    for event in waiting:
        event.customer_id = call.customer_id
        await events.stage(session, _api_event_recorded(event, first=first))
        first = False


def _lifecycle_event(
    call: Call, milestone: str
) -> CallStartedV1 | CallConnectedV1 | CallEndedV1 | CallAbandonedV1:
    assert call.customer_id is not None
    common = {
        "customer_id": call.customer_id,
        "call_id": call.id,
        "provider": call.provider,
        "provider_call_id": call.provider_call_id,
    }
    if milestone == "started":
        return CallStartedV1(**common, direction=call.direction, started_at=call.started_at)
    if milestone == "connected":
        assert call.connected_at is not None
        return CallConnectedV1(
            **common, queue=call.queue, agent=call.agent, connected_at=call.connected_at
        )
    if milestone == "ended":
        return CallEndedV1(
            **common,
            outcome=call.outcome,
            direction=call.direction,
            queue=call.queue,
            agent=call.agent,
            duration_seconds=call.duration_seconds,
            ended_at=call.ended_at or utcnow(),
        )
    return CallAbandonedV1(
        **common,
        queue=call.queue,
        queued_at=call.queued_at,
        abandoned_at=call.ended_at or utcnow(),
    )


def _entry_recorded(call: Call, entry: CallLogEntry, *, first: bool) -> CallEventRecordedV2:
    assert call.customer_id is not None
    state = (entry.facts or {}).get("state")
    return CallEventRecordedV2(
        # A provider event is published under its log entry's id.
        call_event_id=entry.id,
        customer_id=call.customer_id,
        provider=call.provider,
        provider_call_id=call.provider_call_id,
        sequence_number=entry.sequence or 0,
        status=state if isinstance(state, str) else entry.kind,
        occurred_at=entry.occurred_at,
        first_event_of_call=first,
    )


def _api_event_recorded(event: CallEvent, *, first: bool) -> CallEventRecordedV2:
    assert event.customer_id is not None
    return CallEventRecordedV2(
        # An API event is published under its own id, the one `/v1/contacts/events` answers.
        call_event_id=event.id,
        customer_id=event.customer_id,
        provider=event.provider,
        provider_call_id=event.provider_call_id,
        sequence_number=event.sequence_number,
        status=event.status,
        occurred_at=event.occurred_at,
        first_event_of_call=first,
    )
