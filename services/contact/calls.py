"""Storing provider call events once and keeping each call's projection up to date."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.contact import customers
from services.contact.callmodel import LoggedEvent, NormalizedEvent, Projection, project
from services.contact.errors import CallNotFoundError
from services.contact.identity import mask, phone_or_none
from services.contact.models import Call, CallLogEntry, Customer
from services.contact.schemas import CallWrapUp
from shared.contracts.contact import (
    CallAbandonedV1,
    CallConnectedV1,
    CallEndedV1,
    CallEventRecordedV1,
    CallStartedV1,
)
from shared.db import utcnow
from shared.logging import get_logger
from shared.outbox import stage_event

SOURCE = "rapport/contact"
log = get_logger(__name__)
_PROJECTED = (
    "state",
    "outcome",
    "direction",
    "from_number",
    "to_number",
    "ringing_at",
    "queued_at",
    "connected_at",
    "ended_at",
    "duration_seconds",
    "queue",
    "agent",
    "recording_url",
    "ivr_path",
    "legs",
)


@dataclass(frozen=True)
class Ingested:
    """What storing one provider event did."""

    call: Call
    duplicate: bool


async def _entry(session: AsyncSession, provider: str, dedup_key: str) -> CallLogEntry | None:
    result = await session.scalars(
        select(CallLogEntry).where(
            CallLogEntry.provider == provider, CallLogEntry.dedup_key == dedup_key
        )
    )
    return result.first()


async def _locked_call(session: AsyncSession, provider: str, call_key: str) -> Call | None:
    # The row lock serialises events of one call on PostgreSQL, so no projection is lost.
    result = await session.scalars(
        select(Call)
        .where(Call.provider == provider, Call.call_key == call_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.first()


def _normalise_parties(event: NormalizedEvent, region: str) -> dict[str, Any]:
    facts = dict(event.facts)
    for name in ("from", "to"):
        raw = facts.get(name)
        if isinstance(raw, str):
            facts[name] = phone_or_none(raw, region=region) or raw
    if event.state is not None:
        facts["state"] = event.state
    return facts


async def _customer_for(
    session: AsyncSession, event: NormalizedEvent, phone: str | None
) -> Customer:
    if phone is not None:
        key = customers.IdentityKey("phone", phone)
    else:
        # A withheld or missing caller id still gets a record: one prospect per such call.
        key = customers.IdentityKey("external", f"{event.provider}:call:{event.call_key}")
    return await customers.find_or_create_prospect(session, key, via=event.provider)


async def _open_call(
    session: AsyncSession, event: NormalizedEvent, customer: Customer | None
) -> tuple[Call, bool]:
    call = await _locked_call(session, event.provider, event.call_key)
    if call is not None:
        return call, False
    assert customer is not None, "a new call needs its customer"
    call = Call(
        id=uuid.uuid4(),
        provider=event.provider,
        call_key=event.call_key,
        customer_id=customer.id,
        state="initiated",
        started_at=event.occurred_at,
        ivr_path=[],
        legs=[],
    )
    try:
        async with session.begin_nested():
            session.add(call)
            await session.flush()
    except IntegrityError:
        raced = await _locked_call(session, event.provider, event.call_key)
        if raced is None:
            raise
        return raced, False
    return call, True


async def _peek_call(session: AsyncSession, provider: str, call_key: str) -> Call | None:
    result = await session.scalars(
        select(Call).where(Call.provider == provider, Call.call_key == call_key)
    )
    return result.first()


def _rehomes(event: NormalizedEvent, call: Call | None, phone: str | None) -> bool:
    """True when this event decides the call's customer anew (root leg, new caller id)."""
    if call is None:
        return True
    if phone is None or event.facts.get("child_leg"):
        return False
    return phone not in (call.from_number, call.to_number)


async def ingest(
    session: AsyncSession,
    event: NormalizedEvent,
    *,
    region: str,
    publish_recorded: bool = True,
    publish_lifecycle: bool = True,
) -> Ingested:
    """Store `event` once per `(provider, dedup_key)` and refold its call.

    `publish_recorded` stages `contact.call_event_recorded`; `publish_lifecycle` stages the
    call's started/connected/ended/abandoned events as it gets there.
    """
    existing = await _entry(session, event.provider, event.dedup_key)
    if existing is not None:
        return await _duplicate(session, existing)
    phone = (
        None if event.customer_phone is None else phone_or_none(event.customer_phone, region=region)
    )
    # Customers (and their identity rows) are resolved before the call row is locked: one lock
    # order for every request, so concurrent events of calls sharing a number cannot deadlock.
    rehome = _rehomes(event, await _peek_call(session, event.provider, event.call_key), phone)
    customer = await _customer_for(session, event, phone) if rehome else None
    call, created = await _open_call(session, event, customer)
    root = not event.facts.get("child_leg")
    if not created and customer is not None and phone is not None and root:
        # The root leg's caller id decides whose call it is, whatever arrived first.
        call.customer_id = customer.id
    entry = CallLogEntry(
        id=uuid.uuid4(),
        call_id=call.id,
        provider=event.provider,
        dedup_key=event.dedup_key,
        kind=event.kind,
        leg_id=event.leg_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        facts=_normalise_parties(event, region),
    )
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        raced = await _entry(session, event.provider, event.dedup_key)
        if raced is None:
            raise
        return await _duplicate(session, raced)
    before = _snapshot(call)
    await refold(session, call)
    if publish_lifecycle:
        await _publish(session, call, before, created=created)
    if publish_recorded:
        await _stage_recorded(session, call, entry, event, first=created)
    log.info(
        "call_event_stored",
        provider=event.provider,
        kind=event.kind,
        state=call.state,
        caller=mask(phone),
    )
    return Ingested(call=call, duplicate=False)


async def _duplicate(session: AsyncSession, entry: CallLogEntry) -> Ingested:
    call = await session.get(Call, entry.call_id)
    assert call is not None
    return Ingested(call=call, duplicate=True)


def _snapshot(call: Call) -> dict[str, Any]:
    return {"state": call.state, "connected_at": call.connected_at, "outcome": call.outcome}


async def log_entries(session: AsyncSession, call_id: uuid.UUID) -> list[CallLogEntry]:
    """A call's stored events, oldest first."""
    result = await session.scalars(
        select(CallLogEntry)
        .where(CallLogEntry.call_id == call_id)
        .order_by(CallLogEntry.occurred_at, CallLogEntry.sequence, CallLogEntry.dedup_key)
    )
    return list(result.all())


async def refold(session: AsyncSession, call: Call) -> Projection:
    """Recompute the call from every stored event of it."""
    entries = await log_entries(session, call.id)
    projection = project(
        LoggedEvent(
            dedup_key=e.dedup_key,
            kind=e.kind,
            occurred_at=e.occurred_at,
            sequence=e.sequence,
            leg_id=e.leg_id,
            facts=dict(e.facts or {}),
        )
        for e in entries
    )
    for name in _PROJECTED:
        setattr(call, name, getattr(projection, name))
    # Wrap-up entered through the API is kept unless a provider event reports one.
    for name in ("wrap_up_code", "disposition", "notes"):
        if getattr(projection, name) is not None:
            setattr(call, name, getattr(projection, name))
    if projection.started_at is not None:
        call.started_at = projection.started_at
    call.updated_at = utcnow()
    await session.flush()
    return projection


async def _publish(
    session: AsyncSession, call: Call, before: dict[str, Any], *, created: bool
) -> None:
    common = {
        "customer_id": call.customer_id,
        "call_id": call.id,
        "provider": call.provider,
        "provider_call_id": call.call_key,
    }
    if created:
        await stage_event(
            session,
            CallStartedV1(**common, direction=call.direction, started_at=call.started_at),
            source=SOURCE,
        )
    if before["connected_at"] is None and call.connected_at is not None:
        await stage_event(
            session,
            CallConnectedV1(
                **common, queue=call.queue, agent=call.agent, connected_at=call.connected_at
            ),
            source=SOURCE,
        )
    if before["state"] != "ended" and call.state == "ended":
        ended_at = call.ended_at or utcnow()
        await stage_event(
            session,
            CallEndedV1(
                **common,
                outcome=call.outcome,
                direction=call.direction,
                queue=call.queue,
                agent=call.agent,
                duration_seconds=call.duration_seconds,
                ended_at=ended_at,
            ),
            source=SOURCE,
        )
    if call.state == "ended" and call.outcome == "abandoned" and before["outcome"] != "abandoned":
        # A late queue event can turn an ended call into an abandoned one; say so once.
        await stage_event(
            session,
            CallAbandonedV1(
                **common,
                queue=call.queue,
                queued_at=call.queued_at,
                abandoned_at=call.ended_at or utcnow(),
            ),
            source=SOURCE,
        )


async def _stage_recorded(
    session: AsyncSession,
    call: Call,
    entry: CallLogEntry,
    event: NormalizedEvent,
    *,
    first: bool,
) -> None:
    await stage_event(
        session,
        CallEventRecordedV1(
            call_event_id=entry.id,
            customer_id=call.customer_id,
            provider=call.provider,
            call_id=call.call_key,
            sequence_number=event.sequence or 0,
            status=event.state or event.kind,
            occurred_at=event.occurred_at,
            first_event_of_call=first,
        ),
        source=SOURCE,
    )


async def get_call(session: AsyncSession, call_id: uuid.UUID) -> Call:
    """A call by id; raises `CallNotFoundError`."""
    call = await session.get(Call, call_id)
    if call is None:
        raise CallNotFoundError(call_id)
    return call


async def wrap_up(session: AsyncSession, call_id: uuid.UUID, data: CallWrapUp) -> Call:
    """Record the agent's wrap-up code, disposition and notes."""
    call = await get_call(session, call_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(call, name, value)
    call.updated_at = utcnow()
    await session.flush()
    return call
