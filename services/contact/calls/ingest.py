"""Storing provider call events once and folding each call anew from its stored events."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contact.calls import repository
from services.contact.calls.announcements import NewEntry, Publishing, announce
from services.contact.calls.callmodel import LoggedEvent, NormalizedEvent, Projection, project
from services.contact.customers import service as customers
from services.contact.customers.identity_keys import IdentityKey, mask, phone_or_none
from services.contact.errors import InvalidWebhookError
from services.contact.models import Call, CallLogEntry, fit
from services.contact.routing.lines import follow_call
from services.contact.settings import ContactSettings
from shared.db import utcnow
from shared.inserts import insert_if_absent
from shared.logging import get_logger

log = get_logger(__name__)
_PARTIES = ("from_number", "to_number")
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
# Event fields stored in a column, with the word a refusal uses for them.
_IDS = {
    (Call, "provider_call_id", "call_key"): "call id",
    (CallLogEntry, "dedup_key", "dedup_key"): "event key",
    (CallLogEntry, "kind", "kind"): "event kind",
    (CallLogEntry, "leg_id", "leg_id"): "leg id",
}


@dataclass(frozen=True)
class Ingested:
    """What storing one provider event did."""

    call: Call
    duplicate: bool


@dataclass(frozen=True)
class Caller:
    """Whose call it is: one customer, or the candidates sharing the caller's number."""

    customer_id: uuid.UUID | None
    candidates: list[uuid.UUID]
    # No event so far names the caller: the call waits for one that does (`settling.py`).
    pending: bool = False


async def ingest(
    session: AsyncSession,
    event: NormalizedEvent,
    *,
    settings: ContactSettings,
    publishing: Publishing,
) -> Ingested:
    """Store `event` once per `(provider, dedup_key)`, refold its call and publish what is due.

    A provider event publishes nothing itself when `call_settle_seconds` is set: the call
    publishes once its events have settled (`settling.settle_due_calls`), so what it publishes
    does not depend on the order they arrived in. A call held for a shared number publishes
    nothing until it has a customer; then it publishes what it missed. A queued call enters its
    queue's line; one that connects or ends leaves it.

    One read fetches the call, row-locked, with its stored events: a repeat is one of them, and
    the call is folded from them and the new one without reading back what was written.
    """
    _check_ids(event)
    region = settings.default_region
    raw = event.customer_phone
    phone = None if raw is None else phone_or_none(raw, region=region)
    found = await repository.lock_call_with_entries(session, event.provider, event.provider_call_id)
    if found is None:
        return await _first_event(session, event, phone, settings, publishing)
    return await _next_event(session, event, phone, found, settings, publishing)


async def _first_event(
    session: AsyncSession,
    event: NormalizedEvent,
    phone: str | None,
    settings: ContactSettings,
    publishing: Publishing,
) -> Ingested:
    """The call's first event: its customer, then the call and the event, each one insert.

    Customers are resolved before the call row exists: nothing of the call is locked while
    they are, as for any event that decides whose call it is.
    """
    stored = await repository.find_log_entry(session, event.provider, event.dedup_key)
    if stored is not None:
        return await _duplicate(session, stored)  # the key is stored under another call
    waits = _waits(settings, publishing)
    caller = await _caller_for(session, event, phone, waits=waits)
    call = Call(
        id=uuid.uuid4(),
        provider=event.provider,
        provider_call_id=event.provider_call_id,
        state="initiated",
        started_at=event.occurred_at,
        ivr_path=[],
        legs=[],
        announced=[],
    )
    _identify(call, caller)
    entry = _log_entry(event, call, settings.default_region, publishing)
    _fold(call, [entry])
    if waits:
        call.settles_at = _settle_time(settings)
    if not await insert_if_absent(session, call):
        # A concurrent first event created the call: this one is its next event.
        found = await repository.lock_call_with_entries(
            session, event.provider, event.provider_call_id
        )
        assert found is not None
        return await _next_event(session, event, phone, found, settings, publishing)
    if not await insert_if_absent(session, entry):
        return await _stored_elsewhere(session, event)
    await _follow_and_publish(session, call, settings, publishing, NewEntry(entry, True))
    return _stored(event, call, phone)


async def _next_event(
    session: AsyncSession,
    event: NormalizedEvent,
    phone: str | None,
    found: tuple[Call, list[CallLogEntry]],
    settings: ContactSettings,
    publishing: Publishing,
) -> Ingested:
    """A further event of a stored call, held row-locked with its events: a repeat changes
    nothing; a new one is inserted, and the call folded from its events and this one."""
    call, entries = found
    if any(stored.dedup_key == event.dedup_key for stored in entries):
        return Ingested(call=call, duplicate=True)
    entry = _log_entry(event, call, settings.default_region, publishing)
    if not await insert_if_absent(session, entry):
        return await _stored_elsewhere(session, event)
    # A call that had its customer before this event has published all its earlier events.
    caught_up = call.customer_id is not None
    if _rehomes(event, call, phone):
        # The root leg's caller id decides whose call it is, whatever arrived first. Only
        # reads and, for an unknown number, the insert of a new prospect happen under the
        # call's lock: nothing here waits for a lock that a customer's change holds.
        caller = await _caller_for(session, event, phone, waits=_waits(settings, publishing))
        _identify(call, caller)
    _fold(call, [*entries, entry])
    if _waits(settings, publishing):
        call.settles_at = _settle_time(settings)
    await _follow_and_publish(
        session, call, settings, publishing, NewEntry(entry, False) if caught_up else None
    )
    return _stored(event, call, phone)


async def _stored_elsewhere(session: AsyncSession, event: NormalizedEvent) -> Ingested:
    """The event's key turned out to be stored under another call (a provider reusing an event
    id, or a concurrent request): a repeat of that call's event."""
    stored = await repository.find_log_entry(session, event.provider, event.dedup_key)
    assert stored is not None
    return await _duplicate(session, stored)


def _stored(event: NormalizedEvent, call: Call, phone: str | None) -> Ingested:
    log.info(
        "call_event_stored",
        provider=event.provider,
        kind=event.kind,
        state=call.state,
        identification=call.identification,
        caller=mask(phone),
    )
    return Ingested(call=call, duplicate=False)


def _waits(settings: ContactSettings, publishing: Publishing) -> bool:
    """True when the call publishes once its events have settled, not at once."""
    return settings.call_settle_seconds > 0 and publishing.lifecycle


def _settle_time(settings: ContactSettings) -> dt.datetime:
    # Each event arriving within the window pushes the time back.
    return utcnow() + dt.timedelta(seconds=settings.call_settle_seconds)


async def _follow_and_publish(
    session: AsyncSession,
    call: Call,
    settings: ContactSettings,
    publishing: Publishing,
    new_entry: NewEntry | None,
) -> None:
    """Keep the call's place in line in step, and publish what it owes now unless it waits
    for its settle window; the call's changes go out in one update."""
    await follow_call(session, settings, call)
    if not _waits(settings, publishing):
        await announce(session, call, publishing, new_entry=new_entry)
    await session.flush()


def _check_ids(event: NormalizedEvent) -> None:
    """Ids longer than their columns are not ids any provider sends: a 422, not a cut."""
    for (model, name, column), label in _IDS.items():
        value = getattr(event, name)
        if isinstance(value, str) and fit(model, column, value) != value:
            raise InvalidWebhookError(f"The event's {label} is too long.")


async def _duplicate(session: AsyncSession, entry: CallLogEntry) -> Ingested:
    call = await repository.find_call_by_id(session, entry.call_id)
    assert call is not None
    return Ingested(call=call, duplicate=True)


def _rehomes(event: NormalizedEvent, call: Call | None, phone: str | None) -> bool:
    """True when this event decides the call's customer anew (root leg, new caller id)."""
    if call is None:
        return True
    if call.identification == "agent" or phone is None or event.facts.get("child_leg"):
        # What an agent decided stands; only the root leg's caller id can change the owner.
        return False
    return phone not in (call.from_number, call.to_number)


async def _caller_for(
    session: AsyncSession, event: NormalizedEvent, phone: str | None, *, waits: bool
) -> Caller:
    if phone is None and waits:
        # Amazon Connect names the caller in INITIATED only, which may come later: no guess yet.
        return Caller(None, [], pending=True)
    if phone is not None:
        key = IdentityKey("phone", phone)
    else:
        key = own_prospect_key(event.provider, event.provider_call_id)
    found = await customers.owners_or_new_prospect(session, key, via=event.provider)
    if len(found) == 1:
        return Caller(found[0].id, [])
    # A shared number: no guess. The call waits with its candidates until an agent picks one.
    return Caller(None, [c.id for c in found])


def own_prospect_key(provider: str, provider_call_id: str) -> IdentityKey:
    """A withheld or missing caller id still gets a record: one prospect per such call."""
    return IdentityKey("external", f"{provider}:call:{provider_call_id}")


def _identify(call: Call, caller: Caller) -> None:
    call.customer_id = caller.customer_id
    call.candidate_customer_ids = [str(c) for c in caller.candidates]
    if caller.customer_id is not None:
        call.identification = "caller_id"
    else:
        call.identification = "pending" if caller.pending else "held"


def _log_entry(
    event: NormalizedEvent, call: Call, region: str, publishing: Publishing
) -> CallLogEntry:
    return CallLogEntry(
        id=uuid.uuid4(),
        call_id=call.id,
        provider=event.provider,
        dedup_key=event.dedup_key,
        kind=event.kind,
        leg_id=event.leg_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        facts=_normalise_parties(event, region),
        # An event of the call-event API is published as its API row, never as its log entry.
        announced=publishing.api_events,
    )


def _normalise_parties(event: NormalizedEvent, region: str) -> dict[str, Any]:
    facts = dict(event.facts)
    for name in ("from", "to"):
        raw = facts.get(name)
        if isinstance(raw, str):
            facts[name] = phone_or_none(raw, region=region) or raw
    if event.state is not None:
        facts["state"] = event.state
    return facts


def _fold(call: Call, entries: list[CallLogEntry]) -> Projection:
    """Recompute the call from every stored event of it."""
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
        if name in _PARTIES and getattr(projection, name) is None:
            continue  # raw events past retention no longer say who called: the record does
        setattr(call, name, fit(Call, name, getattr(projection, name)))
    # Wrap-up entered through the API is kept unless a provider event reports one.
    for name in ("wrap_up_code", "disposition", "notes"):
        if getattr(projection, name) is not None:
            setattr(call, name, fit(Call, name, getattr(projection, name)))
    if projection.started_at is not None:
        call.started_at = projection.started_at
    call.updated_at = utcnow()
    return projection
